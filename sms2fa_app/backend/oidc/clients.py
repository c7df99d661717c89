"""The registry of OpenID clients (relying parties): registered by the operator's CLI, listed, disabled, and given a
new secret by the admin console. A secret is 256 random bits shown once; only its SHA-256 is stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin
from sqlmodel import col, select

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import digests_equal, new_token, token_digest
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import OidcClient

SCOPES = ("openid", "email", "profile", "offline_access")  # profile: accepted (apps ask for it), releases nothing more
MAX_NAME_LENGTH = 64


class ClientError(ValueError):
    """A registration the registry refuses; the message says which value and why (the CLI prints it)."""


@dataclass(frozen=True)
class RegisteredClient:
    """What the CLI prints once: the id, and the secret of a confidential client (None for a public one)."""

    client_id: str
    client_secret: str | None


@dataclass(frozen=True)
class Client(ClientMixin):
    """A registered, enabled client as Authlib asks about it (authlib.oauth2.rfc6749.ClientMixin)."""

    client_id: str
    name: str
    secret_digest: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    public: bool
    require_two_factor: bool
    first_party: bool

    @property
    def client_metadata(self) -> dict[str, object]:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Never guessed: every authorization request names its redirect_uri (exact match), see check_redirect_uri.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return " ".join(name for name in scope.split() if name in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact string match against a registered URI: no prefix, no normalisation."""
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if self.public or not self.secret_digest or not client_secret:
            return False
        return digests_equal(token_digest(client_secret), self.secret_digest)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"  # no implicit, no hybrid

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


def _client(record: OidcClient) -> Client:
    return Client(
        client_id=record.client_id,
        name=record.name,
        secret_digest=record.secret_digest,
        redirect_uris=tuple(record.redirect_uris.split()),
        post_logout_redirect_uris=tuple(record.post_logout_redirect_uris.split()),
        public=record.public,
        require_two_factor=record.require_two_factor,
        first_party=record.first_party,
    )


def checked_redirect_uri(uri: str) -> str:
    """A redirect URI the registry accepts: absolute https (http only on this machine), no fragment, no userinfo."""
    parts = urlsplit(uri)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ClientError(f"redirect URI must be https (http only for localhost): {uri!r}")
    if not parts.hostname or parts.fragment or "@" in parts.netloc or any(c.isspace() for c in uri):
        raise ClientError(f"redirect URI must be absolute, without a fragment or credentials: {uri!r}")
    return uri


@dataclass(frozen=True)
class ClientSummary:
    """A client as the admin console lists it."""

    client_id: str
    name: str
    public: bool
    require_two_factor: bool
    first_party: bool
    disabled: bool
    redirect_uris: tuple[str, ...]


class ClientRegistry:
    """OpenID clients in the SQL database."""

    def __init__(self, database: Database, clock: Clock):
        self._db = database
        self._clock = clock

    def register(
        self,
        name: str,
        redirect_uris: list[str],
        *,
        public: bool = False,
        require_two_factor: bool = False,
        first_party: bool = False,
        post_logout_redirect_uris: list[str] | None = None,
    ) -> RegisteredClient:
        """Add a client; its secret (confidential clients) is returned here and never again."""
        name = name.strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise ClientError(f"NAME must be 1 to {MAX_NAME_LENGTH} characters")
        uris = [checked_redirect_uri(uri) for uri in redirect_uris if uri]
        if not uris:
            raise ClientError("REDIRECT_URIS needs at least one URI")
        logout_uris = [checked_redirect_uri(uri) for uri in post_logout_redirect_uris or [] if uri]
        client_id = secrets.token_urlsafe(18)
        secret = None if public else new_token()
        with self._db.session() as db:
            db.add(
                OidcClient(
                    client_id=client_id,
                    name=name,
                    secret_digest="" if secret is None else token_digest(secret),
                    redirect_uris=" ".join(uris),
                    post_logout_redirect_uris=" ".join(logout_uris),
                    public=public,
                    require_two_factor=require_two_factor,
                    first_party=first_party,
                    created_at=self._clock.now(),
                )
            )
        return RegisteredClient(client_id, secret)

    def find(self, client_id: str | None) -> Client | None:
        """The enabled client with that id, or None (unknown and disabled clients look the same)."""
        if not client_id or len(client_id) > 64:
            return None
        with self._db.session() as db:
            record = db.exec(select(OidcClient).where(col(OidcClient.client_id) == client_id)).first()
            if record is None or record.disabled:
                return None
            return _client(record)

    def name_of(self, client_id: str) -> str:
        """The client's name (disabled ones too), or its id when it is gone."""
        with self._db.session() as db:
            record = db.exec(select(OidcClient).where(col(OidcClient.client_id) == client_id)).first()
            return client_id if record is None else record.name

    def list_all(self) -> list[ClientSummary]:
        """Every client, oldest first."""
        with self._db.session() as db:
            records = db.exec(select(OidcClient).order_by(col(OidcClient.id))).all()
            return [
                ClientSummary(
                    r.client_id,
                    r.name,
                    r.public,
                    r.require_two_factor,
                    r.first_party,
                    r.disabled,
                    tuple(r.redirect_uris.split()),
                )
                for r in records
            ]

    def set_disabled(self, client_id: str, disabled: bool) -> bool:
        """Disable (or enable again) a client; False when there is no such client."""
        with self._db.session() as db:
            record = db.exec(select(OidcClient).where(col(OidcClient.client_id) == client_id)).first()
            if record is None:
                return False
            record.disabled = disabled
            db.add(record)
            return True

    def rotate_secret(self, client_id: str) -> str | None:
        """A new secret for a confidential client (the old one stops working now); None for public or unknown."""
        secret = new_token()
        with self._db.session() as db:
            record = db.exec(select(OidcClient).where(col(OidcClient.client_id) == client_id)).first()
            if record is None or record.public:
                return None
            record.secret_digest = token_digest(secret)
            db.add(record)
        return secret
