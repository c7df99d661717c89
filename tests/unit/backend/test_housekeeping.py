"""The periodic purge (issue 20, finding 4): expired sessions, dead links and expired devices go, live rows and the
audit history stay, and one worker at a time does it."""

from __future__ import annotations

import time

from sqlmodel import SQLModel, select

from sms2fa_app.backend.assurance import Level
from sms2fa_app.backend.housekeeping import Housekeeping, PurgeCounts
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.models import LinkToken, LoginSession, RememberedDevice, SecurityEvent
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user

HOUR = 3600


def _ids(services: Services, table: type[SQLModel]) -> set[int]:
    with services.database.session() as db:
        return {row.id for row in db.exec(select(table)).all()}


def _link(user_id: int, name: str, expires_at: float, used_at: float | None = None) -> LinkToken:
    return LinkToken(
        user_id=user_id, purpose="reset", token_digest=name * 64, created_at=0, expires_at=expires_at, used_at=used_at
    )


def _device(user_id: int, name: str, expires_at: float) -> RememberedDevice:
    digest = name * 64
    return RememberedDevice(
        user_id=user_id, token_digest=digest, factor_epoch=0, created_at=0, last_used_at=0, expires_at=expires_at
    )


def _session(user_id: int, name: str, level: Level, started: float, last_seen: float) -> LoginSession:
    return LoginSession(
        token_hash=name * 64, user_id=user_id, level=level.value, created_at=started, auth_time=started,
        last_seen_at=last_seen,
    )  # fmt: skip


def seed_dead_and_live_rows(services: Services, clock: FakeClock) -> None:
    """Live and dead rows of each table the purge covers (live ones are named by digits), an old security event."""
    settings, now = services.settings, clock.now()
    user_id = create_user(services).id
    signed_in, pending = Level.TWO_FACTOR, Level.NONE
    with services.database.session() as db:
        db.add(_session(user_id, "1", signed_in, now - 60, now - 10))  # live
        db.add(_session(user_id, "2", pending, now - 10, now - 10))  # live, waiting for its second factor
        db.add(_session(user_id, "a", signed_in, now - settings.session_absolute_seconds - 1, now - 10))
        db.add(_session(user_id, "b", signed_in, now - 600, now - settings.session_idle_seconds - 1))
        db.add(_session(user_id, "c", pending, now - settings.pending_2fa_seconds - 1, now - 10))
        db.add(_link(user_id, "1", now + 10 * HOUR))  # live
        db.add(_link(user_id, "a", now - 1))  # expired
        db.add(_link(user_id, "b", now + 10 * HOUR, used_at=now - 10))  # used
        db.add(_device(user_id, "1", now + 10 * HOUR))  # live
        db.add(_device(user_id, "a", now - 1))  # expired
        voided = _device(user_id, "b", now + 10 * HOUR)
        voided.factor_epoch = -1  # made before a second-factor change voided the user's devices
        db.add(voided)
        db.add(SecurityEvent(user_id=user_id, kind="signed_in", at=1.0))  # audit history: the activity purge's


def first_characters(services: Services, table: type[SQLModel], column: str) -> list[str]:
    with services.database.session() as db:
        return sorted(getattr(row, column)[0] for row in db.exec(select(table)).all())


def test_purge_removes_expired_rows_and_keeps_live_ones(services: Services, clock: FakeClock) -> None:
    seed_dead_and_live_rows(services, clock)
    events = _ids(services, SecurityEvent)
    counts = services.housekeeping.purge_expired(clock.now())
    assert counts == PurgeCounts(login_sessions=3, link_tokens=2, remembered_devices=2)
    assert first_characters(services, LoginSession, "token_hash") == ["1", "2"]
    assert first_characters(services, LinkToken, "token_digest") == ["1"]
    assert first_characters(services, RememberedDevice, "token_digest") == ["1"]
    assert _ids(services, SecurityEvent) == events and events
    assert services.housekeeping.purge_expired(clock.now()) == PurgeCounts()


def test_one_worker_at_a_time_purges_once_per_interval(services: Services, clock: FakeClock) -> None:
    seed_dead_and_live_rows(services, clock)
    other_worker = Housekeeping(services.database, services.redis, clock, services.sessions)
    assert services.housekeeping.run() == PurgeCounts(login_sessions=3, link_tokens=2, remembered_devices=2)
    assert other_worker.run() is None  # the first one holds the period's lock
    clock.advance(Housekeeping.INTERVAL_SECONDS)
    assert services.redis.ttl(Housekeeping.LOCK_KEY) > 0  # Redis ends the period (the fake clock cannot)
    services.redis.delete(Housekeeping.LOCK_KEY)
    assert other_worker.run() == PurgeCounts(login_sessions=2)  # the two live sessions idled out since


def test_each_processs_job_worker_runs_the_purge(services: Services, clock: FakeClock) -> None:
    seed_dead_and_live_rows(services, clock)
    services.jobs.start(poll_seconds=0.01)
    try:
        deadline = time.monotonic() + 10
        while not services.redis.exists(Housekeeping.LOCK_KEY) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        services.jobs.stop()
    assert first_characters(services, LoginSession, "token_hash") == ["1", "2"]
