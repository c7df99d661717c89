"""The enrollment wizard and the challenge after a line check (issue 27): a landline is told it gets a call and
keeps getting calls at sign-in; a refused line says why (asserted by message id)."""

from __future__ import annotations

from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from sms2fa_app.state.challenge import ChallengeState
from sms2fa_app.state.language import LanguageState  # noqa: F401  # in the tree before the first state is built
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.settings import Operation, Step
from tests.support.factories import PASSWORD, account, create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import deliver, make_state, run, settings_page

LANDLINE = "+442079460000"
TOLL_FREE = "+18005550100"


async def wizard_at_phone_step(services: Services):
    create_user(services)
    state = settings_page()
    await deliver(state, session_token=services.accounts.log_in("ada@example.com", PASSWORD).issued.token)
    await run(state.load())
    await run(state.start(Operation.ENABLE_SMS))
    await run(state.confirm_password({"password": PASSWORD}))
    return state


async def test_a_landline_is_called_told_so_and_called_again_at_sign_in(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await wizard_at_phone_step(services)
    await run(state.send_enroll_code({"phone": LANDLINE}))
    assert state.step == Step.CODE and state.error == ""
    assert state.line_notice_id == "settings.landline_call"
    assert [(sent.to, sent.channel) for sent in gateway.sent] == [(LANDLINE, "voice")]
    await run(state.verify_enroll_code({"code": gateway.sent[-1].code}))
    assert state.step == Step.DONE and account(services).phone_channel == "voice"

    clock.advance(61)
    login = make_state(LoginState)
    await deliver(login)
    await run(login.log_in({"email": "ada@example.com", "password": PASSWORD}))
    await run((await login.get_state(ChallengeState)).load())  # the page sends the first code
    assert [(sent.to, sent.channel) for sent in gateway.sent][-1] == (LANDLINE, "voice")  # no text, a call


async def test_a_mobile_shows_no_landline_notice(services: Services, gateway: RecordingGateway) -> None:
    state = await wizard_at_phone_step(services)
    await run(state.send_enroll_code({"phone": "+14155551212"}))
    assert state.step == Step.CODE and state.line_notice == ""
    assert [sent.channel for sent in gateway.sent] == ["sms"]
