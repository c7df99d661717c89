"""Issue 20, finding 4 on PostgreSQL (production's database) and a real Redis: the session cap's and the purge's
SQL (an OFFSET subquery, a correlated subquery in a DELETE) do what they do on SQLite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import text
from sqlmodel import SQLModel

from scripts.stack_parts import Postgres
from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.housekeeping import PurgeCounts
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.models import LoginSession
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user
from tests.unit.backend.test_housekeeping import first_characters, seed_dead_and_live_rows


@pytest.fixture
def redis_client(real_redis: redis.Redis) -> redis.Redis:
    """The shared `services` fixture (tests/conftest.py) on the real Redis ..."""
    return real_redis


@pytest.fixture
def database(postgres: Postgres) -> Iterator[Database]:
    """... and on PostgreSQL, its tables made anew for each test."""
    engine = make_engine(postgres.url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    yield Database(engine)
    engine.dispose()


def test_25_sessions_leave_the_20_newest_on_postgres(services: Services, clock: FakeClock) -> None:
    user = create_user(services)
    issued = []
    for _ in range(25):
        issued.append(services.sessions.create(user.id, BY_PASSWORD))
        clock.advance(1)
    with services.database.session() as db:
        assert db.exec(text("SELECT count(*) FROM login_sessions")).one()[0] == 20
    assert [services.sessions.resolve(old.token) for old in issued[:5]] == [None] * 5
    assert all(services.sessions.resolve(new.token) is not None for new in issued[5:])


def test_the_purge_on_postgres_removes_expired_rows_and_keeps_live_ones(services: Services, clock: FakeClock) -> None:
    seed_dead_and_live_rows(services, clock)
    assert services.housekeeping.run() == PurgeCounts(login_sessions=3, link_tokens=2, remembered_devices=2)
    assert services.housekeeping.run() is None  # this period's purge is done (the Redis lock)
    assert first_characters(services, LoginSession, "token_hash") == ["1", "2"]
