"""Several processes relaying one outbox at once, on PostgreSQL (its row locks settle the conditional UPDATE that
claims a row) and a real Redis: every job is queued and run exactly once, and the outbox ends empty."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis
from sqlmodel import Session, SQLModel

from scripts.stack_parts import Postgres
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.infra.jobs import JobQueue
from sms2fa_app.backend.infra.outbox import Outbox
from tests.conftest import TEST_SECRET

PROCESSES = 4
JOBS = 60


class Process:
    """One app process: its own engine (connection pool), Redis client, job queue and outbox relay."""

    def __init__(self, url: str, client: redis.Redis, clock: FakeClock):
        self.database = Database(make_engine(url))
        self.jobs = JobQueue(client, clock, TEST_SECRET)
        self.outbox = Outbox(self.database, self.jobs, clock)
        self.ran: list[dict[str, Any]] = []
        self.jobs.register("probe", self.ran.append)


def test_processes_relaying_one_postgres_outbox_queue_every_job_once(
    postgres: Postgres, real_redis_server, real_redis: redis.Redis
) -> None:
    clock = FakeClock()
    processes = [Process(postgres.url, real_redis_server.client(), clock) for _ in range(PROCESSES)]
    SQLModel.metadata.create_all(processes[0].database.engine)
    with Session(processes[0].database.engine) as tx:  # a bare session runs no after-commit relay: all wait
        for number in range(JOBS):
            processes[0].outbox.add(tx, "probe", {"n": number})
        tx.commit()
    assert processes[0].outbox.waiting() == JOBS
    start = threading.Barrier(PROCESSES)

    def relay(process: Process) -> int:
        start.wait()
        return process.outbox.relay_outbox()

    with ThreadPoolExecutor(PROCESSES) as pool:
        relayed = list(pool.map(relay, processes))
    assert sum(relayed) == JOBS and processes[0].outbox.waiting() == 0
    assert processes[0].jobs.pending() == JOBS
    for process in processes:
        process.jobs.drain()
    assert sorted(job["n"] for process in processes for job in process.ran) == list(range(JOBS))
    for process in processes:
        process.database.engine.dispose()
