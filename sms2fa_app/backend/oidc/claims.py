"""Who the end user is for OpenID: the app's own login session, read into claims.

- `sub`: the account's id as a string. Stable for the account's life and never reused (ids are not), never the
  email (which the user can change), and independent of SECRET_KEY.
- `acr`: `ACR_PASSWORD` for a session signed in by the password alone, `ACR_TWO_FACTOR` for two factors (a passkey
  that verified its user counts as two); a client demands the second with `acr_values=ACR_TWO_FACTOR`.
- `amr`: what the session's sign-in presented (backend/assurance.py, RFC 8176 values); `auth_time`: when the
  sign-in `acr` names was made (a two-factor session's last second factor, never a password typed again alone).

Everything issued to a client is bound to the login session it was issued under and counts only while that session
lives: logout, "sign out everywhere", a password reset, a session ended from the list, account deletion and expiry
all end the session row, and that is the one hook (no token outlives it, whichever path ended it).
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oidc.core import UserInfo

from sms2fa_app.backend.assurance import Assurance, Level
from sms2fa_app.backend.identity.sessions import SessionStore
from sms2fa_app.backend.infra.crypto import TokenDigest
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import User

ACR_PASSWORD = "urn:sms2fa:acr:password"
ACR_TWO_FACTOR = "urn:sms2fa:acr:two-factor"
ACR_VALUES = (ACR_PASSWORD, ACR_TWO_FACTOR)


@dataclass(frozen=True)
class EndUser:
    """A signed-in account, seen through the login session a request or a token belongs to."""

    user_id: int
    email: str
    email_verified: bool
    two_factor_enabled: bool
    session_id: int
    assurance: Assurance

    def get_user_id(self) -> int:
        return self.user_id

    @property
    def two_factor(self) -> bool:
        return self.assurance.at_least(Level.TWO_FACTOR)

    @property
    def acr(self) -> str:
        return ACR_TWO_FACTOR if self.two_factor else ACR_PASSWORD

    @property
    def amr(self) -> tuple[str, ...]:
        return tuple(method.value for method in self.assurance.amr)

    @property
    def authenticated_at(self) -> float:
        """When the sign-in the `acr` claims was made: the last second factor of a two-factor session (a password
        typed again alone, as settings' re-authentication does, must not make an old two-factor sign-in fresh),
        else the last factor. `max_age`, `prompt=login` and the `auth_time` claim all read it."""
        second = self.assurance.second_factor_at if self.two_factor else None
        return self.assurance.auth_time if second is None else second

    @property
    def auth_time(self) -> int:
        return int(self.authenticated_at)


def _end_user(user: User, session_id: int, assurance: Assurance) -> EndUser:
    assert user.id is not None
    return EndUser(
        user_id=user.id,
        email=user.email,
        email_verified=user.email_verified_at is not None,
        two_factor_enabled=user.is_two_factor_enabled,
        session_id=session_id,
        assurance=assurance,
    )


class EndUsers:
    """Reads end users from login sessions."""

    def __init__(self, database: Database, sessions: SessionStore):
        self._db = database
        self._sessions = sessions

    def from_cookie(self, digest: TokenDigest | None) -> EndUser | None:
        """The user of a signed-in session cookie (None: no session, or one still waiting for its second factor)."""
        found = self._sessions.resolve_with_user(digest)
        if found is None or found[1] is None or not found[0].is_authenticated:
            return None
        session, user = found
        return _end_user(user, session.session_id, session.assurance)

    def for_grant(self, user_id: int, session_id: int) -> EndUser | None:
        """The user a code or token was issued to, while the session it was issued under is still signed in."""
        with self._db.session() as db:
            assurance = self._sessions.assurance(session_id, db)
            user = db.get(User, int(user_id))
            if user is None or not assurance.signed_in:
                return None
            return _end_user(user, session_id, assurance)


def user_info(user: EndUser, scope: str) -> UserInfo:
    """The claims a scope releases: `sub` always, the address with `email`."""
    claims = UserInfo(sub=str(user.user_id))
    if "email" in scope_to_list(scope or ""):
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified
    return claims
