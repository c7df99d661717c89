"""Issue 12, part 2: step counters over every wizard flow, the words per factor and per operation, and the
deadlines the pages count down (lockout, the code's expiry, the per-number cooldown of setup codes)."""

from __future__ import annotations

import itertools

import pyotp
import pytest

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from sms2fa_app.state.challenge import ChallengeState
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.settings import Step
from sms2fa_app.state.settings.steps import flow, step_number
from tests.support.factories import PASSWORD, create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import StatePage, make_state, redirect_path, resend_wait, run, settings_signed_in

PHONE = "+14155551212"
NEW_PHONE = "+14155552671"
OTHER_PHONE = "+14155552672"
RESULT_SCREENS = (Step.STATUS, Step.DONE, Step.RECOVERY_CODES)


# ---- step counters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "two_factor_on", "reauth"),
    list(itertools.product(Operation, (True, False), (Factor.SMS, Factor.TOTP, Factor.RECOVERY, Factor.PASSKEY))),
)
def test_every_step_of_every_flow_is_numbered_from_the_password_on(
    operation: Operation, two_factor_on: bool, reauth: Factor
) -> None:
    steps = flow(operation, two_factor_on, reauth)
    assert steps[0] is Step.REAUTH_PASSWORD  # the password step counts
    assert (Step.REAUTH_CODE in steps) == (two_factor_on and reauth is Factor.SMS)
    numbers = [step_number(operation, two_factor_on, reauth, step) for step in steps]
    if len(steps) == 1:
        assert numbers == [None]  # a one-step flow shows no counter
    else:
        assert numbers == [(n, len(steps)) for n in range(1, len(steps) + 1)]
    for screen in RESULT_SCREENS:
        assert step_number(operation, two_factor_on, reauth, screen) is None


def test_change_number_counts_its_re_authentication() -> None:
    """The bug: change-number started at "Step 1 of 3" after two steps."""
    assert flow(Operation.CHANGE_NUMBER, True, Factor.SMS) == (
        Step.REAUTH_PASSWORD,
        Step.REAUTH_CODE,
        Step.PHONE,
        Step.CODE,
    )
    assert step_number(Operation.CHANGE_NUMBER, True, Factor.SMS, Step.PHONE) == (3, 4)
    assert step_number(Operation.CHANGE_NUMBER, True, Factor.TOTP, Step.PHONE) == (2, 3)
    assert step_number(Operation.ENABLE_SMS, False, Factor.SMS, Step.PHONE) == (2, 3)


async def settings_of(services: Services, phone: str | None = None) -> StatePage:
    create_user(services, phone=phone)
    return await settings_signed_in(services, two_factor=phone is not None)


async def test_the_wizard_shows_each_step_of_changing_the_number(services: Services, gateway: RecordingGateway) -> None:
    state = await settings_of(services, PHONE)
    assert state.step_label == ""  # the status page is no step
    await run(state.start(Operation.CHANGE_NUMBER))
    assert state.step_label == "Step 1 of 4"
    await run(state.confirm_password({"password": PASSWORD}))
    assert state.step == Step.REAUTH_CODE and state.step_label == "Step 2 of 4"
    await run(state.verify_reauth_code({"code": gateway.sent[-1].code}))
    assert state.step == Step.PHONE and state.step_label == "Step 3 of 4"
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    assert state.step == Step.CODE and state.step_label == "Step 4 of 4"
    await run(state.verify_enroll_code({"code": gateway.last_code(NEW_PHONE)}))
    assert state.step_label == ""


# ---- words -------------------------------------------------------------------------------------------------


def test_re_authentication_names_every_operation_its_button_and_its_consequence() -> None:
    for operation in Operation:
        button, consequence = words.settings.OPERATION_CONFIRMS[operation]
        assert words.settings.OPERATION_TITLES[operation] and button and consequence.endswith(".")
    assert words.settings.OPERATION_CONFIRMS[Operation.DISABLE][0] == "Turn off two-factor authentication"


async def test_the_re_authentication_screen_says_what_is_confirmed(services: Services) -> None:
    state = await settings_of(services, PHONE)
    await run(state.start(Operation.DISABLE))
    assert state.action_title == "Turn off two-factor authentication"
    assert state.action_confirm == "Turn off two-factor authentication"
    assert "password alone" in state.action_consequence
    await run(state.cancel())
    assert state.action_title == state.action_confirm == state.action_consequence == ""


@pytest.mark.parametrize("factor", [Factor.SMS, Factor.TOTP, Factor.RECOVERY])
def test_each_factor_has_its_own_words_and_the_tries_never_read_zero(factor: Factor) -> None:
    malformed = words.challenge.verify_failed(VerifyResult(VerifyStatus.MALFORMED), factor)
    wrong = words.challenge.verify_failed(VerifyResult(VerifyStatus.WRONG, attempts_left=0), factor)
    locked = words.challenge.verify_failed(VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=57), factor)
    names = {Factor.SMS: "text message", Factor.TOTP: "authenticator app", Factor.RECOVERY: "recovery code"}
    assert names[factor] in malformed.lower()
    assert "0 tries" not in wrong and "1 try left" in wrong
    assert "recovery codes included" in locked  # the one lock: said plainly, so nobody retries in vain
    others = [other for other in names if other is not factor]
    for other in others:
        assert words.challenge.verify_failed(VerifyResult(VerifyStatus.MALFORMED), other) != malformed
        assert words.challenge.verify_failed(
            VerifyResult(VerifyStatus.WRONG, 3), other
        ) != words.challenge.verify_failed(VerifyResult(VerifyStatus.WRONG, 3), factor)


