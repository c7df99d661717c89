"""OtpService when things go wrong or are watched: Redis down fails closed, round trips per call, logs that never
hold a code, a hash, a phone or a secret, budgets kept apart."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import fakeredis
import pytest

from sms2fa_app.backend.delivery.sms import DeliveryFailure
from sms2fa_app.backend.factors.sms_codes import (
    CodeSent,
    OtpService,
    Purpose,
    SendRefusal,
    SendRefused,
)
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from tests.conftest import TEST_SECRET, make_settings
from tests.support.otp_calls import PHONE, SESSION, USER, closed_port_client, redis_dump, request, verify, wrong
from tests.support.send_windows import BUCKET_SECONDS

# ---- Redis down, round trips, logs --------------------------------------------------------------


def test_redis_unreachable_fails_closed(make_otp, gateway) -> None:
    otp = make_otp(client=closed_port_client())
    binding = {"user_id": USER, "session_id": SESSION}
    operations = [
        lambda: request(otp),
        lambda: verify(otp, "123456"),
        lambda: otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN),
        lambda: otp.has_pending_code(purpose=Purpose.LOGIN, **binding),
        lambda: otp.discard(purpose=Purpose.LOGIN, **binding),
        lambda: otp.consume_phone_proof(**binding, phone_e164=PHONE),
        lambda: otp.lockout.wait(USER),
        lambda: otp.lockout.check(USER),
        lambda: otp.lockout.register_failure(USER),
        lambda: otp.lockout.clear(USER),
    ]
    for operation in operations:
        with pytest.raises(ServiceUnavailable):
            operation()
    assert gateway.attempts == 0
    assert request(otp, phone="nope") == SendRefused(SendRefusal.INVALID_NUMBER)  # decided without Redis


class CountingRedis(fakeredis.FakeRedis):
    """fakeredis that counts the commands it is sent (each one is a round trip: no pipelines here)."""

    commands: list[str]

    def execute_command(self, *args, **options):
        self.commands.append(str(args[0]).upper())
        return super().execute_command(*args, **options)


def test_round_trips_verify_one_request_one_failed_request_two(tmp_path: Path, gateway, clock: FakeClock) -> None:
    client = CountingRedis(decode_responses=True)
    client.commands = []
    otp = OtpService(client, gateway, clock, make_settings(tmp_path))
    request(otp, user=1)  # warm the script cache (first use loads each script)
    verify(otp, "000000", user=1)
    clock.advance(60)

    client.commands.clear()
    request(otp)
    assert client.commands == ["EVALSHA"]
    client.commands.clear()
    verify(otp, gateway.sent[-1].code)
    assert client.commands == ["EVALSHA"]

    gateway.fail_next(DeliveryFailure.TEMPORARY)
    clock.advance(60)
    request(otp)  # loads the rollback script once
    gateway.fail_next(DeliveryFailure.TEMPORARY)
    client.commands.clear()
    request(otp)
    assert client.commands == ["EVALSHA", "EVALSHA"]


def test_logs_never_hold_a_code_a_hash_a_phone_or_a_secret(
    make_otp, gateway, redis_client, clock: FakeClock, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    otp = make_otp(OTP_SENDS_PER_HOUR_PER_USER="50", OTP_SENDS_PER_HOUR_PER_PHONE="50")
    for purpose in Purpose:
        request(otp, purpose=purpose, phone="+1 650 253 1212")
        code = gateway.sent[-1].code
        verify(otp, wrong(code), purpose=purpose)
        verify(otp, "12 34", purpose=purpose)
        verify(otp, code, purpose=purpose)
        clock.advance(60)
    otp.consume_phone_proof(user_id=USER, session_id=SESSION, phone_e164=PHONE)
    request(otp)
    request(otp)  # cooldown refusal
    clock.advance(60)
    gateway.fail_next(DeliveryFailure.INVALID_DESTINATION)
    request(otp)
    request(otp, phone="+44 20 7946 0000")
    request(otp)
    for _ in range(5):
        verify(otp, wrong(gateway.sent[-1].code))
    for _ in range(5):
        otp.lockout.register_failure(USER)
    verify(otp, gateway.sent[-1].code)
    otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN)
    otp.lockout.wait(USER)

    text = caplog.text
    events = {match for match in re.findall(r"event=(\w+)", text)}
    assert {"otp_sent", "otp_refused", "verify_ok", "verify_failed", "verify_refused", "lockout_started"} <= events
    assert "•••• 1212" in text
    for sent in gateway.sent:
        assert sent.code not in text and sent.text not in text
    for digest in re.findall(r"[0-9a-f]{64}", redis_dump(redis_client)):
        assert digest not in text
    assert not re.search(r"[0-9a-f]{64}", text)
    assert PHONE not in text and "6502531212" not in text and "2531212" not in text
    assert "+44 20 7946 0000" not in text and "2079460000" not in text
    assert TEST_SECRET not in text


def test_client_supplied_values_cannot_forge_log_lines(otp: OtpService, caplog) -> None:
    caplog.set_level(logging.INFO, logger="sms2fa.otp")
    request(otp, ip="198.51.100.9\nevent=otp_verified user=1")
    assert len(caplog.records) == 1
    assert "\n" not in caplog.records[0].getMessage()


def test_enrollment_texts_cannot_spend_the_login_budget(make_otp, clock: FakeClock) -> None:
    otp = make_otp(OTP_SENDS_PER_HOUR_GLOBAL="2")
    assert isinstance(request(otp, purpose=Purpose.ENROLL, user=21, phone="+16502531301", ip="198.51.100.1"), CodeSent)
    assert isinstance(request(otp, purpose=Purpose.ENROLL, user=22, phone="+16502531302", ip="198.51.100.2"), CodeSent)
    refused = request(otp, purpose=Purpose.ENROLL, user=23, phone="+16502531303", ip="198.51.100.3")
    assert refused == SendRefused(SendRefusal.GLOBAL_BUDGET, 3600 + BUCKET_SECONDS)
    assert isinstance(request(otp, purpose=Purpose.LOGIN, user=24, phone="+16502531304", ip="198.51.100.4"), CodeSent)
