"""OtpService and the shared lockout: consecutive failures across codes and purposes, doubling waits capped at an
hour, the hooks the other second factors use."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sms2fa_app.backend.factors import lockout as lockout_module
from sms2fa_app.backend.factors.lockout import SETTLE_LEASE_SECONDS, LockoutPolicy
from sms2fa_app.backend.factors.results import VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import OtpService, Purpose
from sms2fa_app.backend.infra.clock import FakeClock
from tests.support.otp_calls import SESSION, USER, request, verify, wrong

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


def lockout_lua(client, policy: LockoutPolicy, call: str) -> Callable[..., int]:
    """One of the lockout's Lua functions as Redis runs it (`call` reads its numbers from ARGV): the tests check
    the one copy of the curve and of "tries left", not a Python twin."""
    script = client.register_script(f"{policy.lua()}\nreturn {call}")
    return lambda *numbers: int(script(keys=[], args=list(numbers)))


def test_lockout_doubles_from_the_threshold_and_caps_at_one_hour(
    make_otp, gateway, redis_client, clock: FakeClock
) -> None:
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
    curve = lockout_lua(redis_client, LockoutPolicy(10, 60, 3600), "lockout_seconds(tonumber(ARGV[1]))")
    assert [curve(n) for n in (9, 10, 11, 16, 17, 1000)] == [0, 60, 120, 3600, 3600, 3600]


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
    for tried in range(1, 10):
        assert otp.lockout.register_failure(USER) == VerifyResult(VerifyStatus.WRONG, attempts_left=10 - tried)
    assert otp.lockout.register_failure(USER) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)
    request(otp)
    assert verify(otp, gateway.sent[-1].code).status is VerifyStatus.LOCKED  # the lock is shared
    otp.lockout.clear(USER)
    assert otp.lockout.check(USER) is None and otp.lockout.wait(USER) == 0
    assert verify(otp, gateway.sent[-1].code).status is VerifyStatus.OK


def test_tries_left_are_the_fewer_of_the_codes_and_the_lockouts(otp: OtpService, gateway) -> None:
    """Seven wrong guesses of another factor leave three before the lock: a fresh code says so, not "4 tries
    left", and the count never reaches 0 while the next try would still be checked."""
    for _ in range(7):
        otp.lockout.register_failure(USER, "totp")
    request(otp)
    code = gateway.sent[-1].code
    assert verify(otp, wrong(code)) == VerifyResult(VerifyStatus.WRONG, attempts_left=2)
    assert verify(otp, wrong(code)) == VerifyResult(VerifyStatus.WRONG, attempts_left=1)
    locked = verify(otp, wrong(code))
    assert locked.status is VerifyStatus.LOCKED and locked.retry_after_seconds == 60


def test_a_texted_code_waits_for_another_factors_slot_in_flight_only_until_its_lease_is_over(
    make_otp, gateway, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock met while another factor's check is in flight is asked again; a slot that never settles (a leak)
    stops counting after its lease, even when other slots came and settled after it (review L1)."""
    otp = make_otp(**LOCKOUT_SETTINGS)
    monkeypatch.setattr(lockout_module, "SETTLE_WAIT_SECONDS", 0.2)
    calls: list[int] = []
    real_verify = otp._verify_once
    monkeypatch.setattr(otp, "_verify_once", lambda *args: calls.append(1) or real_verify(*args))
    request(otp)
    code = gateway.sent[-1].code
    for _ in range(otp.lockout.policy.threshold - 2):
        otp.lockout.register_failure(USER)
    leaked = otp.lockout.reserve(USER)  # another factor's check whose worker dies: it never settles
    assert not isinstance(leaked, VerifyResult) and leaked.lock_seconds == 0
    clock.advance(SETTLE_LEASE_SECONDS + 1)
    in_flight = otp.lockout.reserve(USER)  # a new check, in flight: its failure locks for now
    assert not isinstance(in_flight, VerifyResult) and in_flight.lock_seconds == 60
    assert verify(otp, code).status is VerifyStatus.LOCKED
    assert len(calls) > 2  # asked again while that slot was in flight
    otp.lockout.settle(USER, "totp", in_flight, VerifyResult(VerifyStatus.WRONG))  # settled: the lock stands
    calls.clear()
    assert verify(otp, code) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)
    assert len(calls) == 1  # answered at once: the leaked slot's lease is over


def test_tries_left_are_those_before_the_lock_or_on_the_code_and_never_zero(redis_client) -> None:
    tries_left = lockout_lua(
        redis_client, LockoutPolicy(10, 60, 3600), "lockout_tries_left(tonumber(ARGV[1]), tonumber(ARGV[2]))"
    )
    # (failures counted, tries left on the code; 0 = a factor without one) -> what the user is told
    cases = {(1, 0): 9, (7, 0): 3, (7, 2): 2, (7, 5): 3, (9, 0): 1, (10, 0): 1, (12, 4): 1}
    assert {case: tries_left(*case) for case in cases} == cases
