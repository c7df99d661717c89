"""A signed-in user sees an administrator's pending reset of their 2FA on the dashboard and can cancel it there."""

from __future__ import annotations

from sms2fa_app.backend.admin.resets import IdentityCheck, ResetOutcome
from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from sms2fa_app.state.dashboard import DashboardState
from tests.support.states import deliver, make_state, run
from tests.unit.state.admin.test_admin_states import NOTE, account

PHONE = "+16502531212"


async def dashboard_of(services: Services, user_id: int) -> DashboardState:
    state = make_state(DashboardState)
    await deliver(state, session_token=services.sessions.create(user_id, BY_PASSWORD, how="sms").token)
    await run(state.load())
    return state


async def test_the_dashboard_shows_a_pending_reset_and_cancels_it(services: Services) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    user = account(services, "ada@example.com", phone=PHONE)
    resets = services.admin.resets
    assert resets.schedule(admin.id, user.id, IdentityCheck.VIDEO_CALL, NOTE, True) is ResetOutcome.SCHEDULED
    state = await dashboard_of(services, user.id)
    assert "An administrator scheduled a reset" in state.pending_reset

    await run(state.cancel_pending_reset())
    assert state.pending_reset == "" and words.message_id(state.reset_notice) == words.admin.RESET_CANCELLED_IN_APP.id
    assert resets.pending(user.id) is None
    assert resets.apply_due() == 0  # nothing left to apply, whenever the sweep runs


async def test_no_banner_without_a_pending_reset_and_a_second_cancel_says_so(services: Services) -> None:
    user = account(services, "ada@example.com", phone=PHONE)
    state = await dashboard_of(services, user.id)
    assert state.pending_reset == ""
    await run(state.cancel_pending_reset())
    assert words.message_id(state.reset_notice) == words.admin.RESET_NOT_PENDING.id


async def test_nobody_signed_in_cancels_nothing(services: Services) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    user = account(services, "ada@example.com", phone=PHONE)
    services.admin.resets.schedule(admin.id, user.id, IdentityCheck.VIDEO_CALL, NOTE, True)
    state = make_state(DashboardState)
    await run(state.cancel_pending_reset())
    assert services.admin.resets.pending(user.id) is not None
