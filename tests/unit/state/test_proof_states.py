"""Proof of work as the pages meet it: the widget gets a challenge when the server asks for a proof, the solved
payload goes back with the form (or the button's read of the widget), and each proof pays for one request."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.pow import solve
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.password_reset import ResetPasswordState
from sms2fa_app.state.settings import Operation, Step
from tests.conftest import make_settings
from tests.support.factories import PASSWORD, create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer
from tests.support.states import client_dict, make_state, open_at, redirect_path, run
from tests.unit.state.test_challenge_state import login
from tests.unit.state.test_settings_state import begin_enrollment, signed_in_settings

PHONE = "+14155551212"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, POW_AFTER_LOGIN_FAILURES_PER_ACCOUNT="2", POW_AFTER_SENDS_PER_HOUR_PER_USER="1")


async def test_login_under_pressure_shows_the_widget_and_passes_with_a_solved_proof(services: Services) -> None:
    create_user(services)
    state = make_state(LoginState)
    for _ in range(2):
        await run(state.log_in({"email": "ada@example.com", "password": "wrong"}))
        assert state.error_id == "login.invalid_credentials" and state.pow_challenge == ""
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    assert state.error_id == "login.proof_required"
    challenge = state.pow_challenge
    assert challenge and client_dict(state)  # the challenge goes to the browser (it holds no secret)
    await run(state.log_in({"email": "ada@example.com", "password": "wrong", "altcha": solve(challenge)}))
    assert state.error_id == "login.invalid_credentials"
    assert state.pow_challenge not in ("", challenge)  # that proof is spent: the widget gets a new challenge
    payload = solve(state.pow_challenge)
    events = await run(state.log_in({"email": "ada@example.com", "password": PASSWORD, "altcha": payload}))
    assert redirect_path(events) == "/dashboard" and state.pow_challenge == ""


async def test_a_resend_under_pressure_needs_the_widgets_proof(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    create_user(services, phone=PHONE)
    challenge = await login(services)  # the first code of the hour is free
    assert len(gateway.sent) == 1 and challenge.pow_challenge == ""
    clock.advance(60)
    await run(challenge.resend({"altcha": ""}))
    assert challenge.error_id == "challenge.send.proof_required"
    assert challenge.pow_challenge and len(gateway.sent) == 1
    await run(challenge.call_me({"altcha": solve(challenge.pow_challenge)}))
    assert challenge.error == "" and gateway.sent[-1].channel == "voice"


async def test_enrollment_under_pressure_posts_the_proof_with_the_phone_form(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await signed_in_settings(services)
    await begin_enrollment(state)
    await run(state.send_enroll_code({"phone": "+14155552671"}))
    assert state.step == Step.CODE and len(gateway.sent) == 1
    clock.advance(60)
    await run(state.resend_code({}))
    assert state.error.startswith("One more step") and state.pow_challenge
    await run(state.resend_code({"altcha": solve(state.pow_challenge)}))
    assert state.error == "" and len(gateway.sent) == 2


async def test_the_reset_pages_text_under_pressure_needs_the_widgets_proof(
    services: Services, mailer: RecordingMailer, gateway: RecordingGateway, clock: FakeClock
) -> None:
    create_user(services, phone=PHONE)
    services.password_resets.request("ada@example.com", "203.0.113.9")
    services.jobs.drain()
    page = make_state(ResetPasswordState)
    open_at(page, mailer.last_link("ada@example.com", "/reset-password"))
    await run(page.load())
    await run(page.send_code({}))  # the first text of the hour is free
    assert page.code_sent and page.pow_challenge == "" and len(gateway.sent) == 1
    clock.advance(60)
    await run(page.send_code({}))
    assert page.error_id == "challenge.send.proof_required"
    assert page.pow_challenge and len(gateway.sent) == 1
    await run(page.send_code({"altcha": solve(page.pow_challenge)}))
    assert page.error == "" and len(gateway.sent) == 2


async def test_re_authentication_by_text_under_pressure_posts_the_proof_with_the_password(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await signed_in_settings(services, phone=PHONE)
    await run(state.start(Operation.DISABLE))
    await run(state.confirm_password({"password": PASSWORD}))  # the first text of the hour is free
    assert state.step == Step.REAUTH_CODE and len(gateway.sent) == 1
    await run(state.back())
    clock.advance(60)
    await run(state.confirm_password({"password": PASSWORD}))
    assert state.error.startswith("One more step") and state.pow_challenge and len(gateway.sent) == 1
    await run(state.confirm_password({"password": PASSWORD, "altcha": solve(state.pow_challenge)}))
    assert state.error == "" and state.step == Step.REAUTH_CODE and len(gateway.sent) == 2
