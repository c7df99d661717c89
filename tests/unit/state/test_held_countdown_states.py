"""A held countdown says no more than the minute: a number's full hour, shown in the enrollment wizard, must not
tell to the second when another account's texts to that number leave its window."""

from __future__ import annotations

from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.services import Services
from sms2fa_app.state.settings import Step
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import run
from tests.unit.state.test_settings_state import NEW_PHONE, begin_enrollment, signed_in_settings


async def test_a_numbers_full_hour_is_counted_down_to_the_minute(services: Services, gateway: RecordingGateway) -> None:
    for other_user in range(100, 100 + services.settings.otp_sends_per_hour_per_phone):  # someone else's texts
        services.clock.advance(17.3)
        services.otp.request_code(
            purpose=Purpose.LOGIN, user_id=other_user, session_id=1, phone=NEW_PHONE, client_ip="198.51.100.9"
        )
    state = await signed_in_settings(services)
    await begin_enrollment(state)
    services.clock.advance(0.41)
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    assert state.step == Step.PHONE and state.sends_held and state.error != ""
    assert services.otp.resend_wait(user_id=1, purpose=Purpose.ENROLL) == 0  # held by the number's hour, no cooldown
    assert state.resend_at > services.clock.now() * 1000 and state.resend_at % 60_000 == 0
