"""Settings wizard: enrollment bound to the server's proof, change and turn-off behind re-authentication."""

from __future__ import annotations

import re

from sms2fa_app.backend.assurance import Amr, Assurance, Level
from sms2fa_app.backend.factors.sms_policy import user_sends_key
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from sms2fa_app.state.settings import Operation, Step
from tests.support.factories import PASSWORD, create_user, log_in
from tests.support.recording_gateway import RecordingGateway
from tests.support.send_windows import sends_counted
from tests.support.states import StatePage, deliver, redirect_path, resend_wait, run, settings_page

NEW_PHONE = "+14155552671"
OLD_PHONE = "+14155551212"


async def signed_in_settings(services: Services, phone: str | None = None) -> StatePage:
    create_user(services, phone=phone)
    state = settings_page()
    issued = services.accounts.log_in("ada@example.com", PASSWORD)
    if phone is not None:  # skip the challenge: advance the session directly for settings tests
        issued = services.sessions.advance(issued.issued.token, (Amr.SMS,))
        await deliver(state, session_token=issued.token)
    else:
        await deliver(state, session_token=issued.issued.token)
    assert await run(state.load()) == []
    return state


async def begin_enrollment(state: StatePage) -> None:
    """Enable -> the password first (re-authentication before any factor change) -> the phone step."""
    await run(state.start(Operation.ENABLE_SMS))
    assert state.step == Step.REAUTH_PASSWORD
    await run(state.confirm_password({"password": PASSWORD}))
    assert state.step == Step.PHONE and state.error == ""


async def enroll(state: StatePage, gateway: RecordingGateway, phone: str = NEW_PHONE) -> None:
    await begin_enrollment(state)
    await run(state.send_enroll_code({"phone": phone}))
    assert state.error == "" and state.step == Step.CODE
    await run(state.verify_enroll_code({"code": gateway.sent[-1].code}))


async def test_enrollment_turns_2fa_on_for_the_verified_number(services: Services, gateway: RecordingGateway) -> None:
    state = await signed_in_settings(services)
    assert not state.two_factor_enabled
    await begin_enrollment(state)
    state.set_phone_input("(415) 555-2671")
    assert state.phone_preview == ""  # no region configured: national format is not understood
    state.set_phone_input("+1 415-555-2671")
    assert state.phone_preview == "+1 415-555-2671"  # as people write it, never raw E.164
    await run(state.send_enroll_code({"phone": "+1 415-555-2671"}))
    assert gateway.sent[-1].to == NEW_PHONE and state.step == Step.CODE
    assert resend_wait(state, services.clock) == services.settings.otp_resend_cooldown_seconds
    await run(state.verify_enroll_code({"code": gateway.sent[-1].code}))
    assert state.step == Step.DONE and state.two_factor_enabled and state.phone_ending == "2671"
    user = services.accounts.find_by_email("ada@example.com")
    assert user.is_two_factor_enabled and user.phone_number == NEW_PHONE


async def test_wrong_enrollment_code_changes_nothing(services: Services, gateway: RecordingGateway) -> None:
    state = await signed_in_settings(services)
    await begin_enrollment(state)
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    code = gateway.sent[-1].code
    await run(state.verify_enroll_code({"code": f"{(int(code) + 1) % 1_000_000:06d}"}))
    assert state.error_id == "challenge.sms.wrong" and state.step == Step.CODE
    assert not services.accounts.find_by_email("ada@example.com").is_two_factor_enabled


async def test_invalid_and_premium_numbers_are_refused_without_a_text(
    services: Services, gateway: RecordingGateway
) -> None:
    state = await signed_in_settings(services)
    await begin_enrollment(state)
    await run(state.send_enroll_code({"phone": "12345"}))
    assert state.error_id == "challenge.send.invalid_number"
    await run(state.send_enroll_code({"phone": "+1 900 555 0100"}))  # US premium rate
    assert state.error in (
        "That number can't receive our texts. Use a mobile number.",
        "Enter a valid mobile number with its country code, like +1 415 555 2671.",
    )
    assert gateway.sent == [] and state.step == Step.PHONE


