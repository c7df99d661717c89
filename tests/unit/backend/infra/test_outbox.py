"""The transactional outbox: a notice is written in its change's transaction and relayed to the job queue, so
a Redis outage right after the commit delays it but never loses it; relaying is idempotent and safe from
several processes at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import fakeredis
import pytest
from sqlalchemy import event
from sqlmodel import select, update

from sms2fa_app.backend.admin.resets import CANCEL_PATH, ResetOutcome
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.infra.jobs import JobQueue
from sms2fa_app.backend.infra.outbox import LEASE_SECONDS, Outbox
from sms2fa_app.backend.models import OutboxJob
from sms2fa_app.backend.services import Services
from tests.conftest import TEST_SECRET
from tests.support.factories import create_user, granted, log_in
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer

ADA = "ada@example.com"
OLD_PHONE = "+16502531212"


@pytest.fixture
def redis_server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


@pytest.fixture
def redis_client(redis_server: fakeredis.FakeServer) -> fakeredis.FakeRedis:
    """The services' Redis, on a server a test can take down (`redis_server.connected = False`)."""
    return fakeredis.FakeRedis(server=redis_server, decode_responses=True)


@pytest.fixture
def redis_down_after_next_commit(database: Database, redis_server: fakeredis.FakeServer) -> Iterator[threading.Event]:
    """Set the event: the next database commit takes Redis down just as it commits (the window of the finding)."""
    armed = threading.Event()

    def take_redis_down(_connection) -> None:
        if armed.is_set():
            armed.clear()
            redis_server.connected = False

    event.listen(database.engine, "commit", take_redis_down)
    yield armed
    event.remove(database.engine, "commit", take_redis_down)


def test_a_notice_of_a_change_committed_while_redis_fails_is_sent_once_redis_is_back(
    services: Services,
    mailer: RecordingMailer,
    redis_server: fakeredis.FakeServer,
    redis_down_after_next_commit: threading.Event,
) -> None:
    create_user(services, phone=OLD_PHONE)
    session = granted(services, log_in(services).session, Operation.REGENERATE_CODES)
    redis_down_after_next_commit.set()
    assert services.factor_changes.regenerate_codes(session).done
    assert not redis_server.connected  # Redis failed just after the change committed
    assert services.recovery.remaining(1) == 10  # the change stands
    redis_server.connected = True
    services.jobs.drain()  # relays the outbox, then runs the due jobs
    (mail,) = mailer.to(ADA)
    assert "New recovery codes were made" in mail.subject
    services.notice_outbox.relay_outbox()
    services.jobs.drain()
    assert len(mailer.to(ADA)) == 1  # exactly once


def test_an_admin_reset_scheduled_while_redis_fails_still_mails_and_texts_its_cancel_link(
    services: Services,
    mailer: RecordingMailer,
    gateway: RecordingGateway,
    redis_server: fakeredis.FakeServer,
    redis_down_after_next_commit: threading.Event,
) -> None:
    user = create_user(services, phone=OLD_PHONE)
    admin = create_user(services, "root@example.com", phone="+16502530000")
    redis_down_after_next_commit.set()
    outcome = services.admin.resets.schedule(admin.id, user.id, "video_call", "called back on file", confirmed=True)
    assert outcome is ResetOutcome.SCHEDULED and not redis_server.connected
    redis_server.connected = True
    services.jobs.drain()
    services.jobs.drain()
    (mail,) = mailer.to(ADA)
    (text,) = [sent for sent in gateway.sent if sent.to == OLD_PHONE]
    assert CANCEL_PATH in mail.text and CANCEL_PATH in text.text


class Process:
    """One app process's relay and job queue (its own engine and Redis connection), sharing the database
    file and the Redis server with the others; its worker records the probe jobs it runs."""

    def __init__(self, db_file: Path, server: fakeredis.FakeServer, clock: FakeClock):
        self.database = Database(make_engine(f"sqlite:///{db_file}"))
        self.jobs = JobQueue(fakeredis.FakeRedis(server=server, decode_responses=True), clock, TEST_SECRET)
        self.outbox = Outbox(self.database, self.jobs, clock)
        self.ran: list[dict[str, Any]] = []
        self.jobs.register("probe", self.ran.append)


