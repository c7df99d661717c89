"""The transactional outbox on a real Redis server that stops just after a factor change commits: the change
stands, and once the server is back the process's job worker relays the notice and a real SMTP server receives
it, exactly once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.services import build_services
from tests.conftest import FAST_HASHER, make_settings
from tests.support.factories import create_user, granted, log_in
from tests.support.recording_gateway import RecordingGateway
from tests.support.redis_server import RedisServer
from tests.support.smtp_server import LocalSmtp

ADA = "ada@example.com"


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A server of this test's own (the session's shared one is never stopped)."""
    with RedisServer() as server:
        yield server


def test_a_notice_committed_as_redis_stops_is_sent_once_it_restarts(
    tmp_path: Path, own_redis: RedisServer, database: Database, local_smtp: LocalSmtp
) -> None:
    services = build_services(
        make_settings(tmp_path, **local_smtp.settings()),
        clock=FakeClock(),
        redis_client=own_redis.client(socket_timeout=1, socket_connect_timeout=1),
        database=database,
        hasher=FAST_HASHER,
        gateway=RecordingGateway(),
    )
    create_user(services, phone="+16502531212")
    session = granted(services, log_in(services).session, Operation.REGENERATE_CODES)
    stop_at_next_commit = [True]

    def stop_redis(_connection) -> None:
        if stop_at_next_commit and stop_at_next_commit.pop():
            own_redis.kill()

    event.listen(database.engine, "commit", stop_redis)
    try:
        assert services.factor_changes.regenerate_codes(session).done
    finally:
        event.remove(database.engine, "commit", stop_redis)
    assert services.recovery.remaining(1) == 10  # the change stands
    services.jobs.start(poll_seconds=0.1)
    try:
        time.sleep(0.5)  # the worker polls while Redis is down: nothing is sent, nothing is lost
        assert local_smtp.to(ADA) == []
        own_redis.restart()
        mail = local_smtp.wait_for(ADA)
        time.sleep(0.5)  # more polls: no second copy
    finally:
        services.jobs.stop()
    assert "New recovery codes were made" in mail.subject and len(local_smtp.to(ADA)) == 1
    assert services.notice_outbox.waiting() == 0 and services.jobs.pending() == 0