async def test_a_number_used_by_another_account_answers_like_a_free_one_and_costs_a_send(
    services: Services, gateway: RecordingGateway
) -> None:
    """Probing which numbers are registered costs a text and learns nothing: same words, same steps."""
    create_user(services, "bob@example.com", phone=NEW_PHONE)
    free = await signed_in_settings(services)
    await begin_enrollment(free)
    await run(free.send_enroll_code({"phone": "+14155550199"}))
    create_user(services, "eve@example.com")
    taken = settings_page()
    await deliver(taken, session_token=services.accounts.log_in("eve@example.com", PASSWORD).issued.token)
    await run(taken.load())
    await begin_enrollment(taken)
    await run(taken.send_enroll_code({"phone": NEW_PHONE}))
    for name in ("error", "notice", "step", "resend_at"):
        assert getattr(taken, name) == getattr(free, name), name
    assert taken.step == Step.CODE and taken.error == ""
    notice = gateway.sent[-1]  # bob gets a notice, not a code; eve's sends count as usual
    assert notice.to == NEW_PHONE and "another sms2fa account" in notice.text
    assert re.search(r"\d{3,}", notice.text) is None  # no code in it
    user = services.accounts.find_by_email("eve@example.com")
    assert sends_counted(services.redis, user_sends_key(user.id)) == 1
    await run(taken.verify_enroll_code({"code": "123456"}))  # nothing eve types can take bob's number
    assert taken.error.startswith("That code isn't right.")
    assert services.accounts.find_by_email("bob@example.com").phone_number == NEW_PHONE


async def test_the_client_cannot_swap_the_number_after_verifying(services: Services, gateway: RecordingGateway) -> None:
    state = await signed_in_settings(services)
    await begin_enrollment(state)
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    state._pending_phone = "+14155550000"  # whatever the browser does, the proof is bound to the texted number
    await run(state.verify_enroll_code({"code": gateway.sent[-1].code}))
    assert state.error_id == "settings.no_proof"
    assert not services.accounts.find_by_email("ada@example.com").is_two_factor_enabled


async def test_back_and_cancel(services: Services, gateway: RecordingGateway) -> None:
    state = await signed_in_settings(services)
    await begin_enrollment(state)
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    await run(state.back())
    assert state.step == Step.PHONE
    await run(state.back())
    assert state.step == Step.STATUS
    await run(state.start(Operation.ENABLE_SMS))
    await run(state.cancel())
    assert state.step == Step.STATUS and not services.accounts.find_by_email("ada@example.com").is_two_factor_enabled


