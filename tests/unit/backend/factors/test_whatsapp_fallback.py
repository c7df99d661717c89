"""A WhatsApp code and its one "Send a text instead" (OtpService on fakeredis with a FakeClock): the same code, once,
when the template is lost or late; no second send for the cooldown, a paid text in every other window."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.delivery.sms import DeliveryFailure
from sms2fa_app.backend.delivery.status import Channel, DeliveryStatuses
from sms2fa_app.backend.factors.results import VerifyStatus
from sms2fa_app.backend.factors.sms_codes import CodeSent, OtpService, Purpose, SendRefusal, SendRefused
from sms2fa_app.backend.infra.clock import FakeClock
from tests.support.otp_calls import IP, PHONE, SESSION, USER, redis_dump, verify
from tests.support.recording_gateway import RecordingGateway

FALLBACK_SECONDS = 20


@pytest.fixture
def deliveries(redis_client, clock: FakeClock) -> DeliveryStatuses:
    return DeliveryStatuses(redis_client, clock, 600)


@pytest.fixture
def otp(make_otp, gateway: RecordingGateway, deliveries: DeliveryStatuses) -> OtpService:
    service = make_otp(WHATSAPP_FALLBACK_SECONDS=str(FALLBACK_SECONDS))
    service._deliveries = deliveries
    gateway.reports_status = True
    return service


def send_whatsapp(otp: OtpService, **overrides) -> CodeSent | SendRefused:
    call = {"purpose": Purpose.LOGIN, "user_id": USER, "session_id": SESSION, "phone": PHONE, "client_ip": IP}
    return otp.request_code(**{**call, **overrides}, channel=Channel.WHATSAPP)


def text_instead(otp: OtpService, **overrides) -> CodeSent | SendRefused:
    call = {"purpose": Purpose.LOGIN, "user_id": USER, "session_id": SESSION, "phone": PHONE, "client_ip": IP}
    return otp.text_instead(**{**call, **overrides})


def whatsapp_code(gateway: RecordingGateway) -> str:
    (sent,) = [sent for sent in gateway.sent if sent.channel == "whatsapp"]
    return sent.code


def test_a_whatsapp_code_goes_as_the_template_and_verifies(otp, gateway) -> None:
    sent = send_whatsapp(otp)
    assert isinstance(sent, CodeSent) and sent.channel is Channel.WHATSAPP
    assert [entry.channel for entry in gateway.sent] == ["whatsapp"]
    assert verify(otp, whatsapp_code(gateway)).status is VerifyStatus.OK


def test_the_text_instead_waits_for_the_fallback_delay_then_sends_the_same_code_once(otp, gateway, clock) -> None:
    send_whatsapp(otp)
    code = whatsapp_code(gateway)
    early = text_instead(otp)
    assert early == SendRefused(SendRefusal.FALLBACK_NOT_YET, FALLBACK_SECONDS)
    clock.advance(FALLBACK_SECONDS)
    sent = text_instead(otp)
    assert isinstance(sent, CodeSent) and sent.channel is Channel.SMS
    assert [entry.channel for entry in gateway.sent] == ["whatsapp", "sms"] and gateway.sent[1].code == code
    assert text_instead(otp) == SendRefused(SendRefusal.NO_FALLBACK)  # once per code
    assert len(gateway.sent) == 2
    assert verify(otp, code).status is VerifyStatus.OK


def test_the_text_instead_is_no_second_send_for_the_cooldown(otp, gateway, clock) -> None:
    send_whatsapp(otp)
    clock.advance(FALLBACK_SECONDS)
    left = otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN)
    sent = text_instead(otp)
    assert isinstance(sent, CodeSent) and sent.resend_after_seconds == left
    clock.advance(left)
    assert otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) == 0


def test_a_lost_template_offers_the_text_at_once(otp, gateway, deliveries) -> None:
    send_whatsapp(otp)
    assert deliveries.record(gateway.sent[0].message_id, "failed", "30")
    assert isinstance(text_instead(otp), CodeSent)


def test_a_delivered_template_has_no_text_instead(otp, gateway, deliveries, clock) -> None:
    send_whatsapp(otp)
    assert deliveries.record(gateway.sent[0].message_id, "delivered")
    clock.advance(FALLBACK_SECONDS)
    assert text_instead(otp) == SendRefused(SendRefusal.NO_FALLBACK)


@pytest.mark.parametrize("after", ["verified", "expired", "texted"])
def test_no_text_instead_without_a_pending_whatsapp_code(otp, gateway, clock, after: str) -> None:
    if after == "texted":
        otp.request_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION, phone=PHONE, client_ip=IP)
    else:
        send_whatsapp(otp)
        if after == "verified":
            verify(otp, whatsapp_code(gateway))
    clock.advance(otp.policy.ttl_seconds if after == "expired" else FALLBACK_SECONDS)
    assert text_instead(otp) == SendRefused(SendRefusal.NO_FALLBACK)


def test_the_text_instead_is_a_paid_text_in_the_number_window(make_otp, gateway, clock) -> None:
    otp = make_otp(OTP_SENDS_PER_HOUR_PER_PHONE="1")
    send_whatsapp(otp)
    clock.advance(FALLBACK_SECONDS)
    refused = text_instead(otp)
    assert isinstance(refused, SendRefused) and refused.reason is SendRefusal.PHONE_LIMIT
    assert len(gateway.sent) == 1


def test_a_failed_fallback_text_stays_owed(otp, gateway, clock) -> None:
    send_whatsapp(otp)
    clock.advance(FALLBACK_SECONDS)
    gateway.fail_next(DeliveryFailure.TEMPORARY)
    assert text_instead(otp) == SendRefused(SendRefusal.DELIVERY_FAILED)
    assert isinstance(text_instead(otp), CodeSent)


def test_redis_never_holds_the_code_in_clear(otp, gateway, redis_client) -> None:
    send_whatsapp(otp)
    assert whatsapp_code(gateway) not in redis_dump(redis_client)


def test_the_challenge_can_ask_how_long_until_the_text_instead_without_spending_it(otp, gateway, clock) -> None:
    binding = {"purpose": Purpose.LOGIN, "user_id": USER, "session_id": SESSION}
    assert otp.text_instead_wait(**binding) is None  # no code yet
    send_whatsapp(otp)
    assert otp.text_instead_wait(**binding) == FALLBACK_SECONDS
    clock.advance(FALLBACK_SECONDS)
    assert otp.text_instead_wait(**binding) == 0
    assert otp.text_instead_wait(**binding) == 0  # looking spends nothing
    assert isinstance(text_instead(otp), CodeSent)
    assert otp.text_instead_wait(**binding) is None
