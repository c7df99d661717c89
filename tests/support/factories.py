"""Creating accounts and sessions for tests through the real backend."""

from __future__ import annotations

from sms2fa_app.backend.assurance import BY_PASSWORD, Amr, Level
from sms2fa_app.backend.factors.grants import Operation, needed_reauth
from sms2fa_app.backend.factors.passkeys import PasskeyProblem
from sms2fa_app.backend.identity.email_addresses import canonical_email
from sms2fa_app.backend.identity.passwords import PasswordHasher
from sms2fa_app.backend.identity.sessions import ActiveSession, IssuedSession
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services
from tests.support.soft_authenticator import SoftAuthenticator

PASSWORD = "correct horse battery"
OLD_PHONE = "+16502531212"  # the number an account enrolled for a factor-change test starts with
NEW_PHONE = "+14155552671"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"


# Accounts are written directly (sign-up itself is tested through its own path); argon2 hashes carry their
# parameters, so the app verifies these cheap ones like any other.
_HASHER = PasswordHasher(time_cost=1, memory_cost_kib=1024)


def create_user(
    services: Services, email: str = "ada@example.com", *, phone: str | None = None, verified: bool = True
) -> User:
    """An account with PASSWORD whose address is verified (unless told otherwise); with a phone, 2FA is on."""
    canonical = canonical_email(email)
    assert isinstance(canonical, str), canonical
    user = User(
        email=canonical,
        password_hash=_HASHER.hash(PASSWORD),
        phone_number=phone,
        is_two_factor_enabled=phone is not None,
        email_verified_at=services.clock.now() if verified else None,
    )
    with services.database.session() as db:
        db.add(user)
    return user


def account(services: Services, user_id: int = 1) -> User:
    """The stored account (it must exist)."""
    found = services.accounts.get(user_id)
    assert found is not None
    return found


def signed_in(services: Services, user_id: int = 1) -> tuple[str, ActiveSession]:
    """A fully signed-in session of the user: (token, session)."""
    issued = services.sessions.create(user_id, BY_PASSWORD)
    return issued.token, issued.session


def log_in(services: Services, email: str = "ada@example.com") -> IssuedSession:
    """A session after the password step (stage depends on the user's 2FA)."""
    result = services.accounts.log_in(email, PASSWORD)
    assert result.issued is not None, result.outcome
    return result.issued


def granted(
    services: Services, session: ActiveSession, operation: Operation, level: Level | None = None
) -> ActiveSession:
    """The session, holding a re-authentication grant for `operation` and re-authenticated at `level` (by default
    the one the operation needs), as the password and code steps leave it."""
    user = services.accounts.get(session.user_id)
    two_factor_on = user is not None and user.is_two_factor_enabled
    # (a session made up by the test, with no row, gets its ticket all the same)
    password_at = services.sessions.reauthenticate(session.session_id, BY_PASSWORD) or services.clock.now()
    if (level or needed_reauth(operation, two_factor_on)) is Level.TWO_FACTOR:
        services.sessions.reauthenticate(session.session_id, (Amr.SMS,))
    services.factor_changes.grants.grant(session.user_id, session.session_id, operation, password_at)
    return session


def register_passkey(
    services: Services, user_id: int, authenticator: SoftAuthenticator, name: str = "Laptop", session_id: int = 999
) -> int:
    """A passkey made by `authenticator` for the user, straight through the backend (no grant, no finish);
    returns its id."""
    options = services.passkeys.registration_options(user_id, session_id, "ada@example.com")
    with services.database.session() as db:
        added = services.passkeys.register(user_id, session_id, authenticator.create(options), name, "", db=db)
    assert not isinstance(added, PasskeyProblem), added
    return added.passkey_id
