"""The shared lockout, one suite run against every factor, on a real Redis server with parallel guesses.

For each factor (SMS code, authenticator code, recovery code, passkey):
- N parallel wrong guesses: exactly `threshold` reach the secret check, and the user is locked;
- N parallel copies of one right code: one success, the others told the code was used (never "locked"), no
  failure counted, no lock left behind.

A passkey's challenge is single use per session, so each parallel wrong passkey guess is a session of its
own with its own challenge (an attacker with many pending logins); the copies of one right assertion
share one session's challenge.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
import redis
from sqlmodel import SQLModel

from sms2fa_app.backend.factors.lockout import (
    SETTLE_LEASE_SECONDS,
    SETTLE_WAIT_SECONDS,
    lockout_key,
    lockout_slots_key,
)
from sms2fa_app.backend.factors.results import VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.services import Services, build_services
from tests.conftest import FAST_HASHER, make_settings
from tests.support.factories import create_user, register_passkey
from tests.support.recording_gateway import RecordingGateway
from tests.support.redis_server import RedisServer
from tests.support.soft_authenticator import SoftAuthenticator

PHONE = "+16502531212"
SESSION = 10
PARALLEL = 32
WRONG_PASSKEY = "a tampered assertion, made per guess"
THRESHOLD = 10


@dataclass
class FactorUnderTest:
    """One factor's guesses and a count of how many reached its secret check."""

    name: str
    guess: Callable[[str], VerifyResult]
    right_code: Callable[[], str]
    wrong_code: Callable[[], str]
    evaluated: Callable[[], int]


@pytest.fixture
def services(tmp_path: Path, real_redis_server: RedisServer, clock: FakeClock) -> Iterator[Services]:
    pool = redis.BlockingConnectionPool.from_url(
        real_redis_server.url, max_connections=PARALLEL + 5, decode_responses=True
    )
    client = redis.Redis(connection_pool=pool)
    engine = make_engine(f"sqlite:///{tmp_path / 'lockout.db'}")
    SQLModel.metadata.create_all(engine)
    settings = make_settings(tmp_path, OTP_MAX_ATTEMPTS="1000")  # the code's own try limit out of the way
    yield build_services(
        settings,
        clock=clock,
        redis_client=client,
        database=Database(engine),
        hasher=FAST_HASHER,
        gateway=RecordingGateway(),
    )
    client.close()


def counting(function: Callable[..., Any]) -> tuple[Callable[..., Any], Callable[[], int]]:
    """A thread-safe counting wrapper of `function`, and a reader of its count."""
    lock, calls = threading.Lock(), [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with lock:
            calls[0] += 1
        return function(*args, **kwargs)

    return wrapper, lambda: calls[0]


@pytest.fixture(params=["sms", "totp", "recovery", "passkey"])
def factor(
    request: pytest.FixtureRequest, services: Services, real_redis: redis.Redis, clock: FakeClock
) -> FactorUnderTest:
    user = create_user(services, phone=PHONE)
    user_id = user.id or 0
    if request.param == "sms":
        services.otp.request_code(
            purpose=Purpose.LOGIN, user_id=user_id, session_id=SESSION, phone=PHONE, client_ip="203.0.113.7"
        )
        sent = services.gateway.sent[-1].code  # type: ignore[attr-defined]
        code_key = f"otp:code:login:{user_id}:{SESSION}"
        return FactorUnderTest(
            "sms",
            lambda code: services.otp.verify_code(
                purpose=Purpose.LOGIN, user_id=user_id, session_id=SESSION, code=code
            ),
            lambda: sent,
            lambda: "000000" if sent != "000000" else "111111",
            lambda: int(real_redis.hget(code_key, "a") or 0),  # wrong tries the code itself counted
        )
    if request.param == "totp":
        setup = services.totp.begin_setup(user_id, user.email)
        totp = pyotp.TOTP(setup.secret)
        assert services.totp.confirm_setup(user_id, totp.at(clock.now() - 30)).ok
        window = {totp.at(clock.now() + offset) for offset in (-30, 0, 30)}
        wrapped, count = counting(services.totp._verify)
        services.totp._verify = wrapped  # type: ignore[method-assign]
        return FactorUnderTest(
            "totp",
            lambda code: services.totp.verify(user_id, code),
            lambda: totp.at(clock.now()),
            lambda: next(g for g in ("000000", "111111", "222222", "333333") if g not in window),
            count,
        )
    if request.param == "passkey":
        return _passkey(services, user_id)
    codes = services.recovery.generate(user_id)
    wrapped, count = counting(services.recovery._spend)
    services.recovery._spend = wrapped  # type: ignore[method-assign]
    return FactorUnderTest(
        "recovery",
        lambda code: services.recovery.redeem(user_id, code),
        lambda: codes[0],
        lambda: "zzzzz-zzzzz",
        count,
    )


def _passkey(services: Services, user_id: int) -> FactorUnderTest:
    authenticator = SoftAuthenticator(services.settings.passkey_origin)
    register_passkey(services, user_id, authenticator)
    wrapped, count = counting(services.passkeys.check_assertion)
    services.passkeys.check_assertion = wrapped  # type: ignore[method-assign]
    sessions = itertools.count(1000)
    lock = threading.Lock()

    def right() -> str:
        options = services.passkeys.authentication_options(user_id, SESSION)
        assert options is not None
        with lock:
            return authenticator.get(options)

    def guess(response: str) -> VerifyResult:
        if response != WRONG_PASSKEY:
            return services.passkeys.verify(user_id, SESSION, response)
        session = next(sessions)  # a pending login of its own
        options = services.passkeys.authentication_options(user_id, session)
        assert options is not None
        with lock:
            tampered = authenticator.get(options, tamper=True)
        return services.passkeys.verify(user_id, session, tampered)

    return FactorUnderTest("passkey", guess, right, lambda: WRONG_PASSKEY, count)


def in_parallel(call: Callable[[], VerifyResult], copies: int) -> list[VerifyResult]:
    """`copies` calls on their own threads, released together."""
    barrier = threading.Barrier(copies)

    def run(_: int) -> VerifyResult:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=copies) as pool:
        return list(pool.map(run, range(copies)))


