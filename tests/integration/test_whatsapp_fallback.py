"""WhatsApp codes over HTTP: the real SDK posts the authentication template to LocalPlivo, which checks its shape
and POSTs signed delivery reports to the app's routes; the reports (delivered, failed, none: a timeout) decide
whether the same code may be texted instead, once, without spending the resend cooldown."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from sms2fa_app.backend.delivery.status import Channel, Delivery, DeliveryState
from sms2fa_app.backend.factors.results import VerifyStatus
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose, SendRefusal, SendRefused
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from tests.integration.test_plivo_callbacks import (
    BINDING,
    PHONE,
    SESSION,
    USER,
    app_server,
    send,
    served_backend,
    wait_for,
)
from tests.support.asgi_server import AsgiServer
from tests.support.plivo_server import NO_REPORT, LocalPlivo

__all__ = ["app_server"]  # the fixture, shared with the callbacks' tests

WHATSAPP_SENDER = "+14155550199"
TEMPLATE = "sms2fa_code"
FALLBACK_SECONDS = 20


@pytest.fixture
def services(
    tmp_path: Path, real_redis: redis.Redis, local_plivo: LocalPlivo, app_server: AsgiServer, clock: FakeClock
) -> Iterator[Services]:
    """The app's backend with WhatsApp configured, sending through LocalPlivo, reached back at APP_URL."""
    with served_backend(
        tmp_path,
        real_redis,
        clock,
        **local_plivo.settings(),
        APP_URL=app_server.url,
        WHATSAPP_SENDER=WHATSAPP_SENDER,
        WHATSAPP_TEMPLATE_NAME=TEMPLATE,
        WHATSAPP_TEMPLATE_LANGUAGES="es=es",
        WHATSAPP_FALLBACK_SECONDS=str(FALLBACK_SECONDS),
        SMS_PRICE_TABLE="*=0.05",
        WHATSAPP_PRICE_TABLE="US=0.025,*=0.04",
    ) as built:
        yield built


def text_instead(services: Services) -> CodeSent | SendRefused:
    return services.otp.text_instead(
        purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION, phone=PHONE, client_ip="203.0.113.7"
    )


def reports_of(local_plivo: LocalPlivo, count: int) -> list[str]:
    wait_for(lambda: len(local_plivo.reports) == count)
    return [report["status"] for report in local_plivo.reports]


def test_the_sdk_posts_the_template_local_plivo_accepts_it_and_the_code_verifies(
    services: Services, local_plivo: LocalPlivo
) -> None:
    sent = send(services, Channel.WHATSAPP)
    assert sent.channel is Channel.WHATSAPP
    (message,) = local_plivo.messages
    assert (message["type"], message["src"], message["dst"]) == ("whatsapp", WHATSAPP_SENDER, PHONE)
    assert message["template"]["name"] == TEMPLATE and message["template"]["language"] == "en"
    assert reports_of(local_plivo, 3) == ["queued", "sent", "delivered"]
    assert services.deliveries.latest(BINDING) == Delivery(Channel.WHATSAPP, DeliveryState.DELIVERED)
    assert text_instead(services) == SendRefused(SendRefusal.NO_FALLBACK)  # it arrived: no text instead
    code = local_plivo.last_code_for(PHONE)
    result = services.otp.verify_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION, code=code or "")
    assert result.status is VerifyStatus.OK


def test_a_failed_template_offers_the_same_code_by_text_at_once_and_only_once(
    services: Services, local_plivo: LocalPlivo
) -> None:
    local_plivo.deliver_next("failed", error_code="131026")
    send(services, Channel.WHATSAPP)
    code = local_plivo.last_code_for(PHONE)
    assert reports_of(local_plivo, 3) == ["queued", "sent", "failed"]
    assert services.deliveries.latest(BINDING) == Delivery(Channel.WHATSAPP, DeliveryState.FAILED, "131026")
    sent = text_instead(services)
    assert isinstance(sent, CodeSent) and sent.channel is Channel.SMS
    assert [message.get("type", "sms") for message in local_plivo.messages] == ["whatsapp", "sms"]
    assert local_plivo.last_code_for(PHONE) == code  # the same code, by text
    assert text_instead(services) == SendRefused(SendRefusal.NO_FALLBACK)
    assert len(local_plivo.messages) == 2


