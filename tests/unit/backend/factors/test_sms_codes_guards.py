"""OtpService on fakeredis with a FakeClock: lockout, proofs of a verified phone, outages, round trips, logs."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import fakeredis
import pytest

from sms2fa_app.backend.delivery.sms import DeliveryFailure
from sms2fa_app.backend.factors.lockout import LockoutPolicy
from sms2fa_app.backend.factors.results import VerifyResult, VerifyStatus
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
from tests.support.otp import OTHER_PHONE, PHONE, SESSION, USER, closed_port_client, redis_dump, request, verify, wrong

# ---- lockout ------------------------------------------------------------------------------------


def failures(client, user: int = USER) -> int:
    """The user's consecutive failed verifies as stored (white-box)."""
    return int(client.hget(f"otp:fail:{user}", "n") or 0)


def unused_guess(gateway) -> str:
    """A 6-digit guess that is none of the codes sent so far."""
    return next(
        guess for guess in ("000000", "111111", "222222", "333333") if guess not in {s.code for s in gateway.sent}
    )


LOCKOUT_SETTINGS = {
    "OTP_SENDS_PER_HOUR_PER_USER": "100000",
    "OTP_SENDS_PER_HOUR_PER_PHONE": "100000",
    "OTP_SENDS_PER_HOUR_PER_IP": "100000",
    "OTP_SENDS_PER_HOUR_GLOBAL": "100000",
}


def test_ten_failures_across_codes_and_purposes_lock_the_user(
    make_otp, gateway, redis_client, clock: FakeClock
) -> None:
    otp = make_otp(**LOCKOUT_SETTINGS)
    for index in range(9):
        purpose = (Purpose.LOGIN, Purpose.ENROLL)[index % 2]
        if not otp.has_pending_code(purpose=purpose, user_id=USER, session_id=SESSION):
            clock.advance(otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN))
            request(otp, purpose=purpose)
        result = verify(otp, unused_guess(gateway), purpose=purpose)
        assert result.status in (VerifyStatus.WRONG, VerifyStatus.TOO_MANY_ATTEMPTS)
    assert failures(redis_client) == 9
    assert otp.lockout.wait(USER) == 0
    clock.advance(otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN))
    request(otp)
    code = gateway.sent[-1].code
    tenth = verify(otp, wrong(code))
    assert tenth == VerifyResult(VerifyStatus.LOCKED, attempts_left=4, retry_after_seconds=60)
    # locked: even the right code is not tried (and not consumed)
    assert verify(otp, code) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)
    assert otp.lockout.wait(USER) == 60
    assert otp.lockout.check(USER) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)
    clock.advance(30)
    assert verify(otp, code) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=30)
    clock.advance(30)
    assert otp.lockout.check(USER) is None
    assert verify(otp, code).status is VerifyStatus.OK
    # a success resets the count: one new failure does not lock
    clock.advance(otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN))
    request(otp)
    assert verify(otp, wrong(gateway.sent[-1].code)).status is VerifyStatus.WRONG


def test_lockout_doubles_from_the_threshold_and_caps_at_one_hour(make_otp, gateway, clock: FakeClock) -> None:
    otp = make_otp(**LOCKOUT_SETTINGS, OTP_RESEND_COOLDOWN_SECONDS="1")
    locks = []
    for failure in range(1, 31):
        while not otp.has_pending_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION):
            clock.advance(otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN))
            request(otp)
        result = verify(otp, wrong(gateway.sent[-1].code))
        if failure < 10:
            assert result.status in (VerifyStatus.WRONG, VerifyStatus.TOO_MANY_ATTEMPTS)
            continue
        assert result.status is VerifyStatus.LOCKED
        locks.append(result.retry_after_seconds)
        assert otp.lockout.wait(USER) == result.retry_after_seconds
        clock.advance(result.retry_after_seconds)
    assert locks[:7] == [60, 120, 240, 480, 960, 1920, 3600]
    assert set(locks[6:]) == {3600}
    assert [LockoutPolicy(10, 60, 3600).seconds(n) for n in (9, 10, 11, 16, 17, 1000)] == [0, 60, 120, 3600, 3600, 3600]


