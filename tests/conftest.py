"""Shared fixtures: settings on a temp dir, an injected clock, fakeredis, a temp SQLite database, Services."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
from sqlalchemy import event
from sqlmodel import SQLModel

from sms2fa_app.backend.identity.passwords import PasswordHasher
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.services import Services, build_services, set_services
from sms2fa_app.config import Settings, load_settings
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer

# Generated-looking, as production demands (secrets.token_hex(32)); fixed, so a failing run can be repeated.
TEST_SECRET = "3c9e1f7a52b8d04e6a1c9f3b7d25e8a0f4b6c2d9e71a3f5b8c0d4e62a9f17b3c"
# What production refuses to start without, besides SECRET_KEY and Plivo: explicit, safe values on this machine
# (each harness overrides what it runs: its port in APP_URL and WEBAUTHN_ORIGIN, its SMTP server).
PRODUCTION_TEST_SETTINGS = {
    "TRUSTED_PROXY_HOPS": "0",  # the test apps are reached on 127.0.0.1 directly
    "OTP_ALLOWED_COUNTRIES": "US",  # the country of the tests' numbers
    "PHONE_LINE_TYPES": "mobile",
    "PHONE_LOOKUP_ON_ERROR": "deny",
    "APP_URL": "http://localhost:3000",
    "WEBAUTHN_RP_ID": "localhost",
    "WEBAUTHN_ORIGIN": "http://localhost:3000",
    "SMTP_HOST": "127.0.0.1",
    "SMTP_SECURITY": "none",
    "SMTP_FROM": "sms2fa@example.com",
    "OPERATOR_EMAIL": "ops@example.com",
}

# Cheap argon2 parameters keep the suite fast; production parameters are tested in test_passwords.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost_kib=1024)


# Proof of work stays out of the way unless a test turns it on (tests of pressure set their thresholds).
NO_PRESSURE = {
    "POW_AFTER_SENDS_PER_HOUR_PER_USER": "0",
    "POW_AFTER_SENDS_PER_HOUR_PER_IP": "0",
    "POW_AFTER_COUNTRY_CAP_PERCENT": "0",
    "POW_AFTER_LOGIN_FAILURES_PER_ACCOUNT": "0",
    "POW_AFTER_LOGIN_FAILURES_PER_IP": "0",
    "POW_DIFFICULTY": "20",
}


def make_settings(tmp_path: Path, **overrides: str) -> Settings:
    """Settings as a test wants them: temp data dir, fixed secret, no .env file, no proof-of-work pressure."""
    environ = {"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": TEST_SECRET, "APP_ENV": "development"}
    environ.update(NO_PRESSURE)
    environ.update(overrides)
    return load_settings(environ, env_file=None)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def redis_client() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis(decode_responses=True)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with the schema, made once per run: create_all is ~0.4 s of fsyncs, which most tests
    paid before their first line; a copy of the file is ~10 ms."""
    path = tmp_path_factory.mktemp("schema") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    with engine.connect() as connection:  # everything into the file itself, no WAL left beside it
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def database(tmp_path: Path, database_template: Path) -> Database:
    """A fresh database of this test's own (a copy of the template), without fsyncs: a throwaway file needs no
    durability, and a commit's fsync was most of what many tests waited for on a busy disk."""
    path = tmp_path / "test.db"
    shutil.copyfile(database_template, path)
    engine = make_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _without_fsync)
    return Database(engine)


def _without_fsync(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture
def gateway() -> RecordingGateway:
    return RecordingGateway()


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def services(
    settings: Settings,
    clock: FakeClock,
    redis_client,
    database: Database,
    gateway: RecordingGateway,
    mailer: RecordingMailer,
) -> Iterator[Services]:
    """Backend services wired to the fakes, installed as the process-wide Services for state tests.

    Queued jobs (mails, texts, sign-ups) run when a test calls `services.jobs.drain()`."""
    built = build_services(
        settings,
        clock=clock,
        redis_client=redis_client,
        database=database,
        hasher=FAST_HASHER,
        gateway=gateway,
        mailer=mailer,
    )
    set_services(built)
    yield built
    set_services(None)
