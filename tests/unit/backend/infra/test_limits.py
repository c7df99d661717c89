"""Sliding-window limits: atomic check-and-count, no quota spent on refusal, retry-after."""

from __future__ import annotations

from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.limits import Counter, LimitReached, ProofNeeded, WindowLimiter
from sms2fa_app.backend.infra.pow import Proof


def test_limit_refuses_after_quota_and_recovers_as_window_slides(redis_client, clock: FakeClock) -> None:
    limiter = WindowLimiter(redis_client, clock)
    counter = Counter("t:user", limit=3, window_seconds=60)
    for _ in range(3):
        assert limiter.check_and_hit([counter]) is None
        clock.advance(10)
    reached = limiter.check_and_hit([counter])
    assert reached is not None and reached.counter == counter
    assert reached.retry_after_seconds == 30  # the first hit (t=0) leaves the window at t=60; now t=30
    clock.advance(30)
    assert limiter.check_and_hit([counter]) is None


def test_refusal_by_one_counter_spends_no_quota_of_the_others(redis_client, clock: FakeClock) -> None:
    limiter = WindowLimiter(redis_client, clock)
    tight = Counter("t:tight", limit=1, window_seconds=60)
    loose = Counter("t:loose", limit=5, window_seconds=60)
    assert limiter.check_and_hit([tight, loose]) is None
    for _ in range(4):
        reached = limiter.check_and_hit([loose, tight])
        assert reached is not None and reached.counter == tight
    assert redis_client.zcard("t:loose") == 1


def test_check_alone_records_nothing_and_hit_always_records(redis_client, clock: FakeClock) -> None:
    limiter = WindowLimiter(redis_client, clock)
    counter = Counter("t:c", limit=1, window_seconds=60)
    assert limiter.check([counter]) is None
    assert redis_client.zcard("t:c") == 0
    limiter.hit([counter])
    limiter.hit([counter])
    assert redis_client.zcard("t:c") == 2
    assert limiter.check([counter]) is not None
    limiter.clear([counter])
    assert limiter.check([counter]) is None


def test_reserve_counts_before_the_work_and_release_gives_the_slot_back(redis_client, clock: FakeClock) -> None:
    limiter = WindowLimiter(redis_client, clock)
    counter = Counter("t:r", limit=2, window_seconds=60)
    first, first_id = limiter.reserve([counter])
    second, _ = limiter.reserve([counter])
    assert first is None and second is None
    assert limiter.reserve([counter])[0] is not None  # full while both attempts are in flight
    limiter.release([counter], first_id)
    assert limiter.reserve([counter])[0] is None


def test_pressure_needs_a_proof_and_a_refusal_records_nothing(redis_client, clock: FakeClock) -> None:
    limiter = WindowLimiter(redis_client, clock)
    hard = Counter("t:hard", limit=3, window_seconds=60)
    pressure = Counter("t:soft", limit=0, window_seconds=60, pow_at=2)  # never full, only pressed
    assert limiter.check_and_hit([hard, pressure]) is None
    assert limiter.check_and_hit([hard, pressure]) is None
    assert limiter.check_and_hit([hard, pressure]) == ProofNeeded(pressure)
    assert (redis_client.zcard("t:hard"), redis_client.zcard("t:soft")) == (2, 2)
    paid = Proof("pow:spent:abc", 60)
    assert limiter.check_and_hit([hard, pressure], paid) is None
    reached = limiter.check_and_hit([hard, pressure], Proof("pow:spent:def", 60))
    assert isinstance(reached, LimitReached) and reached.counter == hard  # a hard limit wins over any proof
    assert redis_client.exists("pow:spent:def") == 0  # and a refused event spends no proof
    assert limiter.check([hard, pressure]) is not None  # check() never asks for proof
    clock.advance(61)
    assert limiter.check_and_hit([hard, pressure]) is None  # pressure slides away with the window