def test_a_hundred_guesses_need_days_of_waiting_and_no_wait_exceeds_an_hour(
    make_otp, gateway, redis_client, clock: FakeClock
) -> None:
    otp = make_otp(**LOCKOUT_SETTINGS, OTP_RESEND_COOLDOWN_SECONDS="1")
    start = clock.now()
    # as fast as possible, never waiting for a lock: only 10 of 100 guesses are ever tried
    for _ in range(100):
        if not otp.has_pending_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION):
            clock.advance(1)  # this test's 1-second resend cooldown
            request(otp)
        verify(otp, wrong(gateway.sent[-1].code))
    assert failures(redis_client) == 10
    assert 0 < otp.lockout.wait(USER) <= 60

    # waiting exactly as long as told, 100 failed guesses take more than three days
    waits = []
    while failures(redis_client) < 100:
        wait = otp.lockout.wait(USER)
        waits.append(wait)
        clock.advance(wait)
        if not otp.has_pending_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION):
            clock.advance(otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN))
            request(otp)
        assert verify(otp, wrong(gateway.sent[-1].code)).status is VerifyStatus.LOCKED
    assert max(waits) == 3600 and waits.count(3600) == 90 - 6
    assert clock.now() - start > 3 * 24 * 3600


def test_lockout_hooks_for_other_second_factors(otp: OtpService, gateway, clock: FakeClock) -> None:
    for _ in range(9):
        assert otp.lockout.register_failure(USER) == VerifyResult(VerifyStatus.WRONG)
    assert otp.lockout.register_failure(USER) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)
    request(otp)
    assert verify(otp, gateway.sent[-1].code).status is VerifyStatus.LOCKED  # the lock is shared
    otp.lockout.clear(USER)
    assert otp.lockout.check(USER) is None and otp.lockout.wait(USER) == 0
    assert verify(otp, gateway.sent[-1].code).status is VerifyStatus.OK


# ---- proof of a verified phone ------------------------------------------------------------------


def test_enroll_ok_issues_a_single_use_proof_for_that_exact_number(otp: OtpService, gateway) -> None:
    request(otp, purpose=Purpose.ENROLL, phone="+1 650 253 1212")
    assert verify(otp, gateway.sent[-1].code, purpose=Purpose.ENROLL).status is VerifyStatus.OK
    assert otp.consume_phone_proof(user_id=USER, session_id=SESSION, phone_e164=PHONE) is True
    assert otp.consume_phone_proof(user_id=USER, session_id=SESSION, phone_e164=PHONE) is False


@pytest.mark.parametrize(
    ("user", "session", "phone", "still_usable"),
    [
        (USER + 1, SESSION, PHONE, True),  # another user's key: the proof is untouched
        (USER, SESSION + 1, PHONE, True),  # another session of the same user
        (USER, SESSION, OTHER_PHONE, False),  # wrong number: refused, and the proof is spent
        (USER, SESSION, "garbage", False),
    ],
)
def test_proof_is_bound_to_user_session_and_number(
    otp: OtpService, gateway, user: int, session: int, phone: str, still_usable: bool
) -> None:
    request(otp, purpose=Purpose.ENROLL)
    verify(otp, gateway.sent[-1].code, purpose=Purpose.ENROLL)
    assert otp.consume_phone_proof(user_id=user, session_id=session, phone_e164=phone) is False
    assert otp.consume_phone_proof(user_id=USER, session_id=SESSION, phone_e164=PHONE) is still_usable


def test_login_and_reauth_codes_issue_no_proof(otp: OtpService, gateway, clock: FakeClock) -> None:
    for purpose in (Purpose.LOGIN, Purpose.REAUTH):
        request(otp, purpose=purpose)
        assert verify(otp, gateway.sent[-1].code, purpose=purpose).status is VerifyStatus.OK
        clock.advance(60)
    assert otp.consume_phone_proof(user_id=USER, session_id=SESSION, phone_e164=PHONE) is False


def test_proof_expires(otp: OtpService, gateway, clock: FakeClock) -> None:
    request(otp, purpose=Purpose.ENROLL)
    verify(otp, gateway.sent[-1].code, purpose=Purpose.ENROLL)
    clock.advance(600)
    assert otp.consume_phone_proof(user_id=USER, session_id=SESSION, phone_e164=PHONE) is False


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
    assert {"otp_sent", "otp_verified", "otp_failed", "otp_locked", "otp_refused"} <= events
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
    assert refused == SendRefused(SendRefusal.GLOBAL_BUDGET, 3600)
    assert isinstance(request(otp, purpose=Purpose.LOGIN, user=24, phone="+16502531304", ip="198.51.100.4"), CodeSent)
