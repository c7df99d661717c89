"""Access and refresh tokens issued to OpenID clients, in the SQL database as SHA-256 digests.

Access tokens are opaque and short-lived. A refresh token (only with the `offline_access` scope) is used once: the
exchange claims its row with one conditional UPDATE and the grant issues a new row in the same family; presenting
a claimed refresh token again revokes the whole family (reuse detection: whichever of the thief and the client
comes second ends both). Whether a token's login session still lives is the caller's check (claims.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import TokenMixin
from sqlalchemy import and_, or_
from sqlmodel import Session, col, delete, select, update

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import token_digest
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import LoginSession, OidcToken

REVOKED_KEPT_SECONDS = 86_400  # a revoked row is kept a day (a replay of its tokens finds it revoked)


@dataclass(frozen=True)
class IssuedToken(TokenMixin):
    """A stored token as Authlib asks about it (authlib.oauth2.rfc6749.TokenMixin)."""

    row_id: int
    family: str
    client_id: str
    user_id: int
    session_id: int
    scope: str
    issued_at: float
    access_expires_at: float
    revoked: bool
    checked_at: float  # when it was read: "expired" is decided against the injected clock
    user: Any = field(default=None, compare=False)  # set by the bearer validator for the userinfo endpoint
    client: Any = field(default=None, compare=False)

    def check_client(self, client: Any) -> bool:
        return bool(client) and client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.access_expires_at - self.issued_at)

    def is_expired(self) -> bool:
        return self.checked_at >= self.access_expires_at

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> Any:
        return self.user

    def get_client(self) -> Any:
        return self.client


@dataclass(frozen=True)
class RefreshClaim:
    """Presenting a refresh token: its row (first use), or the family to revoke (a reuse), or neither."""

    token: IssuedToken | None = None
    reused_family: str | None = None


@dataclass(frozen=True)
class ConnectedApp:
    """A client holding live tokens of a user (settings' "Connected apps")."""

    client_id: str
    last_issued_at: float


class TokenStore:
    """Issued tokens in the SQL database."""

    def __init__(self, database: Database, clock: Clock):
        self._db = database
        self._clock = clock

    def _issued(self, row: OidcToken) -> IssuedToken:
        assert row.id is not None
        return IssuedToken(
            row_id=row.id,
            family=row.family,
            client_id=row.client_id,
            user_id=row.user_id,
            session_id=row.session_id,
            scope=row.scope,
            issued_at=row.issued_at,
            access_expires_at=row.access_expires_at,
            revoked=row.revoked_at is not None,
            checked_at=self._clock.now(),
        )

    def save(self, token: dict[str, Any], *, family: str, client_id: str, user_id: int, session_id: int) -> None:
        """Store what the token endpoint is about to answer (digests only)."""
        now = self._clock.now()
        refresh = token.get("refresh_token")
        with self._db.session() as db:
            db.add(
                OidcToken(
                    family=family,
                    client_id=client_id,
                    user_id=user_id,
                    session_id=session_id,
                    scope=str(token.get("scope") or ""),
                    access_digest=token_digest(token["access_token"]),
                    access_expires_at=now + int(token["expires_in"]),
                    refresh_digest=token_digest(refresh) if refresh else None,
                    issued_at=now,
                )
            )

    def by_access_token(self, access_token: str) -> IssuedToken | None:
        """The row of an access token (revoked and expired ones too: the caller asks), or None."""
        with self._db.session() as db:
            row = db.exec(select(OidcToken).where(col(OidcToken.access_digest) == token_digest(access_token))).first()
            return None if row is None else self._issued(row)

    def by_refresh_token(self, refresh_token: str) -> IssuedToken | None:
        """The row of a refresh token, or None."""
        with self._db.session() as db:
            row = db.exec(select(OidcToken).where(col(OidcToken.refresh_digest) == token_digest(refresh_token))).first()
            return None if row is None else self._issued(row)

    def claim_refresh(self, refresh_token: str, client_id: str) -> RefreshClaim:
        """Use a refresh token once: its row when it was neither used nor revoked, else the family to revoke. A
        token presented by another client than its own changes nothing (neither used nor its family revoked)."""
        digest = token_digest(refresh_token)
        mine = (col(OidcToken.refresh_digest) == digest, col(OidcToken.client_id) == client_id)
        with self._db.session() as db:
            claimed = db.exec(
                update(OidcToken)
                .where(*mine, col(OidcToken.rotated_at).is_(None), col(OidcToken.revoked_at).is_(None))
                .values(rotated_at=self._clock.now())
            )
            row = db.exec(select(OidcToken).where(*mine)).first()
            if row is None:
                return RefreshClaim()
            if (claimed.rowcount or 0) == 1:
                return RefreshClaim(token=self._issued(row))
            return RefreshClaim(reused_family=row.family)

    def family_revoked(self, family: str) -> bool:
        """Whether any token of the family was revoked (a revoked family stays revoked: see OidcServer.save_token)."""
        with self._db.session() as db:
            where = col(OidcToken.family) == family, col(OidcToken.revoked_at).is_not(None)
            return db.exec(select(OidcToken.id).where(*where)).first() is not None

    def revoke_family(self, family: str) -> int:
        """Revoke every token of one authorization; returns how many were still live."""
        return self._revoke(col(OidcToken.family) == family)

    def revoke_row(self, row_id: int) -> int:
        """Revoke one access token (and its refresh token)."""
        return self._revoke(col(OidcToken.id) == row_id)

    def revoke_for_client(self, user_id: int, client_id: str) -> int:
        """Revoke everything a client holds for a user ("Disconnect")."""
        return self._revoke(col(OidcToken.user_id) == user_id, col(OidcToken.client_id) == client_id)

    def _revoke(self, *where: Any) -> int:
        with self._db.session() as db:
            done = db.exec(
                update(OidcToken)
                .where(*where, col(OidcToken.revoked_at).is_(None))
                .values(revoked_at=self._clock.now())
            )
            return done.rowcount or 0

    @staticmethod
    def purge_dead(tx: Session, now: float) -> int:
        """Delete, in the caller's transaction, the rows that can never work again: their login session is gone, or
        their access token expired without a refresh token, or they were revoked a day ago. A used refresh token's
        row stays while its session lives: presenting it again must still find and revoke its family."""
        dead = or_(
            ~col(OidcToken.session_id).in_(select(LoginSession.id)),
            and_(col(OidcToken.refresh_digest).is_(None), col(OidcToken.access_expires_at) < now),
            col(OidcToken.revoked_at) < now - REVOKED_KEPT_SECONDS,
        )
        return tx.exec(delete(OidcToken).where(dead)).rowcount or 0

    def connected_apps(self, user_id: int) -> list[ConnectedApp]:
        """The clients holding unrevoked tokens of a user, most recent first."""
        with self._db.session() as db:
            rows = db.exec(
                select(OidcToken.client_id, OidcToken.issued_at)
                .where(
                    col(OidcToken.user_id) == user_id,
                    col(OidcToken.revoked_at).is_(None),
                    col(OidcToken.session_id).in_(select(LoginSession.id)),  # dead with their session otherwise
                )
                .order_by(col(OidcToken.issued_at).desc())
            ).all()
        latest: dict[str, float] = {}
        for client_id, issued_at in rows:
            latest.setdefault(client_id, issued_at)
        return [ConnectedApp(client_id, at) for client_id, at in latest.items()]
