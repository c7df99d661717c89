"""Authorization codes in Redis, keyed by the code's SHA-256: single use, 60 seconds, bound to client, redirect URI,
PKCE challenge, nonce, user and login session.

The first exchange claims the code with one `SET NX` that also names the token family it will issue; a second
exchange of the same code finds that family and the caller revokes it (RFC 6749 §4.1.2: a reused code revokes what
it issued). The claim outlives the code (`USED_MARKER_SECONDS`), so a late replay is still caught. A replay can land
while the first exchange is still signing its tokens (none stored yet to revoke): the family is then marked revoked
here, and the token endpoint re-checks the mark once it stored them (server.py: OidcServer.save_token).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass

import redis
from authlib.oidc.core import AuthorizationCodeMixin

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import token_digest
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

CODE_SECONDS = 60
USED_MARKER_SECONDS = 3600  # a reused code still revokes its family this long after the first use
NONCE_SECONDS = 3600  # a nonce that got a code is refused again this long (Authlib's replay check)


@dataclass(frozen=True)
class AuthorizationCode(AuthorizationCodeMixin):
    """What a code stands for (authlib.oidc.core.AuthorizationCodeMixin); `family` is set once it is claimed."""

    client_id: str
    redirect_uri: str
    scope: str
    user_id: int
    session_id: int
    nonce: str
    auth_time: int
    amr: tuple[str, ...]
    acr: str
    code_challenge: str
    code_challenge_method: str
    expires_at: float
    family: str = ""

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce or None

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return list(self.amr)


@dataclass(frozen=True)
class Claimed:
    """The outcome of presenting a code: the code (first use, in time) or the family to revoke (a reuse)."""

    code: AuthorizationCode | None = None
    reused_family: str | None = None


class AuthorizationCodes:
    """Codes and the nonces they carried, in Redis."""

    def __init__(self, client: redis.Redis, clock: Clock):
        self._redis = client
        self._clock = clock

    @staticmethod
    def _key(code: str) -> str:
        return f"oidc:code:{token_digest(code)}"

    @staticmethod
    def _revoked_key(family: str) -> str:
        return f"oidc:family-revoked:{family}"

    @staticmethod
    def _nonce_key(client_id: str, nonce: str) -> str:
        return f"oidc:nonce:{token_digest(client_id + chr(31) + nonce)}"

    def save(self, code: str, record: AuthorizationCode) -> None:
        """Keep a new code (and remember its nonce)."""
        payload = json.dumps(asdict(record))
        with redis_fail_closed():
            pipe = self._redis.pipeline()
            pipe.set(self._key(code), payload, ex=CODE_SECONDS + 5)
            if record.nonce:
                pipe.set(self._nonce_key(record.client_id, record.nonce), "1", ex=NONCE_SECONDS)
            pipe.execute()

    def nonce_seen(self, client_id: str, nonce: str) -> bool:
        """Whether a code was already issued with this nonce for this client."""
        with redis_fail_closed():
            return bool(self._redis.exists(self._nonce_key(client_id, nonce)))

    def claim(self, code: str, client_id: str) -> Claimed:
        """Present a code at the token endpoint: the first presentation of a live code gets it (with a new token
        family); any later one gets the family the first one issued; anything else gets nothing. A code presented
        by another client than its own changes nothing (checked before the claim): a client that learned someone
        else's code cannot burn it, nor revoke what it issued."""
        key = self._key(code)
        family = secrets.token_hex(16)
        with redis_fail_closed():
            payload = self._redis.get(key)
            if payload is None:
                used = self._redis.get(key + ":used")
                reused_family, _, owner = str(used or "").partition(" ")
                if used is None or owner != client_id:
                    return Claimed()
                return self._reused(reused_family)
            fields = json.loads(payload)
            if fields["client_id"] != client_id:
                return Claimed()
            first = self._redis.set(key + ":used", f"{family} {client_id}", nx=True, ex=USED_MARKER_SECONDS)
            if not first:
                used = self._redis.get(key + ":used")
                return self._reused(str(used).partition(" ")[0]) if used else Claimed()
            self._redis.delete(key)
        fields["amr"] = tuple(fields["amr"])
        record = AuthorizationCode(**{**fields, "family": family})
        if self._clock.now() > record.expires_at:
            return Claimed()
        return Claimed(code=record)

    def _reused(self, family: str) -> Claimed:
        """A reused code: its family is marked revoked (for tokens still being issued) and returned to revoke."""
        self._redis.set(self._revoked_key(family), "1", ex=USED_MARKER_SECONDS)
        return Claimed(reused_family=family)

    def family_revoked(self, family: str) -> bool:
        """Whether a reuse of the code that started this family was seen."""
        with redis_fail_closed():
            return bool(self._redis.exists(self._revoked_key(family)))
