"""The lockout every factor goes through: one suite, run against SMS codes, authenticator codes, recovery
codes and passkeys, plus the mechanism's own edges (no spurious lock, slots given back for no-guess results)."""

from __future__ import annotations

import logging
import re
from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from prometheus_client import REGISTRY

from sms2fa_app.backend.factors import lockout as lockout_module
from sms2fa_app.backend.factors.lockout import SETTLE_LEASE_SECONDS, Lockout, LockoutPolicy, lockout_key
from sms2fa_app.backend.factors.results import VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from tests.conftest import make_settings
from tests.support.factories import create_user, register_passkey
from tests.support.recording_gateway import RecordingGateway
from tests.support.soft_authenticator import SoftAuthenticator

PHONE = "+16502531212"
SESSION = 10


@dataclass
class Factor:
    """One factor as the suite drives it: a guess, and fresh right and wrong codes."""

    name: str
    guess: Callable[[str], VerifyResult]
    right: Callable[[], str]
    wrong: Callable[[], str]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """No other limit in the way: a code takes any number of tries, and texts are not capped."""
    return make_settings(tmp_path, OTP_MAX_ATTEMPTS="1000", OTP_SENDS_PER_HOUR_PER_USER="1000")


@pytest.fixture(params=["sms", "totp", "recovery", "passkey"])
def factor(request: pytest.FixtureRequest, services: Services, gateway: RecordingGateway, clock: FakeClock) -> Factor:
    user = create_user(services, phone=PHONE)
    user_id = user.id or 0
    if request.param == "sms":

        def right() -> str:
            if not services.otp.has_pending_code(purpose=Purpose.LOGIN, user_id=user_id, session_id=SESSION):
                clock.advance(services.otp.resend_wait(user_id=user_id, purpose=Purpose.LOGIN))
                services.otp.request_code(
                    purpose=Purpose.LOGIN, user_id=user_id, session_id=SESSION, phone=PHONE, client_ip="203.0.113.7"
                )
            return gateway.sent[-1].code

        def wrong() -> str:
            if not services.otp.has_pending_code(purpose=Purpose.LOGIN, user_id=user_id, session_id=SESSION):
                right()
            return "000000" if gateway.sent[-1].code != "000000" else "111111"

        return Factor(
            "sms",
            lambda code: services.otp.verify_code(
                purpose=Purpose.LOGIN, user_id=user_id, session_id=SESSION, code=code
            ),
            right,
            wrong,
        )
    if request.param == "totp":
        setup = services.totp.begin_setup(user_id, user.email)
        totp = pyotp.TOTP(setup.secret)
        assert services.totp.confirm_setup(user_id, totp.at(clock.now())).ok
        used = [int(clock.now() // 30)]

        def fresh() -> str:
            """A code of the earliest step in the window that is later than the last one used."""
            while True:
                for offset in (-30, 0, 30):
                    step = int((clock.now() + offset) // 30)
                    if step > used[-1]:
                        used.append(step)
                        return totp.at(clock.now() + offset)
                clock.advance(30)

        def wrong_totp() -> str:
            window = {totp.at(clock.now() + offset) for offset in (-30, 0, 30)}
            return next(g for g in ("000000", "111111", "222222", "333333") if g not in window)

        return Factor("totp", lambda code: services.totp.verify(user_id, code), fresh, wrong_totp)
    if request.param == "passkey":
        authenticator = SoftAuthenticator(services.settings.passkey_origin)
        register_passkey(services, user_id, authenticator)

        def assertion(**answer: object) -> str:
            """A response to a fresh challenge of this session (the browser's side of one sign-in)."""
            options = services.passkeys.authentication_options(user_id, SESSION)
            assert options is not None
            return authenticator.get(options, **answer)

        return Factor(
            "passkey",
            lambda response: services.passkeys.verify(user_id, SESSION, response),
            assertion,
            lambda: assertion(tamper=True),
        )
    codes = iter(services.recovery.generate(user_id))
    return Factor(
        "recovery", lambda code: services.recovery.redeem(user_id, code), lambda: next(codes), lambda: "zzzzz-zzzzz"
    )


def test_the_threshold_locks_and_the_wait_doubles(factor: Factor, services: Services, clock: FakeClock) -> None:
    for _ in range(9):
        assert factor.guess(factor.wrong()).status in (VerifyStatus.WRONG, VerifyStatus.TOO_MANY_ATTEMPTS)
    assert services.lockout.wait(1) == 0
    tenth = factor.guess(factor.wrong())
    assert tenth.status is VerifyStatus.LOCKED and tenth.retry_after_seconds == 60
    right = factor.right()
    assert factor.guess(right) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)  # not even tried
    clock.advance(60)
    assert factor.guess(factor.wrong()).retry_after_seconds == 120  # the 11th failure doubles the wait
    clock.advance(120)
    assert factor.guess(factor.right()).ok  # a success resets the count
    assert services.lockout.wait(1) == 0 and services.redis.hmget(lockout_key(1), "n", "until") == [None, None]


@pytest.mark.parametrize("other", ["sms", "totp", "recovery", "passkey"])
def test_failures_of_any_factor_lock_every_factor(
    factor: Factor, services: Services, other: str, clock: FakeClock
) -> None:
    for _ in range(9):
        services.lockout.register_failure(1, other)
    assert factor.guess(factor.wrong()).status is VerifyStatus.LOCKED
    assert factor.guess(factor.right()).status is VerifyStatus.LOCKED


def test_malformed_input_is_no_try(factor: Factor, services: Services) -> None:
    for _ in range(20):
        assert factor.guess("12").status is VerifyStatus.MALFORMED
    assert services.redis.hmget(lockout_key(1), "n", "until") == [None, None]


def test_a_right_code_used_twice_is_refused_but_counts_no_failure(factor: Factor, services: Services) -> None:
    code = factor.right()
    assert factor.guess(code).ok
    for _ in range(20):
        assert factor.guess(code).status in (VerifyStatus.ALREADY_USED, VerifyStatus.EXPIRED)
    assert services.lockout.wait(1) == 0 and services.redis.hmget(lockout_key(1), "n", "until") == [None, None]


def counted(metric: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(metric, labels) or 0.0


def test_every_factor_counts_and_logs_its_verifies_and_lockouts(
    factor: Factor, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 21, item 4: the alerts read sms2fa_verifies_total and sms2fa_lockouts_total by factor, and the
    lockout_started line; every factor (SMS codes included) must feed them."""
    outcomes = ("wrong", "locked", "ok")
    verifies = {outcome: counted("sms2fa_verifies_total", factor=factor.name, outcome=outcome) for outcome in outcomes}
    lockouts = counted("sms2fa_lockouts_total", factor=factor.name)
    with caplog.at_level(logging.INFO, logger="sms2fa"):
        for _ in range(10):  # the 10th wrong guess starts the lock
            factor.guess(factor.wrong())
        assert factor.guess(factor.right()).status is VerifyStatus.LOCKED  # refused unjudged
        clock.advance(60)
        assert factor.guess(factor.right()).ok
    judged = {outcome: counted("sms2fa_verifies_total", factor=factor.name, outcome=outcome) - verifies[outcome]
              for outcome in outcomes}  # fmt: skip
    assert judged == {"wrong": 10, "locked": 1, "ok": 1}, factor.name
    assert counted("sms2fa_lockouts_total", factor=factor.name) == lockouts + 1
    lines = Tally(
        re.search(r"event=(\w+)", line)[1] for line in caplog.messages if re.search(rf"factor={factor.name}\b", line)
    )
    assert (lines["verify_failed"], lines["lockout_started"], lines["verify_refused"], lines["verify_ok"]) == (
        9, 1, 1, 1,
    ), (factor.name, lines)  # fmt: skip


# ---- the mechanism -------------------------------------------------------------------------------


def test_below_the_threshold_no_lock_is_stored(services: Services, clock: FakeClock) -> None:
    """A failure below the threshold must not leave `until = now`: a concurrent verify whose clock was read
    a moment earlier would see it in the future and answer "locked" without trying a right code."""
    code = services.otp  # the SMS path, which decides in one Lua call
    create_user(services, phone=PHONE)
    code.request_code(purpose=Purpose.LOGIN, user_id=1, session_id=SESSION, phone=PHONE, client_ip="203.0.113.7")
    sent = services.gateway.sent[-1].code  # type: ignore[attr-defined]
    wrong = "000000" if sent != "000000" else "111111"
    assert code.verify_code(purpose=Purpose.LOGIN, user_id=1, session_id=SESSION, code=wrong).status is (
        VerifyStatus.WRONG
    )
    assert services.redis.hget(lockout_key(1), "until") is None
    clock.advance(-0.005)  # the next verify read the clock 5 ms before the failure was stored
    result = code.verify_code(purpose=Purpose.LOGIN, user_id=1, session_id=SESSION, code=sent)
    assert result.status is VerifyStatus.OK


def test_a_slot_given_back_undoes_only_its_own_lock(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    lockout = Lockout(services.redis, clock, LockoutPolicy(threshold=2, base_seconds=60, max_seconds=600))
    first = lockout.reserve(7)
    second = lockout.reserve(7)  # reaches the threshold: its failure's lock is in force at once
    assert not isinstance(second, VerifyResult) and second.lock_seconds == 60
    monkeypatch.setattr(lockout_module, "SETTLE_WAIT_SECONDS", 0)  # nobody settles the two slots while it waits
    assert lockout.reserve(7) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)
    lockout.release(7, second)  # that attempt was no guess: its lock goes with it
    assert lockout.wait(7) == 0
    assert int(services.redis.hget(lockout_key(7), "n")) == 1
    assert not isinstance(first, VerifyResult)
    lockout.release(7, first)
    assert not services.redis.exists(lockout_key(7))


def test_a_lock_met_while_slots_are_in_flight_waits_for_them_and_a_dead_workers_slot_stops_counting(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    lockout = Lockout(services.redis, clock, LockoutPolicy(threshold=1, base_seconds=60, max_seconds=600))
    monkeypatch.setattr(lockout_module, "SETTLE_WAIT_SECONDS", 0.2)
    reserves: list[int] = []
    real_reserve = lockout._reserve_once
    monkeypatch.setattr(lockout, "_reserve_once", lambda *args: reserves.append(1) or real_reserve(*args))
    slot = lockout.reserve(7)  # in flight, and its failure locks for now (threshold 1)
    assert not isinstance(slot, VerifyResult)
    assert lockout.reserve(7) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)
    assert len(reserves) > 2  # it asked again while the slot was in flight
    reserves.clear()
    clock.advance(SETTLE_LEASE_SECONDS)  # the slot's worker died: it no longer counts as in flight
    assert lockout.reserve(7) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60 - SETTLE_LEASE_SECONDS)
    assert len(reserves) == 1
    lockout.settle(7, "totp", slot, VerifyResult(VerifyStatus.ALREADY_USED))  # settled late: the lock goes
    assert lockout.wait(7) == 0 and not services.redis.exists(lockout_key(7))


def test_a_leaked_slot_then_new_slots_a_locked_attempt_answers_at_once(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review L1: a slot that never settles (its worker died) must not keep later locked attempts waiting once
    its lease is over, however many slots come and settle after it."""
    lockout = _policy_lockout(services, clock, threshold=2)
    monkeypatch.setattr(lockout_module, "SETTLE_WAIT_SECONDS", 0.2)
    reserves: list[int] = []
    real_reserve = lockout._reserve_once
    monkeypatch.setattr(lockout, "_reserve_once", lambda *args: reserves.append(1) or real_reserve(*args))
    leaked = lockout.reserve(7)  # never settled
    assert not isinstance(leaked, VerifyResult)
    clock.advance(SETTLE_LEASE_SECONDS + 1)
    assert lockout.register_failure(7).status is VerifyStatus.LOCKED  # a new slot, settled: the lock stands
    clock.advance(1)
    reserves.clear()
    assert lockout.reserve(7) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=59)
    assert len(reserves) == 1  # answered at once: no slot is in flight


def test_an_exception_in_the_check_gives_the_slot_back(services: Services, clock: FakeClock) -> None:
    def broken() -> VerifyResult:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        services.lockout.attempt(3, "totp", broken)
    assert not services.redis.exists(lockout_key(3))


def _policy_lockout(services: Services, clock: FakeClock, threshold: int = 3) -> Lockout:
    return Lockout(services.redis, clock, LockoutPolicy(threshold=threshold, base_seconds=60, max_seconds=600))


def test_a_slot_given_back_takes_a_lock_the_count_no_longer_earns_with_it(services: Services, clock: FakeClock) -> None:
    """One real failure, then A (no guess) and B (wrong) reserved together: B reaches the threshold and
    writes the lock in advance; when A is given back, two failures do not earn a lock."""
    lockout = _policy_lockout(services, clock)
    assert lockout.register_failure(7).status is VerifyStatus.WRONG
    slot_a, slot_b = lockout.reserve(7), lockout.reserve(7)
    assert not isinstance(slot_a, VerifyResult) and not isinstance(slot_b, VerifyResult)
    assert slot_b.lock_seconds == 60
    lockout.release(7, slot_a)
    assert lockout.settle(7, "totp", slot_b, VerifyResult(VerifyStatus.WRONG)).status is VerifyStatus.WRONG
    assert int(services.redis.hget(lockout_key(7), "n")) == 2 and lockout.wait(7) == 0


def test_slots_taken_before_a_success_neither_erase_nor_lose_later_failures(
    services: Services, clock: FakeClock
) -> None:
    lockout = _policy_lockout(services, clock)
    stale_no_guess, stale_wrong = lockout.reserve(7), lockout.reserve(7)
    assert not isinstance(stale_no_guess, VerifyResult) and not isinstance(stale_wrong, VerifyResult)
    lockout.clear(7)  # a concurrent success
    assert lockout.register_failure(7).status is VerifyStatus.WRONG  # a failure of the new count
    lockout.release(7, stale_no_guess)  # must not erase it
    assert int(services.redis.hget(lockout_key(7), "n")) == 1
    lockout.settle(7, "totp", stale_wrong, VerifyResult(VerifyStatus.WRONG))  # must still be counted
    assert int(services.redis.hget(lockout_key(7), "n")) == 2
    assert lockout.register_failure(7).status is VerifyStatus.LOCKED  # the third failure locks