def test_the_email_is_masked() -> None:
    assert words.common.masked_email("ada@example.com") == "a…@example.com"
    assert words.common.masked_email("not-an-address") == "…"


# ---- deadlines the pages count down --------------------------------------------------------------------------


async def challenge_of(services: Services) -> ChallengeState:
    state = make_state(LoginState)
    events = await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    assert redirect_path(events) == "/2fa-challenge"
    challenge = await state.get_state(ChallengeState)
    await run(challenge.load())
    return challenge


def ms(clock: FakeClock, seconds: float) -> int:
    return round((clock.now() + seconds) * 1000)


async def test_the_challenge_sends_the_code_expiry_and_whose_sign_in_it_is(
    services: Services, clock: FakeClock, gateway: RecordingGateway
) -> None:
    create_user(services, phone=PHONE)
    challenge = await challenge_of(services)
    ttl = services.settings.otp_ttl_seconds
    assert challenge.email_hint == "a…@example.com"
    assert challenge.code_expires_at == ms(clock, ttl) and challenge.locked_until == 0
    clock.advance(services.settings.otp_resend_cooldown_seconds)
    await run(challenge.resend({}))
    assert challenge.code_expires_at == ms(clock, ttl)  # the new code's own expiry
    clock.advance(10)
    await run(challenge.load())  # a reload reads the pending code's expiry from the server
    assert challenge.code_expires_at == ms(clock, ttl - 10)
    await run(challenge.use_method(Factor.RECOVERY))
    await run(challenge.use_method(Factor.SMS))
    assert challenge.code_expires_at == ms(clock, ttl - 10)


async def test_a_lockout_in_force_is_counted_down_on_load_for_every_method(
    services: Services, clock: FakeClock
) -> None:
    user = create_user(services, phone=PHONE)
    for _ in range(services.settings.otp_lockout_threshold):
        services.lockout.register_failure(user.id or 0, "totp")
    challenge = await challenge_of(services)
    lock = services.settings.otp_lockout_base_seconds
    assert challenge.locked_until == ms(clock, lock)
    codes = services.recovery.generate(user.id or 0)
    await run(challenge.use_method(Factor.RECOVERY))
    await run(challenge.verify({"code": codes[0]}))  # the one lock holds recovery codes too, and says so
    assert "recovery codes included" in challenge.error and services.recovery.remaining(user.id or 0) == 10
    clock.advance(lock)
    assert redirect_path(await run(challenge.verify({"code": codes[0]}))) == "/dashboard"


async def test_settings_re_authentication_counts_the_lockout_down(services: Services, clock: FakeClock) -> None:
    state = await settings_of(services, PHONE)
    setup = services.totp.begin_setup(1, "ada@example.com")
    totp = pyotp.TOTP(setup.secret)
    assert services.totp.confirm_setup(1, totp.at(clock.now() - 30)).ok
    await run(state.load())
    await run(state.start(Operation.DISABLE))
    await run(state.use_reauth_method(Factor.TOTP))
    window = {totp.at(clock.now() + offset) for offset in (-30, 0, 30)}
    wrong = next(guess for guess in ("000000", "111111", "222222") if guess not in window)
    for _ in range(services.settings.otp_lockout_threshold):
        await run(state.confirm_password({"password": PASSWORD, "code": wrong}))
    lock = services.settings.otp_lockout_base_seconds
    assert state.error_id == "challenge.locked.totp" and state.locked_until == ms(clock, lock)
    await run(state.cancel())
    assert state.locked_until == 0
    await run(state.start(Operation.REGENERATE_CODES))  # another operation: the server's lock, still running
    assert state.locked_until == ms(clock, lock)


async def test_a_setup_code_may_go_to_another_number_at_once(services: Services, gateway: RecordingGateway) -> None:
    state = await settings_of(services)
    await run(state.start(Operation.ENABLE_SMS))
    await run(state.confirm_password({"password": PASSWORD}))
    state.set_phone_input(NEW_PHONE)
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    cooldown = services.settings.otp_resend_cooldown_seconds
    assert state.step == Step.CODE and resend_wait(state, services.clock) == cooldown
    await run(state.back())
    assert state.step == Step.PHONE
    state.set_phone_input(NEW_PHONE)  # the same number: its cooldown still counts down on "Send code"
    assert resend_wait(state, services.clock) == cooldown
    sent = len(gateway.sent)
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    assert state.error.startswith("A code was just sent") and len(gateway.sent) == sent
    state.set_phone_input(OTHER_PHONE)  # a typo fixed: another number may have a code at once
    assert state.resend_at == 0
    await run(state.send_enroll_code({"phone": OTHER_PHONE}))
    assert state.error == "" and state.step == Step.CODE and gateway.sent[-1].to == OTHER_PHONE
