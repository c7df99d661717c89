"""WhatsApp codes on a real Redis (the Lua scripts as Redis runs them): a fallback text given back after it failed
returns only to its own code; a verified code keeps no sealed copy; a "read" report counts as delivered; a template
that fails at once goes out as a text."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from sms2fa_app.backend.delivery.sms import DeliveryFailure, SmsDeliveryError
from sms2fa_app.backend.delivery.status import Channel, Delivery, DeliveryState, DeliveryStatuses
from sms2fa_app.backend.factors.results import VerifyStatus
from sms2fa_app.backend.factors.sms_codes import CodeSent, OtpService, Purpose, SendRefusal, SendRefused
from sms2fa_app.backend.infra.clock import FakeClock
from tests.conftest import make_settings
from tests.support.otp_calls import IP, PHONE, SESSION, USER, verify
from tests.support.recording_gateway import RecordingGateway

FALLBACK_SECONDS = 20
BINDING = {"purpose": Purpose.LOGIN, "user_id": USER, "session_id": SESSION}
CODE_KEY = f"otp:code:login:{USER}:{SESSION}"


class InterruptedGateway(RecordingGateway):
    """A recording gateway whose next text first runs `meanwhile` (the user's other tab), then fails like a Plivo
    timeout."""

    meanwhile: Callable[[], object] | None = None

    def send(self, to_e164: str, text: str) -> str:
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is None:
            return super().send(to_e164, text)
        meanwhile()
        raise SmsDeliveryError(DeliveryFailure.TEMPORARY, "read timeout")


@pytest.fixture
def gateway() -> InterruptedGateway:
    return InterruptedGateway(reports_status=True)


@pytest.fixture
def deliveries(real_redis: redis.Redis, clock: FakeClock) -> DeliveryStatuses:
    return DeliveryStatuses(real_redis, clock, 600)


@pytest.fixture
def otp(
    tmp_path: Path, real_redis: redis.Redis, gateway: InterruptedGateway, clock: FakeClock, deliveries: DeliveryStatuses
) -> OtpService:
    settings = make_settings(tmp_path, WHATSAPP_FALLBACK_SECONDS=str(FALLBACK_SECONDS))
    return OtpService(real_redis, gateway, clock, settings, deliveries=deliveries)


def sealed_copy(client: redis.Redis) -> dict[str, str]:
    """The code record's sealed WhatsApp copy: its non-empty `w`/`wt` fields (a new record holds them empty)."""
    return {name: value for name, value in client.hgetall(CODE_KEY).items() if name in ("w", "wt") and value}


def send(otp: OtpService, channel: Channel) -> CodeSent | SendRefused:
    return otp.request_code(**BINDING, phone=PHONE, client_ip=IP, channel=channel)


def text_instead(otp: OtpService) -> CodeSent | SendRefused:
    return otp.text_instead(**BINDING, phone=PHONE, client_ip=IP)


def test_a_failed_fallback_is_not_given_back_to_a_newer_code(
    otp: OtpService, gateway: InterruptedGateway, deliveries: DeliveryStatuses, real_redis: redis.Redis, clock
) -> None:
    """WhatsApp code A is lost; its text instead is taken, and while Plivo times out the other tab's "Call me"
    replaces A by a voice code B. A's sealed copy must not land in B's record: B has no text instead."""
    assert isinstance(send(otp, Channel.WHATSAPP), CodeSent)
    code_a = gateway.sent[0].code
    assert deliveries.record(gateway.sent[0].message_id, "failed", "30")
    gateway.meanwhile = lambda: send(otp, Channel.VOICE)
    assert text_instead(otp) == SendRefused(SendRefusal.DELIVERY_FAILED)
    assert gateway.sent[-1].channel == "voice" and gateway.sent[-1].code != code_a
    assert not sealed_copy(real_redis)
    clock.advance(FALLBACK_SECONDS)
    assert otp.text_instead_wait(**BINDING) is None
    assert text_instead(otp) == SendRefused(SendRefusal.NO_FALLBACK)
    assert [sent.channel for sent in gateway.sent] == ["whatsapp", "voice"]


def test_a_failed_fallback_of_the_same_code_stays_owed(otp: OtpService, gateway: InterruptedGateway, clock) -> None:
    send(otp, Channel.WHATSAPP)
    clock.advance(FALLBACK_SECONDS)
    gateway.fail_next(DeliveryFailure.TEMPORARY)
    assert text_instead(otp) == SendRefused(SendRefusal.DELIVERY_FAILED)
    sent = text_instead(otp)
    assert isinstance(sent, CodeSent) and gateway.sent[-1].code == gateway.sent[0].code


def test_a_verified_code_keeps_no_sealed_copy(otp: OtpService, gateway: InterruptedGateway, real_redis) -> None:
    send(otp, Channel.WHATSAPP)
    assert set(sealed_copy(real_redis)) == {"w", "wt"}
    assert verify(otp, gateway.sent[0].code).status is VerifyStatus.OK
    assert not sealed_copy(real_redis)


def test_a_read_template_is_delivered_and_has_no_text_instead(
    otp: OtpService, gateway: InterruptedGateway, deliveries: DeliveryStatuses, clock
) -> None:
    """WhatsApp reports "read" (sometimes without a "delivered" first): the person has the code."""
    send(otp, Channel.WHATSAPP)
    assert deliveries.record(gateway.sent[0].message_id, "read")
    assert deliveries.latest(f"login:{USER}:{SESSION}") == Delivery(Channel.WHATSAPP, DeliveryState.DELIVERED)
    assert not deliveries.record(gateway.sent[0].message_id, "failed", "30")  # final: the first final state wins
    clock.advance(FALLBACK_SECONDS)
    assert otp.text_instead_wait(**BINDING) is None
    assert text_instead(otp) == SendRefused(SendRefusal.NO_FALLBACK)
    assert [sent.channel for sent in gateway.sent] == ["whatsapp"]


def test_a_template_that_fails_at_once_goes_out_as_a_text(
    otp: OtpService, gateway: InterruptedGateway, caplog: pytest.LogCaptureFixture
) -> None:
    """The template is paused or the WhatsApp sender is down: the same request is texted (one code), not refused,
    so a WhatsApp user is not left with calls only."""
    gateway.fail_next(DeliveryFailure.TEMPORARY)
    with caplog.at_level(logging.INFO, logger="sms2fa.otp"):
        sent = send(otp, Channel.WHATSAPP)
    assert isinstance(sent, CodeSent) and sent.channel is Channel.SMS
    (texted,) = gateway.sent
    assert texted.channel == "sms"
    assert verify(otp, texted.code).status is VerifyStatus.OK
    logged = caplog.text
    assert "event=otp_texted_instead" in logged and "channel=whatsapp" in logged
    assert "event=otp_refused" not in logged and texted.code not in logged and PHONE not in logged
