"""Issue 24: one statement reads the caller and what their page shows about them; a second factor moves the session
it resolved without reading it again. Counted on the engine, as bench/load_counts.py counts a whole login."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.admin.resets import IdentityCheck
from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.services import Services
from sms2fa_app.state.dashboard import DashboardState
from tests.support.counting import counted
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import deliver, make_state, redirect_path, run
from tests.unit.state.admin.test_admin_states import NOTE, account
from tests.unit.state.test_challenge_state import login

PHONE = "+14155551212"


async def test_the_dashboard_reads_the_caller_its_card_and_a_pending_reset_in_one_statement(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    user = account(services, "ada@example.com", phone=PHONE)
    services.admin.resets.schedule(admin.id, user.id, IdentityCheck.VIDEO_CALL, NOTE, True)
    state = make_state(DashboardState)
    await deliver(state, session_token=services.sessions.create(user.id, BY_PASSWORD, how="sms").token)
    with counted(services, monkeypatch) as work:
        assert await run(state.load()) == []
    assert len(work.statements) == 1, work.statements
    assert state.two_factor_enabled and state.methods_on and state.pending_reset  # all of it from that one


async def test_the_challenge_page_reads_the_caller_and_their_factors_in_one_statement(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    account(services, "ada@example.com", phone=PHONE)
    challenge = await login(services)
    challenge._shown_session = 0  # a first visit again: the factor is chosen anew
    with counted(services, monkeypatch) as work:
        await run(challenge.load())
    reads = [statement for statement in work.statements if statement.startswith("SELECT")]
    assert len(reads) == 1, work.statements
    assert challenge.method == "sms" and not challenge.has_totp and not challenge.has_passkey


async def test_a_right_code_moves_the_session_the_guard_resolved_without_reading_it_again(
    services: Services, gateway: RecordingGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    account(services, "ada@example.com", phone=PHONE)
    challenge = await login(services)
    pending_token = challenge._session_token
    with counted(services, monkeypatch) as work:
        events = await run(challenge.verify({"code": gateway.last_code()}))
    assert redirect_path(events) == "/dashboard"
    by_token = [line for line in work.statements if "FROM login_sessions" in line and "token_hash =" in line]
    assert len(by_token) == 1, work.statements  # the guard's; the move is one conditional UPDATE
    assert services.sessions.resolve(pending_token) is None  # the old token stopped working
    assert services.sessions.resolve(challenge._session_token).is_authenticated
