"""The job queue: run once when due, retried with backoff, dropped for good or after the last attempt,
encrypted at rest, claimed with a lease so two workers never run one job at once."""

from __future__ import annotations

import json
import threading

import fakeredis
import pytest

from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.infra.jobs import (
    DATA_KEY,
    DUE_KEY,
    LEASE_SECONDS,
    OUTAGE_RETRY_SECONDS,
    JobQueue,
    PermanentFailure,
)
from tests.conftest import TEST_SECRET


@pytest.fixture
def jobs(redis_client: fakeredis.FakeRedis, clock: FakeClock) -> JobQueue:
    return JobQueue(redis_client, clock, TEST_SECRET, max_attempts=3, base_backoff_seconds=10)


def test_a_job_runs_once_when_due(jobs: JobQueue, clock: FakeClock) -> None:
    seen: list[dict] = []
    jobs.register("note", seen.append)
    jobs.enqueue("note", {"n": 1})
    jobs.enqueue("note", {"n": 2}, delay_seconds=60)
    assert jobs.drain() == 1 and seen == [{"n": 1}]
    assert jobs.drain() == 0
    clock.advance(60)
    assert jobs.drain() == 1 and seen == [{"n": 1}, {"n": 2}]
    assert jobs.pending() == 0


def test_the_payload_is_encrypted_at_rest(jobs: JobQueue, redis_client: fakeredis.FakeRedis) -> None:
    jobs.enqueue("mail", {"to": "ada@example.com", "link": "https://x/reset-password?token=secret-token"})
    (stored,) = redis_client.hvals(DATA_KEY)
    assert "ada@example.com" not in stored and "secret-token" not in stored
    with pytest.raises(ValueError):
        json.loads(stored)


def test_a_failing_job_is_retried_with_backoff_then_dropped(jobs: JobQueue, clock: FakeClock) -> None:
    attempts: list[float] = []

    def flaky(_payload: dict) -> None:
        attempts.append(clock.now())
        raise ConnectionError("smtp down")

    jobs.register("mail", flaky)
    jobs.enqueue("mail", {})
    start = clock.now()
    for _ in range(10):
        jobs.drain()
        clock.advance(5)
    assert [round(at - start) for at in attempts] == [0, 10, 30]  # 10 s, then 20 s later; 3 attempts in all
    assert jobs.pending() == 0


def test_a_job_that_succeeds_on_retry_runs_no_more(jobs: JobQueue, clock: FakeClock) -> None:
    calls: list[int] = []

    def second_time_lucky(_payload: dict) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise TimeoutError("slow")

    jobs.register("mail", second_time_lucky)
    jobs.enqueue("mail", {})
    jobs.drain()
    clock.advance(10)
    jobs.drain()
    clock.advance(100)
    jobs.drain()
    assert len(calls) == 2 and jobs.pending() == 0


def test_a_permanent_failure_or_an_unknown_kind_is_dropped_at_once(jobs: JobQueue, clock: FakeClock) -> None:
    calls: list[int] = []

    def refused(_payload: dict) -> None:
        calls.append(1)
        raise PermanentFailure("address_refused")

    jobs.register("mail", refused)
    jobs.enqueue("mail", {})
    jobs.enqueue("nobody-handles-this", {})
    jobs.drain()
    clock.advance(1000)
    jobs.drain()
    assert calls == [1] and jobs.pending() == 0


def test_a_claimed_job_is_leased_and_comes_back_if_its_worker_died(
    jobs: JobQueue, redis_client: fakeredis.FakeRedis, clock: FakeClock
) -> None:
    jobs.enqueue("mail", {})
    claimed = jobs._claim(keys=[DUE_KEY, DATA_KEY], args=[repr(clock.now()), repr(clock.now() + LEASE_SECONDS), 10])
    assert len(claimed) == 2  # one (id, data) pair: this worker "dies" with it
    seen: list[dict] = []
    jobs.register("mail", seen.append)
    assert jobs.drain() == 0  # leased: no other worker runs it meanwhile
    clock.advance(LEASE_SECONDS)
    assert jobs.drain() == 1 and seen == [{}]


def test_parallel_drains_run_each_job_once(jobs: JobQueue) -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def record(payload: dict) -> None:
        with lock:
            seen.append(payload["n"])

    jobs.register("n", record)
    for n in range(40):
        jobs.enqueue("n", {"n": n})
    threads = [threading.Thread(target=jobs.drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(40))


def test_the_worker_thread_drains_when_woken(jobs: JobQueue) -> None:
    done = threading.Event()
    jobs.register("ping", lambda _payload: done.set())
    jobs.start(poll_seconds=30)
    try:
        jobs.enqueue("ping", {})
        assert done.wait(5), "the worker did not run the job"
    finally:
        jobs.stop()


def test_an_outage_is_not_the_jobs_fault_its_attempts_stay_and_it_is_due_again_soon(
    jobs: JobQueue, clock: FakeClock
) -> None:
    """A database (or Redis) outage inside a handler hands the job back for OUTAGE_RETRY_SECONDS, attempt unspent:
    a long outage must neither burn the job's retries nor make it wait out a backoff once the outage is over."""
    runs: list[int] = []

    def handler(payload: dict) -> None:
        runs.append(1)
        if len(runs) <= jobs.max_attempts + 2:
            raise ServiceUnavailable("database unavailable")

    jobs.register("mail", handler)
    jobs.enqueue("mail", {"to": "ada@example.com"})
    for _ in range(jobs.max_attempts + 3):
        jobs.drain()
        clock.advance(OUTAGE_RETRY_SECONDS)
    assert len(runs) == jobs.max_attempts + 3  # never dropped, and ran again every OUTAGE_RETRY_SECONDS
    assert jobs.pending() == 0


def test_jobs_left_claimed_when_redis_died_mid_batch_run_as_soon_as_it_answers(clock: FakeClock) -> None:
    """Redis killed while a worker holds a claimed batch: those jobs must not wait out their LEASE_SECONDS."""
    server = fakeredis.FakeServer()
    jobs = JobQueue(fakeredis.FakeRedis(server=server, decode_responses=True), clock, TEST_SECRET)
    ran: list[str] = []

    def handler(payload: dict) -> None:
        if payload["n"] == 0 and not ran:
            ran.append("died")
            server.connected = False  # Redis dies while the first job runs
            raise ServiceUnavailable("redis unavailable")
        ran.append(str(payload["n"]))

    jobs.register("mail", handler)
    for n in range(3):
        jobs.enqueue("mail", {"n": n})
    with pytest.raises(ServiceUnavailable):
        jobs.drain()
    server.connected = True  # Redis is back at once: no lease has run out
    clock.advance(1)
    jobs.drain()
    assert sorted(ran) == ["0", "1", "2", "died"]
    assert jobs.pending() == 0
