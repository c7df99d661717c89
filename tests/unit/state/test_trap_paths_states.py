"""Issue 23 through the state handlers: where a limit bites the page tells the truth, the proof of work keeps what
was typed and sends again by itself, and re-authentication and the reset open on the strongest factor."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.pow import solve
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.password_reset import ResetPasswordState
from sms2fa_app.state.settings import Operation, Step
from tests.conftest import make_settings
from tests.support.factories import PASSWORD, create_user, register_passkey
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer
from tests.support.send_windows import BUCKET_SECONDS, spend_sends
from tests.support.soft_authenticator import SoftAuthenticator
from tests.support.states import make_state, open_at, redirect_path, run
from tests.unit.state.test_account_settings_states import with_authenticator
from tests.unit.state.test_challenge_state import login
from tests.unit.state.test_results_states import browser_calls
from tests.unit.state.test_settings_state import signed_in_settings

PHONE = "+14155551212"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, POW_AFTER_LOGIN_FAILURES_PER_ACCOUNT="2")


def spend_the_hour(services: Services, user_id: int) -> None:
    """The user's texts of the last hour fill the quota (texts to a lost phone, say)."""
    now = services.clock.now()
    quota = services.settings.otp_sends_per_hour_per_user
    spend_sends(services.redis, f"otp:sends:user:{user_id}", quota, now)


async def test_the_challenge_says_no_code_was_sent_when_the_quota_is_reached(
    services: Services, gateway: RecordingGateway
) -> None:
    user = create_user(services, phone=PHONE)
    spend_the_hour(services, user.id)
    challenge = await login(services)
    assert challenge.not_sent and gateway.sent == []
    assert challenge.error_id == "challenge.send.user_limit"
    wait = challenge.resend_at / 1000 - services.clock.now()
    assert challenge.sends_held and 3500 < wait <= 3600 + BUCKET_SECONDS  # the buttons wait for the hour, counted down
    assert challenge.pow_challenge == "" and not challenge.proof_asked  # nothing spins for a send that can't go


async def test_a_held_resend_stops_the_proof_of_work(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    user = create_user(services, phone=PHONE)
    challenge = await login(services)
    assert not challenge.not_sent and len(gateway.sent) == 1
    spend_the_hour(services, user.id)
    clock.advance(60)
    await run(challenge.resend({"altcha": solve(services.pow.challenge())}))
    assert challenge.error_id == "challenge.send.user_limit" and challenge.sends_held
    assert challenge.pow_challenge == ""  # a posted proof would otherwise ask for the next one
    assert not challenge.not_sent  # the first code still works


async def test_proof_of_work_on_login_keeps_the_password_and_asks_for_the_resubmit(services: Services) -> None:
    create_user(services)
    state = make_state(LoginState)
    for _ in range(2):
        await run(state.log_in({"email": "ada@example.com", "password": "wrong"}))
    events = await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    assert state.error_id == "login.proof_required" and state.proof_asked
    assert browser_calls(events) == []  # the password field is not emptied
    events = await run(
        state.log_in({"email": "ada@example.com", "password": PASSWORD, "altcha": solve(state.pow_challenge)})
    )
    assert redirect_path(events) == "/dashboard" and not state.proof_asked


async def test_a_refused_password_after_a_proof_asks_for_no_resubmit(services: Services) -> None:
    """The widget then sends nothing by itself: the form would go again with an empty password, forever."""
    create_user(services)
    state = make_state(LoginState)
    for _ in range(2):
        await run(state.log_in({"email": "ada@example.com", "password": "wrong"}))
    await run(state.log_in({"email": "ada@example.com", "password": "wrong"}))
    assert state.proof_asked
    await run(state.log_in({"email": "ada@example.com", "password": "wrong", "altcha": solve(state.pow_challenge)}))
    assert state.error_id == "login.invalid_credentials" and state.pow_challenge and not state.proof_asked


async def test_re_authentication_opens_on_the_strongest_factor(services: Services, clock: FakeClock) -> None:
    """Texts, then the authenticator app, then a passkey: each, once the user has it, is where the step opens."""
    state = await signed_in_settings(services, phone=PHONE)
    await run(state.start(Operation.DISABLE))
    assert state.reauth_method == Factor.SMS  # texts are all this account has
    await run(state.cancel())
    with_authenticator(services, clock)
    await run(state.start(Operation.DISABLE))
    assert state.reauth_method == Factor.TOTP
    await run(state.cancel())
    register_passkey(services, 1, SoftAuthenticator(services.settings.passkey_origin))
    await run(state.start(Operation.DISABLE))
    assert state.reauth_method == Factor.PASSKEY


async def test_the_reset_opens_on_the_authenticator_app_when_there_is_one(
    services: Services, mailer: RecordingMailer, gateway: RecordingGateway, clock: FakeClock
) -> None:
    create_user(services, phone=PHONE)
    with_authenticator(services, clock)
    services.password_resets.request("ada@example.com", "203.0.113.9")
    services.jobs.drain()
    page = make_state(ResetPasswordState)
    open_at(page, mailer.last_link("ada@example.com", "/reset-password"))
    await run(page.load())
    assert page.method == Factor.TOTP and gateway.sent == []


async def test_an_admin_is_not_offered_to_remember_the_device(services: Services) -> None:
    user = create_user(services, phone=PHONE)
    assert (await login(services)).remember_label != ""
    with services.database.session() as tx:
        stored = tx.get(User, user.id)
        stored.is_admin = True
        tx.add(stored)
    assert (await login(services)).remember_label == ""  # an admin passes the challenge at every sign-in


async def test_a_refused_reauth_password_is_emptied_and_a_proof_keeps_it(services: Services, clock: FakeClock) -> None:
    """The password step keeps what was typed (the proof of work sends it again by itself); only a refused
    password is emptied."""
    state = await signed_in_settings(services, phone=PHONE)
    await run(state.start(Operation.DISABLE))
    events = await run(state.confirm_password({"password": "wrong"}))
    assert browser_calls(events) == [("_set_value", ("ref_field_password", ""))]
    await run(state.use_reauth_method(Factor.RECOVERY))
    assert state.pow_challenge == ""


async def test_after_the_password_another_factor_asks_only_for_its_code(
    services: Services, gateway: RecordingGateway
) -> None:
    state = await signed_in_settings(services, phone=PHONE)
    codes = services.recovery.generate(1)
    await run(state.start(Operation.DISABLE))
    await run(state.confirm_password({"password": PASSWORD}))
    assert state.step == Step.REAUTH_CODE and len(gateway.sent) == 1
    await run(state.use_reauth_method(Factor.RECOVERY))
    assert state.step == Step.REAUTH_CODE and state.reauth_method == Factor.RECOVERY  # no password again
    await run(state.verify_reauth_code({"code": codes[0]}))
    assert not services.accounts.get(1).is_two_factor_enabled