def failures(real_redis: redis.Redis) -> int:
    return int(real_redis.hget(lockout_key(1), "n") or 0)


def test_parallel_wrong_guesses_reach_the_check_exactly_threshold_times(
    factor: FactorUnderTest, services: Services, real_redis: redis.Redis
) -> None:
    wrong = factor.wrong_code()
    results = in_parallel(lambda: factor.guess(wrong), PARALLEL)
    assert factor.evaluated() == THRESHOLD, factor.name
    assert failures(real_redis) == THRESHOLD
    statuses = [result.status for result in results]
    assert set(statuses) <= {VerifyStatus.WRONG, VerifyStatus.LOCKED}
    # the guesses refused before their check, plus the one that earned the lock (wrong guesses that finish
    # after it may say LOCKED too: the lock is in force by then)
    assert statuses.count(VerifyStatus.LOCKED) >= PARALLEL - THRESHOLD + 1
    assert services.lockout.wait(1) == 60
    assert not real_redis.exists(lockout_slots_key(1))  # every slot settled
    # locked: even the right code is not tried now
    before = factor.evaluated()
    assert factor.guess(factor.right_code()).status is VerifyStatus.LOCKED
    assert factor.evaluated() == before


def test_parallel_copies_of_one_right_code_succeed_once_and_count_no_failure(
    factor: FactorUnderTest, services: Services, real_redis: redis.Redis
) -> None:
    right = factor.right_code()
    results = in_parallel(lambda: factor.guess(right), 20)
    statuses = [result.status for result in results]
    # Issue 20, finding 13: the copies that lost the race are told the code was used (a passkey: its challenge
    # was answered), never "locked": their slots made a lock for a moment, the success cleared it.
    beaten = VerifyStatus.EXPIRED if factor.name == "passkey" else VerifyStatus.ALREADY_USED
    assert Tally(statuses) == {VerifyStatus.OK: 1, beaten: 19}, (factor.name, statuses)
    assert failures(real_redis) == 0
    assert services.lockout.wait(1) == 0
    assert real_redis.hmget(lockout_key(1), "n", "until") == [None, None]
    assert not real_redis.exists(lockout_slots_key(1))


def test_a_slot_that_never_settles_stops_counting_after_its_lease(
    services: Services, real_redis: redis.Redis, clock: FakeClock
) -> None:
    """Review L1: a leaked slot (its worker died), then new slots that settle: a locked attempt answers at once
    instead of waiting SETTLE_WAIT_SECONDS for a slot that will never settle."""
    for _ in range(THRESHOLD - 2):
        services.lockout.register_failure(1)
    assert not isinstance(services.lockout.reserve(1), VerifyResult)  # leaked: never settled
    clock.advance(SETTLE_LEASE_SECONDS + 1)
    assert services.lockout.register_failure(1).status is VerifyStatus.LOCKED  # a new slot, settled
    assert real_redis.zcard(lockout_slots_key(1)) == 0  # the leaked one was pruned, the new one removed
    started = time.monotonic()
    assert services.lockout.reserve(1) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)
    assert time.monotonic() - started < SETTLE_WAIT_SECONDS / 2
