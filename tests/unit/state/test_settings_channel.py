"""'Send my codes by': a text or WhatsApp for the same verified number, chosen at enrollment or in settings."""

from __future__ import annotations

import sms2fa_app.state.language  # noqa: F401  # in the state tree before the first page is made (the guard asks it)
from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.delivery.letter_words import NOTICES
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.flows.change_results import FactorChange
from sms2fa_app.backend.services import Services
from sms2fa_app.backend.vocabulary import EventKind
from sms2fa_app.state.settings import Step
from tests.support.factories import PASSWORD
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer
from tests.support.states import run
from tests.unit.state.test_settings_state import NEW_PHONE, OLD_PHONE, begin_enrollment, signed_in_settings

EMAIL = "ada@example.com"


def stored_channel(services: Services) -> str:
    user = services.accounts.find_by_email(EMAIL)
    assert user is not None
    return user.phone_channel


async def test_enrollment_saves_whatsapp_when_chosen_with_the_code(
    services: Services, gateway: RecordingGateway
) -> None:
    state = await signed_in_settings(services)
    assert state.whatsapp_offered  # the recording gateway sends templates, as the development outbox does
    await begin_enrollment(state)
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    assert gateway.sent[-1].channel == "sms"  # the number is proven by a text, whatever the choice
    await run(state.verify_enroll_code({"code": gateway.sent[-1].code, "channel": "whatsapp"}))
    assert state.step == Step.DONE and stored_channel(services) == "whatsapp" and state.code_channel == "whatsapp"


def kinds(services: Services) -> list[EventKind]:
    return [entry.kind for entry in services.activity.recent(1)]


async def test_switching_to_whatsapp_needs_the_password_and_a_second_factor(
    services: Services, gateway: RecordingGateway, mailer: RecordingMailer
) -> None:
    """WhatsApp codes go to whoever holds the number's WhatsApp account: a signed-in browser alone must not move
    them there. The same re-authentication as a number change (password, then a factor), then an activity line and
    the notice mail."""
    state = await signed_in_settings(services, phone=OLD_PHONE)
    await run(state.choose_channel("whatsapp"))
    assert stored_channel(services) == "sms"  # nothing changed yet: the password first
    assert state.step == Step.REAUTH_PASSWORD and state.operation == Operation.CHOOSE_WHATSAPP
    await run(state.confirm_password({"password": PASSWORD}))
    assert stored_channel(services) == "sms" and state.step == Step.REAUTH_CODE
    await run(state.verify_reauth_code({"code": gateway.sent[-1].code}))
    assert stored_channel(services) == "whatsapp" and state.code_channel == "whatsapp"
    assert state.step == Step.STATUS and state.notice_id == "settings.channel_saved.whatsapp"
    assert kinds(services)[0] is EventKind.CODES_BY_WHATSAPP
    services.jobs.drain()
    assert mailer.to(EMAIL)[-1].subject.endswith(NOTICES[EventKind.CODES_BY_WHATSAPP].subject.source)


async def test_a_signed_in_session_alone_cannot_switch_to_whatsapp(services: Services) -> None:
    state = await signed_in_settings(services, phone=OLD_PHONE)
    await run(state.choose_channel("whatsapp"))
    await run(state.cancel())
    assert stored_channel(services) == "sms" and EventKind.CODES_BY_WHATSAPP not in kinds(services)
    signed_in = services.sessions.advance(services.accounts.log_in(EMAIL, PASSWORD).issued.token, (Amr.SMS,))
    session = services.sessions.resolve(signed_in.token)
    assert session is not None
    assert services.factor_changes.choose_whatsapp(session).status is FactorChange.REAUTH_REQUIRED
    assert stored_channel(services) == "sms"


async def test_switching_back_to_text_is_free_but_recorded_and_mailed(
    services: Services, mailer: RecordingMailer
) -> None:
    state = await signed_in_settings(services, phone=OLD_PHONE)
    services.accounts.set_phone_channel(1, "whatsapp")
    await run(state.choose_channel("sms"))
    assert stored_channel(services) == "sms" and state.code_channel == "sms"
    assert state.notice_id == "settings.channel_saved.sms" and state.step == Step.STATUS
    assert kinds(services)[0] is EventKind.CODES_BY_TEXT
    services.jobs.drain()
    assert mailer.to(EMAIL)[-1].subject.endswith(NOTICES[EventKind.CODES_BY_TEXT].subject.source)
    await run(state.choose_channel("sms"))  # already so: nothing to record
    assert kinds(services).count(EventKind.CODES_BY_TEXT) == 1


async def test_anything_else_is_refused_and_changes_nothing(services: Services, gateway: RecordingGateway) -> None:
    state = await signed_in_settings(services, phone=OLD_PHONE)
    for refused in ("voice", "email", ""):
        await run(state.choose_channel(refused))
        assert state.error_id == "settings.channel_not_saved" and stored_channel(services) == "sms"
    gateway.whatsapp_ready = False  # WhatsApp not configured: the choice is not offered, nor taken
    assert await run(state.load()) == []
    assert not state.whatsapp_offered
    await run(state.choose_channel("whatsapp"))
    assert state.error_id == "settings.channel_not_saved" and stored_channel(services) == "sms"


async def test_without_a_number_there_is_nothing_to_choose(services: Services) -> None:
    state = await signed_in_settings(services)
    await run(state.choose_channel("whatsapp"))
    assert state.error_id == "settings.channel_not_saved" and stored_channel(services) == "sms"
