"""Creating accounts and sessions for tests through the real backend."""

from __future__ import annotations

from sms2fa_app.backend.factors.grants import Operation, Reauth, needed_reauth
from sms2fa_app.backend.identity.sessions import ActiveSession, IssuedSession
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services

PASSWORD = "correct horse battery"


def create_user(
    services: Services, email: str = "ada@example.com", *, phone: str | None = None, client_ip: str = ""
) -> User:
    """An account with PASSWORD; with a phone, 2FA is on. Signed up from `client_ip` (sign-ups per address are
    limited: many seeded accounts need as many addresses)."""
    result = services.accounts.sign_up(email, PASSWORD, PASSWORD, client_ip)
    assert result.issued is not None, result.problem
    services.sessions.end(result.issued.token)
    user = services.accounts.find_by_email(email)
    assert user is not None
    if phone is not None:
        user.phone_number = phone
        user.is_two_factor_enabled = True
        services.accounts.update(user)
    return user


def log_in(services: Services, email: str = "ada@example.com") -> IssuedSession:
    """A session after the password step (stage depends on the user's 2FA)."""
    result = services.accounts.log_in(email, PASSWORD)
    assert result.issued is not None, result.outcome
    return result.issued


def granted(
    services: Services, session: ActiveSession, operation: Operation, level: Reauth | None = None
) -> ActiveSession:
    """The session, holding a re-authentication grant for `operation` (as the password and code steps leave it)."""
    services.factor_changes.grants.grant(
        session.user_id, session.session_id, operation, level or needed_reauth(operation)
    )
    return session
