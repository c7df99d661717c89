"""Pumping defenses on a real Redis with the real SDK and LocalPlivo: hourly caps per destination country block
the country and alert the operator (log line, metric, mail: queued, then sent over SMTP), and pressure on a country
asks for proof of work.

The measured gap this closes: with the old defaults, 64 addresses of one IPv6 /64 sent 1,000 enrollment texts
to 1,000 Latvian numbers before the global budget stopped them."""

from __future__ import annotations

import logging
import threading
from collections import Counter as Tally
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from prometheus_client import REGISTRY
from sqlmodel import SQLModel

from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose, SendRefusal, SendRefused
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.infra.pow import solve
from sms2fa_app.backend.services import Services, build_services
from tests.conftest import make_settings
from tests.support.plivo_server import LocalPlivo
from tests.support.smtp_server import LocalSmtp

LV_CAP = 20
BLOCK_SECONDS = 1800
OPERATOR = "ops@example.com"
ATTACKER_NETWORK = "2001:db8:bad:1::"


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def __call__(self, to: str, subject: str, text: str) -> None:
        self.sent.append((to, subject, text))


def latvian(index: int) -> str:
    return f"+3712{index:07d}"


def alerts_counted() -> float:
    return REGISTRY.get_sample_value("sms2fa_operator_alerts_total", {"kind": "country_blocked"}) or 0.0


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def make_services(
    tmp_path: Path, real_redis_server, local_plivo: LocalPlivo, clock: FakeClock, mailer: RecordingMailer
) -> Iterator:
    clients: list[redis.Redis] = []

    def make(**overrides: str) -> Services:
        settings = make_settings(
            tmp_path,
            **local_plivo.settings(),
            OTP_SENDS_PER_HOUR_PER_IP="1000",  # the old defaults let this through; the country cap must not
            SMS_COUNTRY_CAPS_PER_HOUR=f"LV={LV_CAP}",
            SMS_COUNTRY_CAP_DEFAULT_PER_HOUR="500",
            SMS_COUNTRY_BLOCK_SECONDS=str(BLOCK_SECONDS),
            OPERATOR_EMAIL=OPERATOR,
            **overrides,
        )
        pool = redis.BlockingConnectionPool.from_url(real_redis_server.url, max_connections=48, decode_responses=True)
        client = redis.Redis(connection_pool=pool)
        clients.append(client)
        database = Database(make_engine(f"sqlite:///{tmp_path / 'caps.db'}"))
        return build_services(settings, clock=clock, redis_client=client, database=database, operator_mailer=mailer)

    yield make
    for client in clients:
        client.close()


def enroll_text(services: Services, user: int, phone: str, ip: str, proof: str = ""):
    return services.otp.request_code(
        purpose=Purpose.ENROLL, user_id=user, session_id=user * 10, phone=phone, client_ip=ip, proof=proof
    )


