"""Recovery codes, the authenticator app and remembered devices through the state handlers."""

from __future__ import annotations

import pyotp

from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from sms2fa_app.state.challenge import ChallengeState, Factor
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.settings import Operation, Step
from tests.support.factories import PASSWORD, create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import StatePage, deliver, make_state, redirect_path, run, settings_page

PHONE = "+14155551212"


async def enrolled_settings(services: Services, gateway: RecordingGateway) -> StatePage:
    """A signed-in user who enrolled through the wizard (and got recovery codes)."""
    create_user(services)
    state = settings_page()
    await deliver(state, session_token=services.accounts.log_in("ada@example.com", PASSWORD).issued.token)
    await run(state.load())
    await run(state.start(Operation.ENABLE_SMS))
    await run(state.confirm_password({"password": PASSWORD}))
    await run(state.send_enroll_code({"phone": PHONE}))
    await run(state.verify_enroll_code({"code": gateway.sent[-1].code}))
    assert state.step == Step.DONE
    return state


async def reauthenticate(state: StatePage, gateway: RecordingGateway, clock: FakeClock, mode: str) -> None:
    clock.advance(61)
    await run(state.start(mode))
    await run(state.use_reauth_method(Factor.SMS))  # the app, once added, is the default
    await run(state.confirm_password({"password": PASSWORD}))
    await run(state.verify_reauth_code({"code": gateway.sent[-1].code}))


async def reauthenticated_settings(
    services: Services, gateway: RecordingGateway, clock: FakeClock, mode: str
) -> StatePage:
    """An enrolled user's settings, the wizard closed, then re-authenticated for `mode`."""
    state = await enrolled_settings(services, gateway)
    await run(state.cancel())
    await reauthenticate(state, gateway, clock, mode)
    return state


async def challenge_for(services: Services, device_token: str = "") -> tuple[LoginState, ChallengeState, list]:
    login = make_state(LoginState)
    await deliver(login, device_token=device_token)
    events = await run(login.log_in({"email": "ada@example.com", "password": PASSWORD}))
    challenge = await login.get_state(ChallengeState)
    if redirect_path(events) == "/2fa-challenge":
        await run(challenge.load())  # the browser follows the redirect: the page texts the first code
    return login, challenge, events


async def test_enabling_shows_ten_recovery_codes_once(services: Services, gateway: RecordingGateway) -> None:
    state = await enrolled_settings(services, gateway)
    assert len(state.new_recovery_codes) == 10 and state.recovery_left == 10
    assert all(len(code) == 11 and code[5] == "-" for code in state.new_recovery_codes)
    await run(state.cancel())
    assert state.new_recovery_codes == []


async def test_a_recovery_code_signs_in_once(services: Services, gateway: RecordingGateway, clock: FakeClock) -> None:
    codes = (await enrolled_settings(services, gateway)).new_recovery_codes
    _login, challenge, _ = await challenge_for(services)
    await run(challenge.use_method(Factor.RECOVERY))
    assert challenge.method == Factor.RECOVERY
    events = await run(challenge.verify({"code": codes[0].upper()}))
    assert redirect_path(events) == "/dashboard"
    _login, again, _ = await challenge_for(services)
    await run(again.use_method(Factor.RECOVERY))
    await run(again.verify({"code": codes[0]}))
    assert again.error_id == "challenge.recovery.used"  # spent: no guess
    assert services.recovery.remaining(1) == 9


async def test_regenerating_needs_reauth_and_voids_the_old_set(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await enrolled_settings(services, gateway)
    old = state.new_recovery_codes
    await run(state.cancel())
    await reauthenticate(state, gateway, clock, Operation.REGENERATE_CODES)
    assert state.step == Step.RECOVERY_CODES and len(state.new_recovery_codes) == 10
    assert set(state.new_recovery_codes).isdisjoint(old)
    _login, challenge, _ = await challenge_for(services)
    await run(challenge.use_method(Factor.RECOVERY))
    await run(challenge.verify({"code": old[1]}))
    assert "isn't one of yours" in challenge.error


async def test_authenticator_setup_then_sign_in_with_it(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await reauthenticated_settings(services, gateway, clock, Operation.ADD_TOTP)
    assert state.step == Step.TOTP_SETUP and state.totp_secret and state.totp_qr.startswith("data:image/svg")
    totp = pyotp.TOTP(state.totp_secret)
    await run(state.verify_totp_setup({"code": totp.at(clock.now())}))
    assert state.totp_enabled and state.totp_secret == "" and state.step == Step.STATUS
    clock.advance(31)
    _login, challenge, _ = await challenge_for(services)
    assert challenge.has_totp
    await run(challenge.use_method(Factor.TOTP))
    code = totp.at(clock.now())
    assert redirect_path(await run(challenge.verify({"code": code}))) == "/dashboard"
    _login, again, _ = await challenge_for(services)
    assert again.method == Factor.TOTP  # the factor used last time is the default
    await run(again.verify({"code": code}))  # the same time step again: a replay
    assert "already used" in again.error


async def sign_in_remembering_the_device(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> ChallengeState:
    """After the cooldown, sign in with the texted code and "Remember this device" ticked."""
    clock.advance(61)
    _login, challenge, _ = await challenge_for(services)
    await run(challenge.verify({"code": gateway.sent[-1].code, "remember": "on"}))
    assert challenge._device_token
    return challenge


async def test_remembered_device_skips_the_challenge_until_forgotten(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await enrolled_settings(services, gateway)
    device_token = (await sign_in_remembering_the_device(services, gateway, clock))._device_token
    login, _challenge, events = await challenge_for(services, device_token)
    assert redirect_path(events) == "/dashboard"
    assert services.sessions.resolve(login._session_token).is_authenticated
    await run(state.load())
    assert len(state.devices) == 1
    await run(state.forget_device(state.devices[0]["id"]))
    assert state.devices == []
    _login, _challenge, events = await challenge_for(services, device_token)
    assert redirect_path(events) == "/2fa-challenge"


async def test_a_factor_change_voids_remembered_devices(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await enrolled_settings(services, gateway)
    challenge = await sign_in_remembering_the_device(services, gateway, clock)
    device_token = challenge._device_token
    await deliver(state, session_token=challenge._session_token)
    await reauthenticate(state, gateway, clock, Operation.CHANGE_NUMBER)
    clock.advance(61)
    await run(state.send_enroll_code({"phone": "+14155552671"}))
    await run(state.verify_enroll_code({"code": gateway.sent[-1].code}))
    assert state.step == Step.DONE
    _login, _challenge, events = await challenge_for(services, device_token)
    assert redirect_path(events) == "/2fa-challenge"


async def test_turning_2fa_off_removes_every_factor(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await reauthenticated_settings(services, gateway, clock, Operation.ADD_TOTP)
    await run(state.verify_totp_setup({"code": pyotp.TOTP(state.totp_secret).at(clock.now())}))
    assert state.totp_enabled
    await reauthenticate(state, gateway, clock, Operation.DISABLE)
    assert not state.two_factor_enabled and not state.totp_enabled and state.recovery_left == 0
    user = services.accounts.find_by_email("ada@example.com")
    assert not services.totp.is_enabled(user.id) and services.recovery.remaining(user.id) == 0
