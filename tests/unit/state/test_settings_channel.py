"""'Send my codes by': a text or WhatsApp for the same verified number, chosen at enrollment or in settings."""

from __future__ import annotations

import sms2fa_app.state.language  # noqa: F401  # in the state tree before the first page is made (the guard asks it)
from sms2fa_app.backend.services import Services
from sms2fa_app.state.settings import Step
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import run
from tests.unit.state.test_settings_state import NEW_PHONE, OLD_PHONE, begin_enrollment, signed_in_settings


def stored_channel(services: Services) -> str:
    user = services.accounts.find_by_email("ada@example.com")
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


async def test_settings_switch_between_text_and_whatsapp(services: Services) -> None:
    state = await signed_in_settings(services, phone=OLD_PHONE)
    assert state.code_channel == "sms"
    await run(state.choose_channel("whatsapp"))
    assert stored_channel(services) == "whatsapp" and state.notice_id == "settings.channel_saved.whatsapp"
    await run(state.choose_channel("sms"))
    assert stored_channel(services) == "sms" and state.code_channel == "sms"
    assert state.notice_id == "settings.channel_saved.sms"


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