def test_a_pumping_run_from_one_ipv6_network_stops_at_the_country_cap_and_alerts_once(
    make_services, local_plivo: LocalPlivo, mailer: RecordingMailer, clock: FakeClock, caplog
) -> None:
    services = make_services(POW_AFTER_COUNTRY_CAP_PERCENT="0")
    before = alerts_counted()
    barrier = threading.Barrier(48)

    def pump(index: int):
        barrier.wait() if index < 48 else None
        ip = f"{ATTACKER_NETWORK}{index % 64 + 1:x}"  # 64 addresses of one /64
        return enroll_text(services, 1000 + index, latvian(index), ip)

    with caplog.at_level(logging.WARNING, logger="sms2fa.alerts"), ThreadPoolExecutor(max_workers=48) as pool:
        results = list(pool.map(pump, range(120)))

    tally = Tally(type(result).__name__ if isinstance(result, CodeSent) else result.reason for result in results)
    assert tally == {"CodeSent": LV_CAP, SendRefusal.COUNTRY_BLOCKED: 120 - LV_CAP}
    assert len(local_plivo.messages) == LV_CAP  # Plivo was asked exactly the cap, not a text more
    blocked = [result for result in results if isinstance(result, SendRefused)]
    assert all(0 < result.retry_after_seconds <= BLOCK_SECONDS for result in blocked)

    assert alerts_counted() - before == 1  # one alert per block: a metric...
    (line,) = [record.getMessage() for record in caplog.records if "event=operator_alert" in record.getMessage()]
    assert "kind=country_blocked" in line and "country=LV" in line and f"cap={LV_CAP}" in line and "mail=sent" in line
    ((to, subject, text),) = mailer.sent  # ...a log line and a mail to the operator
    assert to == OPERATOR and "LV" in subject and "SMS_COUNTRY_CAPS_PER_HOUR" in text

    us = enroll_text(services, 5000, "+16502531212", "198.51.100.7")
    assert isinstance(us, CodeSent)  # other countries are not affected
    clock.advance(BLOCK_SECONDS + 1)
    still = enroll_text(services, 5001, latvian(900), "198.51.100.8")
    assert isinstance(still, SendRefused) and still.reason is SendRefusal.COUNTRY_BLOCKED  # the hour is still full
    clock.advance(3600)
    assert isinstance(enroll_text(services, 5002, latvian(901), "198.51.100.9"), CodeSent)
    assert alerts_counted() - before == 1


def test_pressure_on_a_country_asks_for_proof_of_work_before_the_cap(make_services, local_plivo: LocalPlivo) -> None:
    services = make_services(POW_AFTER_COUNTRY_CAP_PERCENT="50")
    for index in range(LV_CAP // 2):
        assert isinstance(enroll_text(services, 100 + index, latvian(index), f"198.51.100.{index}"), CodeSent)
    refused = enroll_text(services, 200, latvian(500), "192.0.2.1")
    assert refused == SendRefused(SendRefusal.PROOF_REQUIRED)
    assert len(local_plivo.messages) == LV_CAP // 2  # nothing was sent or counted for it
    proof = solve(services.pow.challenge())
    assert isinstance(enroll_text(services, 200, latvian(500), "192.0.2.1", proof), CodeSent)
    again = enroll_text(services, 201, latvian(501), "192.0.2.2", proof)
    assert again == SendRefused(SendRefusal.PROOF_REQUIRED)  # a solution pays for one send
    assert isinstance(enroll_text(services, 300, "+447400123456", "192.0.2.3"), CodeSent)  # GB is not pressed


def test_the_alert_mail_reaches_the_operator_over_smtp_through_the_queue(
    tmp_path: Path, real_redis, local_plivo: LocalPlivo, local_smtp: LocalSmtp, clock: FakeClock
) -> None:
    """As the app wires it (no mailer injected): the alert is a queued mail that the SMTP server receives."""
    settings = make_settings(
        tmp_path,
        **local_plivo.settings(),
        SMS_COUNTRY_CAPS_PER_HOUR="LV=2",
        OPERATOR_EMAIL=OPERATOR,
        **local_smtp.settings(),
    )
    database = Database(make_engine(f"sqlite:///{tmp_path / 'alert.db'}"))
    SQLModel.metadata.create_all(database.engine)  # the alert waits in the outbox table until relayed
    services = build_services(settings, clock=clock, redis_client=real_redis, database=database)
    results = [enroll_text(services, 7000 + index, latvian(index), "198.51.100.7") for index in range(3)]
    assert [type(result) for result in results] == [CodeSent, CodeSent, SendRefused]
    assert local_smtp.to(OPERATOR) == []  # the request only queued it
    services.jobs.drain()
    (mail,) = local_smtp.to(OPERATOR)
    assert mail.sender == "sms2fa@example.com" and "LV" in mail.subject and "SMS_COUNTRY_CAPS_PER_HOUR" in mail.text