@pytest.fixture
def processes(
    tmp_path: Path, database: Database, redis_server: fakeredis.FakeServer, clock: FakeClock
) -> list[Process]:
    """Two app processes on the test's database (its tables exist) and Redis server."""
    return [Process(tmp_path / "test.db", redis_server, clock) for _ in range(2)]


def add_while_redis_is_down(process: Process, server: fakeredis.FakeServer, count: int = 1) -> None:
    """Commit `count` probe jobs while Redis is down: they stay in the outbox."""
    server.connected = False
    with process.database.session() as tx:
        for number in range(count):
            process.outbox.add(tx, "probe", {"n": number})
    server.connected = True


def test_a_rolled_back_change_leaves_nothing_to_relay(processes: list[Process]) -> None:
    first, _ = processes
    with pytest.raises(RuntimeError), first.database.session() as tx:
        first.outbox.add(tx, "probe", {"n": 1})
        raise RuntimeError("the change failed")
    assert first.outbox.waiting() == 0 and first.outbox.relay_outbox() == 0 and first.jobs.pending() == 0


def test_a_committed_job_is_relayed_at_once_and_the_row_deleted(processes: list[Process]) -> None:
    first, _ = processes
    with first.database.session() as tx:
        first.outbox.add(tx, "probe", {"n": 1})
        assert first.jobs.pending() == 0  # nothing is queued before the commit
    assert first.jobs.pending() == 1 and first.outbox.waiting() == 0
    first.jobs.drain()
    assert first.ran == [{"n": 1}]


def test_relaying_twice_queues_once(processes: list[Process], redis_server: fakeredis.FakeServer) -> None:
    first, second = processes
    add_while_redis_is_down(first, redis_server)
    assert first.outbox.waiting() == 1 and first.jobs.pending() == 0
    with first.database.session() as db:
        row = db.exec(select(OutboxJob)).one()
    # a relay that queued the row and died before deleting it
    assert first.jobs.enqueue_once(row.id, row.kind, row.payload)
    assert second.outbox.relay_outbox() == 1  # found queued already: only the row goes
    assert second.outbox.waiting() == 0 and second.jobs.pending() == 1
    assert not first.jobs.enqueue_once(row.id, row.kind, row.payload)
    first.jobs.drain()
    second.jobs.drain()
    assert first.ran + second.ran == [{"n": 0}]


def test_a_row_claimed_by_another_process_waits_for_its_lease(
    processes: list[Process], redis_server: fakeredis.FakeServer, clock: FakeClock
) -> None:
    first, second = processes
    add_while_redis_is_down(first, redis_server)
    with first.database.session() as tx:  # another relay claimed it, then died
        tx.exec(update(OutboxJob).values(claimed_until=clock.now() + LEASE_SECONDS))
    assert second.outbox.relay_outbox() == 0 and second.jobs.pending() == 0
    assert second.outbox.relay_outbox(clock.now() + LEASE_SECONDS) == 1
    assert second.jobs.pending() == 1 and second.outbox.waiting() == 0


def test_processes_relaying_at_once_queue_each_job_once(
    processes: list[Process], redis_server: fakeredis.FakeServer
) -> None:
    add_while_redis_is_down(processes[0], redis_server, count=30)
    start = threading.Barrier(len(processes) * 2)

    def relay(process: Process) -> int:
        start.wait()
        return process.outbox.relay_outbox()

    with ThreadPoolExecutor(len(processes) * 2) as pool:
        relayed = list(pool.map(relay, processes * 2))
    assert sum(relayed) == 30 and processes[0].outbox.waiting() == 0
    assert processes[0].jobs.pending() == 30
    for process in processes:
        process.jobs.drain()
    assert sorted(job["n"] for process in processes for job in process.ran) == list(range(30))


def test_the_worker_thread_relays_what_redis_refused(
    processes: list[Process], redis_server: fakeredis.FakeServer
) -> None:
    first, _ = processes
    add_while_redis_is_down(first, redis_server)
    done = threading.Event()
    first.jobs.register("probe", lambda payload: done.set())
    first.jobs.start(poll_seconds=0.05)
    try:
        assert done.wait(5)
    finally:
        first.jobs.stop()
    assert first.outbox.waiting() == 0