def test_a_template_never_delivered_offers_the_text_after_the_fallback_delay_without_the_cooldown(
    services: Services, local_plivo: LocalPlivo, clock: FakeClock
) -> None:
    local_plivo.deliver_next(NO_REPORT)
    send(services, Channel.WHATSAPP)
    code = local_plivo.last_code_for(PHONE)
    assert reports_of(local_plivo, 2) == ["queued", "sent"]
    assert text_instead(services) == SendRefused(SendRefusal.FALLBACK_NOT_YET, FALLBACK_SECONDS)
    clock.advance(FALLBACK_SECONDS)
    cooldown = services.otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN)
    assert cooldown > 0
    sent = text_instead(services)
    assert isinstance(sent, CodeSent) and sent.resend_after_seconds == cooldown  # no second send for the cooldown
    assert services.otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) == cooldown
    assert local_plivo.last_code_for(PHONE) == code
    wait_for(lambda: services.deliveries.latest(BINDING) == Delivery(Channel.SMS, DeliveryState.DELIVERED))
    result = services.otp.verify_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION, code=code or "")
    assert result.status is VerifyStatus.OK


def test_a_newer_code_takes_the_whatsapp_fallback_of_the_previous_code_with_it(
    services: Services, local_plivo: LocalPlivo, clock: FakeClock, real_redis: redis.Redis
) -> None:
    """The send writes the code's record without deleting it first (bucketed windows, issue 24): the sealed WhatsApp
    code of the previous code (`w`, `wt`) must not survive into a newer code's record, or "text instead" would
    text the old code (or nothing valid) for the new one."""
    local_plivo.deliver_next("failed", error_code="131026")
    send(services, Channel.WHATSAPP)
    assert reports_of(local_plivo, 3) == ["queued", "sent", "failed"]
    clock.advance(services.settings.otp_resend_cooldown_seconds + FALLBACK_SECONDS)
    send(services, Channel.SMS)
    assert services.otp.text_instead_wait(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION) is None
    assert text_instead(services) == SendRefused(SendRefusal.NO_FALLBACK)
    assert [message.get("type", "sms") for message in local_plivo.messages] == ["whatsapp", "sms"]


def test_the_charts_split_whatsapp_from_texts_and_price_it_per_message(
    services: Services, local_plivo: LocalPlivo
) -> None:
    local_plivo.deliver_next("undelivered", error_code="131047")
    send(services, Channel.WHATSAPP)
    wait_for(
        lambda: services.deliveries.latest(BINDING) == Delivery(Channel.WHATSAPP, DeliveryState.UNDELIVERED, "131047")
    )
    assert isinstance(text_instead(services), CodeSent)
    charts = services.admin.charts.read(hours=1)
    assert charts.whatsapp.series == ("US",) and [counts for _hour, counts in charts.whatsapp.hours] == [(1,)]
    assert charts.texts.series == ("US",) and [counts for _hour, counts in charts.texts.hours] == [(1,)]
    (spend,) = charts.spend
    assert (spend.country, spend.texts, spend.whatsapp, spend.amount) == ("US", 1, 1, 0.075)


def test_local_plivo_refuses_a_template_without_the_copy_code_button(local_plivo: LocalPlivo) -> None:
    """The double is as strict as the shape the SDK posts: a malformed template is a 400, as at Plivo."""
    from sms2fa_app.backend.delivery.sms import PlivoGateway, SmsDeliveryError
    from sms2fa_app.backend.delivery.whatsapp import WhatsAppTemplate

    class BodyOnly(WhatsAppTemplate):
        def for_code(self, code: str, locale: str = "en"):  # type: ignore[no-untyped-def]
            template = super().for_code(code, locale)
            template.components = template.components[:1]
            return template

    settings = local_plivo.settings()
    gateway = PlivoGateway(
        settings["PLIVO_AUTH_ID"], settings["PLIVO_AUTH_TOKEN"], settings["PLIVO_PHONE_NUMBER"], local_plivo.url, 5.0,
        whatsapp=BodyOnly(TEMPLATE), whatsapp_sender=WHATSAPP_SENDER,
    )  # fmt: skip
    with pytest.raises(SmsDeliveryError):
        gateway.send_whatsapp(PHONE, "123456")
    assert local_plivo.messages == []


def test_a_template_plivo_refuses_at_once_goes_out_as_a_text(
    services: Services, local_plivo: LocalPlivo, caplog: pytest.LogCaptureFixture
) -> None:
    """A paused template or a WhatsApp sender that is down: the same request is texted (one code), the failure is
    logged as WhatsApp's, and the user is not left with calls only."""
    local_plivo.fail_next(500)
    with caplog.at_level(logging.INFO):
        sent = send(services, Channel.WHATSAPP)
    assert isinstance(sent, CodeSent) and sent.channel is Channel.SMS
    assert [message.get("type", "sms") for message in local_plivo.messages] == ["sms"]
    events = [record.getMessage().split()[0] for record in caplog.records if record.name.startswith("sms2fa.")]
    assert "event=whatsapp_failed" in events and "event=sms_failed" not in events
    assert "event=otp_refused" not in events
    code = local_plivo.last_code_for(PHONE)
    result = services.otp.verify_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION, code=code or "")
    assert result.status is VerifyStatus.OK
