"""The operator's alert as the app wires it: a log line, the metric, and a mail queued like every other mail
(the letter OPERATOR_ALERT through the outbox, the job queue and the mail gateway), never failing the send that
raised it, and never lost to a Redis outage."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from sms2fa_app.backend.delivery.outbox import EMAIL, DevOutbox
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose, SendRefusal, SendRefused
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.services import Services, build_services
from sms2fa_app.config import Settings
from tests.conftest import FAST_HASHER, make_settings
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer

OPERATOR = "ops@example.com"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path, SMS_COUNTRY_CAPS_PER_HOUR="US=2", SMS_COUNTRY_BLOCK_SECONDS="1800", OPERATOR_EMAIL=OPERATOR
    )


def alerts_counted() -> float:
    return REGISTRY.get_sample_value("sms2fa_operator_alerts_total", {"kind": "country_blocked"}) or 0.0


def fill_the_us_cap(services: Services) -> list:
    return [
        services.otp.request_code(
            purpose=Purpose.LOGIN, user_id=user, session_id=user * 10, phone=phone, client_ip="203.0.113.7"
        )
        for user, phone in ((1, "+16502531211"), (2, "+16502531212"), (3, "+16502531213"))
    ]


def test_a_blocked_country_mails_the_operator_through_the_queue(
    services: Services, mailer: RecordingMailer, caplog
) -> None:
    before = alerts_counted()
    with caplog.at_level(logging.WARNING, logger="sms2fa.alerts"):
        *sent, refused = fill_the_us_cap(services)
    assert all(isinstance(result, CodeSent) for result in sent)
    assert isinstance(refused, SendRefused) and refused.reason is SendRefusal.COUNTRY_BLOCKED
    assert "event=operator_alert kind=country_blocked mail=sent country=US cap=2" in caplog.text
    assert alerts_counted() - before == 1
    assert mailer.to(OPERATOR) == []  # queued, not sent inside the request
    services.jobs.drain()
    (mail,) = mailer.to(OPERATOR)
    assert mail.subject == "[sms2fa] Texts to US blocked for 30 minutes"
    assert "SMS_COUNTRY_CAPS_PER_HOUR" in mail.text and "<p>" in mail.html


def test_in_development_the_alert_lands_in_the_dev_outbox(
    settings: Settings, clock, redis_client, database, gateway: RecordingGateway
) -> None:
    services = build_services(
        settings, clock=clock, redis_client=redis_client, database=database, hasher=FAST_HASHER, gateway=gateway
    )
    assert isinstance(services.mailer, DevOutbox)
    fill_the_us_cap(services)
    services.jobs.drain()
    (mail,) = [message for message in services.mailer.recent() if message.channel == EMAIL]
    assert mail.to == OPERATOR and mail.subject.startswith("[sms2fa] Texts to US blocked")


def test_a_queue_outage_delays_the_alert_mail_but_never_loses_it(
    services: Services, mailer: RecordingMailer, monkeypatch, caplog
) -> None:
    def down(*_args, **_kwargs):
        raise ServiceUnavailable("redis down")

    for name in ("enqueue", "enqueue_once"):
        monkeypatch.setattr(services.jobs, name, down, raising=False)
    with caplog.at_level(logging.WARNING, logger="sms2fa.alerts"):
        *sent, refused = fill_the_us_cap(services)
    assert isinstance(sent[-1], CodeSent) and isinstance(refused, SendRefused)
    monkeypatch.undo()  # Redis is back
    services.jobs.drain()
    (mail,) = mailer.to(OPERATOR)
    assert mail.subject.startswith("[sms2fa] Texts to US blocked")


def test_a_database_outage_is_logged_and_the_send_still_answers(services: Services, monkeypatch, caplog) -> None:
    def down(*_args, **_kwargs):
        raise ServiceUnavailable("database down")

    monkeypatch.setattr(services.notice_outbox, "add_now", down)
    with caplog.at_level(logging.WARNING, logger="sms2fa.alerts"):
        *sent, refused = fill_the_us_cap(services)
    assert isinstance(sent[-1], CodeSent) and isinstance(refused, SendRefused)
    assert "mail=failed:ServiceUnavailable" in caplog.text
