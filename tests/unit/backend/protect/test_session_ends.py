"""Ending a session in sms2fa takes effect at the very next request to a protected app, whichever way it ends: each
way is run after the verifier has cached the session (the request before it passed), and the next one must not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sms2fa_app.backend.assurance import Amr, Level
from sms2fa_app.backend.audit.activity import EventKind
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.flows.account_security import revoke_everything
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.crypto import token_digest
from sms2fa_app.backend.models import User
from sms2fa_app.backend.protect.facts import FactsCache, SessionFacts
from sms2fa_app.backend.protect.verifier import Allow, LogIn
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user, granted
from tests.unit.backend.protect.conftest import APP, cookie

URL = f"{APP}/wiki"
End = Callable[[Services, User, str, ActiveSession], None]


def _log_out(services: Services, _user: User, token: str, _session: ActiveSession) -> None:
    services.sessions.end(token)


def _sign_out_from_the_list(services: Services, user: User, _token: str, session: ActiveSession) -> None:
    assert services.sessions.end_for_user(int(user.id or 0), session.session_id)


def _sign_out_everywhere(services: Services, user: User, _token: str, _session: ActiveSession) -> None:
    kept = services.sessions.create(int(user.id or 0), (Amr.PWD, Amr.SMS)).session  # "everywhere but here"
    services.sessions.end_all_for_user(int(user.id or 0), kept.session_id)


def _revoke_everything(services: Services, user: User, _token: str, _session: ActiveSession) -> None:
    """A password change or reset, a factor change, an admin's 2FA reset."""
    with services.database.session() as tx:
        revoke_everything(tx, services.sessions, services.activity, int(user.id or 0), EventKind.PASSWORD_CHANGED)


def _admin_ends_sessions(services: Services, user: User, _token: str, _session: ActiveSession) -> None:
    admin = create_user(services, "root@example.com", phone="+16502530000")
    with services.database.session() as db:
        stored = db.get(User, admin.id)
        assert stored is not None
        stored.is_admin = True
    services.admin.console.end_sessions(int(admin.id or 0), int(user.id or 0))


def _delete_the_account(services: Services, _user: User, token: str, session: ActiveSession) -> None:
    ready = granted(services, session, Operation.DELETE_ACCOUNT)  # re-authenticating refreshes the cached facts
    assert isinstance(services.forward_auth.verify(cookie(services, token), URL), Allow)  # cached again
    assert services.deletion.delete(ready)


def _pushed_out_by_newer_sessions(services: Services, user: User, _token: str, _session: ActiveSession) -> None:
    for _ in range(services.settings.max_sessions_per_user):
        services.clock.advance(1)  # type: ignore[attr-defined]
        services.sessions.create(int(user.id or 0), (Amr.PWD, Amr.SMS))


def _token_replaced(services: Services, _user: User, token: str, session: ActiveSession) -> None:
    """A new token (a step up, a factor change keeping this session): the old one is void."""
    with services.database.session() as db:
        assert services.sessions.rotate(db, session.session_id) is not None


def _advanced_again(services: Services, _user: User, token: str, _session: ActiveSession) -> None:
    """A signed-in session given a new token by the sign-in path (a second factor presented again)."""
    assert services.sessions.advance(token, (Amr.SMS,)) is not None


def _expired_and_purged(services: Services, _user: User, _token: str, _session: ActiveSession) -> None:
    clock: FakeClock = services.clock  # type: ignore[assignment]
    clock.advance(services.settings.session_idle_seconds + 1)
    assert services.housekeeping.purge_expired(clock.now()).login_sessions == 1


ENDS: dict[str, End] = {
    "logout": _log_out,
    "sign_out_one_session": _sign_out_from_the_list,
    "sign_out_everywhere": _sign_out_everywhere,
    "password_or_factor_change": _revoke_everything,
    "admin_ends_sessions": _admin_ends_sessions,
    "account_deleted": _delete_the_account,
    "session_cap": _pushed_out_by_newer_sessions,
    "token_rotated": _token_replaced,
    "token_advanced": _advanced_again,
    "expired_and_purged": _expired_and_purged,
}


@pytest.mark.parametrize("end", ENDS.values(), ids=ENDS.keys())
def test_a_session_ended_any_way_is_refused_at_the_next_request(services: Services, end: End) -> None:
    user = create_user(services, phone="+16502531212")
    issued = services.sessions.create(int(user.id or 0), (Amr.PWD, Amr.SMS))
    assert isinstance(services.forward_auth.verify(cookie(services, issued.token), URL), Allow)  # now cached

    end(services, user, issued.token, issued.session)

    assert isinstance(services.forward_auth.verify(cookie(services, issued.token), URL), LogIn)


def test_a_late_fill_from_a_read_before_the_logout_cannot_bring_the_session_back(services: Services) -> None:
    """A verify that read SQL just before the logout committed fills the cache after it: SET NX over the
    tombstone changes nothing."""
    user = create_user(services, phone="+16502531212")
    issued = services.sessions.create(int(user.id or 0), (Amr.PWD, Amr.SMS))
    read_before = SessionFacts(int(user.id or 0), user.email, Level.TWO_FACTOR, ("pwd", "sms", "mfa"))
    services.sessions.end(issued.token)

    FactsCache(services.redis).fill(token_digest(issued.token), read_before, 30)

    assert isinstance(services.forward_auth.verify(cookie(services, issued.token), URL), LogIn)


def test_a_rolled_back_end_leaves_the_session_usable(services: Services) -> None:
    user = create_user(services, phone="+16502531212")
    issued = services.sessions.create(int(user.id or 0), (Amr.PWD, Amr.SMS))
    assert isinstance(services.forward_auth.verify(cookie(services, issued.token), URL), Allow)
    with pytest.raises(RuntimeError), services.database.session() as tx:
        services.sessions.end_all_for_user(int(user.id or 0), db=tx)
        raise RuntimeError("the transaction fails after the delete")
    assert isinstance(services.forward_auth.verify(cookie(services, issued.token), URL), Allow)