async def test_turning_off_needs_password_and_code(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await signed_in_settings(services, phone=OLD_PHONE)
    assert state.two_factor_enabled and state.phone_ending == "1212"
    await run(state.start(Operation.DISABLE))
    assert state.step == Step.REAUTH_PASSWORD
    await run(state.confirm_password({"password": "wrong password"}))
    assert state.error_id == "settings.password_wrong" and gateway.sent == []
    await run(state.confirm_password({"password": PASSWORD}))
    assert state.step == Step.REAUTH_CODE and gateway.sent[-1].to == OLD_PHONE
    await run(state.verify_reauth_code({"code": gateway.sent[-1].code}))
    assert state.step == Step.STATUS and not state.two_factor_enabled
    assert state.notice_id == "done.disable"
    user = services.accounts.find_by_email("ada@example.com")
    assert not user.is_two_factor_enabled and user.phone_number is None


async def test_change_keeps_the_old_number_until_the_new_one_is_verified(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await signed_in_settings(services, phone=OLD_PHONE)
    await run(state.start(Operation.CHANGE_NUMBER))
    await run(state.confirm_password({"password": PASSWORD}))
    await run(state.verify_reauth_code({"code": gateway.sent[-1].code}))
    assert state.step == Step.PHONE
    clock.advance(services.settings.otp_resend_cooldown_seconds)
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    assert state.step == Step.CODE
    assert services.accounts.find_by_email("ada@example.com").phone_number == OLD_PHONE
    await run(state.verify_enroll_code({"code": gateway.sent[-1].code}))
    assert state.step == Step.DONE
    assert services.accounts.find_by_email("ada@example.com").phone_number == NEW_PHONE


async def test_change_without_reauthentication_is_refused(services: Services, gateway: RecordingGateway) -> None:
    state = await signed_in_settings(services, phone=OLD_PHONE)
    state.operation = Operation.CHANGE_NUMBER
    state.step = Step.PHONE  # a browser jumping ahead
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    assert state.error_id == "settings.reauth_required" or state.step == Step.REAUTH_PASSWORD
    assert gateway.sent == []
    session = ActiveSession(
        session_id=1, user_id=1, assurance=Assurance(Level.TWO_FACTOR, ((Amr.PWD, 0), (Amr.SMS, 0))), created_at=0
    )
    assert services.factor_changes.disable(session).status.value == "reauth_required"


async def test_a_late_step_event_with_no_operation_shows_the_status_not_an_empty_form(
    services: Services, gateway: RecordingGateway
) -> None:
    """Issue 23: an answer that reaches a finished step (no grant, no operation) once opened the re-authentication
    form with no heading and an unlabelled button."""
    state = await signed_in_settings(services, phone=OLD_PHONE)
    await run(state.verify_totp_setup({"code": "123456"}))  # the step ended: no operation is being confirmed
    assert state.step == Step.STATUS and state.error == "" and state.action_title == ""
    assert gateway.sent == []


async def test_settings_requires_a_full_session(services: Services) -> None:
    create_user(services, phone=OLD_PHONE)
    state = settings_page()
    assert redirect_path(await run(state.load())) == "/login?next=/settings" or redirect_path(
        await run(state.load())
    ).startswith("/login")
    await deliver(state, session_token=log_in(services).token)  # password step only: 2FA still pending
    assert redirect_path(await run(state.load())) == "/2fa-challenge"
    assert redirect_path(await run(state.start(Operation.DISABLE))) == "/login"
    assert redirect_path(await run(state.verify_reauth_code({"code": "123456"}))) == "/login"


async def test_logout_clears_every_per_user_value_and_late_keystrokes_are_ignored(
    services: Services, gateway: RecordingGateway
) -> None:
    state = await signed_in_settings(services)
    await enroll(state, gateway)
    state.set_phone_input(NEW_PHONE)  # a debounced keystroke arriving after the wizard finished
    assert state.phone_input == "" and state.phone_preview == ""
    await run(state.log_out())
    assert state._session_token == "" and state.phone_ending == "" and not state.two_factor_enabled
    assert state.step == Step.STATUS


async def test_enabling_needs_the_password_first(services: Services, gateway: RecordingGateway) -> None:
    state = await signed_in_settings(services)
    await run(state.start(Operation.ENABLE_SMS))
    await run(state.confirm_password({"password": "wrong password"}))
    assert state.error_id == "settings.password_wrong" and state.step == Step.REAUTH_PASSWORD
    state.step = Step.PHONE  # a browser jumping ahead gets nothing texted
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    assert state.error_id == "settings.reauth_required" and state.step == Step.REAUTH_PASSWORD
    assert gateway.sent == []


async def test_a_user_with_2fa_cannot_text_a_new_number_without_the_code_step(
    services: Services, gateway: RecordingGateway
) -> None:
    state = await signed_in_settings(services, phone=OLD_PHONE)
    await run(state.send_enroll_code({"phone": NEW_PHONE}))  # called directly, mode still "enable"
    assert gateway.sent == [] and state.step == Step.STATUS  # no operation to confirm: no empty re-auth form
    await run(state.start(Operation.CHANGE_NUMBER))
    await run(state.confirm_password({"password": PASSWORD}))
    state.step = Step.PHONE  # password alone is not enough to change an existing factor
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    assert [text.to for text in gateway.sent] == [OLD_PHONE]


async def test_reauth_code_step_needs_the_password_on_the_server(services: Services, gateway: RecordingGateway) -> None:
    state = await signed_in_settings(services, phone=OLD_PHONE)
    state.operation, state.step = Operation.DISABLE, Step.REAUTH_CODE  # a browser skipping the password
    await run(state.resend_code({}))
    assert gateway.sent == [] and state.step == Step.REAUTH_PASSWORD
    await run(state.verify_reauth_code({"code": "123456"}))
    assert services.accounts.find_by_email("ada@example.com").is_two_factor_enabled


async def test_a_factor_change_ends_other_sessions_and_rotates_this_one(
    services: Services, gateway: RecordingGateway
) -> None:
    state = await signed_in_settings(services)
    other = log_in(services)
    before = state._session_token
    await enroll(state, gateway)
    assert state.step == Step.DONE
    assert services.sessions.resolve(other.token) is None
    assert state._session_token != before and services.sessions.resolve(before) is None
    assert services.sessions.resolve(state._session_token) is not None


async def test_the_code_step_names_the_number_even_when_sent_before_the_typing_echo(
    services: Services, gateway: RecordingGateway
) -> None:
    """A pasted number and Enter within the echo's debounce: the code step still says where the code went."""
    state = await signed_in_settings(services)
    await begin_enrollment(state)
    await run(state.send_enroll_code({"phone": "+1 415-555-2671"}))  # no set_phone_input came first
    assert state.step == Step.CODE and state.phone_preview == "+1 415-555-2671"
