"""The embedded Redis server lives exactly as long as some app process uses it.

Each "app process" here is a small Python process that calls ensure_embedded_redis and sleeps; killing it
with SIGKILL is the harshest way an app can end (no cleanup code runs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from sms2fa_app.backend.infra.redis_store import _start_server, client_names, connect
from tests.support.processes import RunProcess, kill, run_processes

ROOT = Path(__file__).resolve().parents[2]
GRACE_SECONDS = 1.0
STOP_WITHIN_SECONDS = GRACE_SECONDS + 4.0  # grace, a poll, the save and the exit
HOLDER = """
import sys, time
from pathlib import Path
from sms2fa_app.backend.infra.redis_store import ensure_embedded_redis
print(ensure_embedded_redis(Path(sys.argv[1]), grace_seconds=float(sys.argv[2])), flush=True)
time.sleep(600)
"""


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A short path (unix socket paths are limited to about 100 bytes); whatever runs there is killed after."""
    path = Path(tempfile.mkdtemp(prefix="sms2fa-lease-"))
    yield path
    kill(run_processes(path))
    shutil.rmtree(path, ignore_errors=True)


def spawn_holder(data_dir: Path) -> subprocess.Popen[str]:
    """An app process that will use the embedded server."""
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir), str(GRACE_SECONDS)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def holding(process: subprocess.Popen[str]) -> subprocess.Popen[str]:
    """`process`, once it holds its lease."""
    assert process.stdout is not None
    assert process.stdout.readline().startswith("unix://"), "the holder did not get the server"
    return process


def start_holder(data_dir: Path) -> subprocess.Popen[str]:
    return holding(spawn_holder(data_dir))


def server_and_watchdog(data_dir: Path) -> list[RunProcess]:
    return [
        process
        for process in run_processes(data_dir)
        if "redis-server" in process.command or "redis_watchdog" in process.command
    ]


def wait_until_stopped(data_dir: Path, timeout: float) -> float:
    """Seconds until neither the server nor its watchdog runs; fails after `timeout`."""
    started = time.monotonic()
    while server_and_watchdog(data_dir):
        assert time.monotonic() - started < timeout, f"still running: {server_and_watchdog(data_dir)}"
        time.sleep(0.1)
    return time.monotonic() - started


def client(data_dir: Path) -> redis.Redis:
    return redis.Redis(unix_socket_path=str(data_dir / "redis.sock"), socket_timeout=2, decode_responses=True)


def watchdogs(data_dir: Path, at_least: int = 1, timeout: float = 10.0) -> int:
    """How many watchdogs are connected, once at least `at_least` are (a new one needs a moment to start)."""
    deadline = time.monotonic() + timeout
    with client(data_dir) as probe:
        while True:
            count = client_names(probe).count("sms2fa-redis-watchdog")
            if count >= at_least or time.monotonic() > deadline:
                return count
            time.sleep(0.05)


def test_the_server_stops_after_its_last_user_and_keeps_its_data(data_dir: Path) -> None:
    first, second = start_holder(data_dir), start_holder(data_dir)
    assert watchdogs(data_dir) == 1
    with client(data_dir) as probe:
        names = client_names(probe)
        probe.set("kept", "yes")
    assert sorted(name for name in names if name.startswith("sms2fa-lease-")) == sorted(
        [f"sms2fa-lease-{first.pid}", f"sms2fa-lease-{second.pid}"]
    )
    assert len(server_and_watchdog(data_dir)) == 2

    first.kill()
    first.wait()
    time.sleep(STOP_WITHIN_SECONDS)  # well past the grace: the other user still holds its lease
    with client(data_dir) as probe:
        assert probe.ping()

    second.kill()
    second.wait()
    assert wait_until_stopped(data_dir, STOP_WITHIN_SECONDS) <= STOP_WITHIN_SECONDS
    assert not (data_dir / "redis.sock").exists()

    third = start_holder(data_dir)  # a new start finds the saved data
    try:
        with client(data_dir) as probe:
            assert probe.get("kept") == "yes"
    finally:
        third.kill()
        third.wait()
    wait_until_stopped(data_dir, STOP_WITHIN_SECONDS)


def test_a_server_left_by_an_older_version_is_adopted_and_stopped(data_dir: Path) -> None:
    _start_server(data_dir, data_dir / "redis.sock", f"unix://{data_dir / 'redis.sock'}")  # no watchdog
    holder = start_holder(data_dir)
    assert watchdogs(data_dir) == 1
    holder.kill()
    holder.wait()
    wait_until_stopped(data_dir, STOP_WITHIN_SECONDS)


def test_one_watchdog_even_when_processes_start_together(data_dir: Path) -> None:
    holders = [holding(process) for process in [spawn_holder(data_dir) for _ in range(3)]]
    try:
        assert watchdogs(data_dir) >= 1
        time.sleep(1.5)  # a duplicate watchdog, if any, has looked and left by now
        assert watchdogs(data_dir) == 1
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()
    wait_until_stopped(data_dir, STOP_WITHIN_SECONDS)


def test_a_dead_embedded_server_comes_back_at_the_next_request_without_an_app_restart(data_dir: Path) -> None:
    """Issue 23: the development server killed (or crashed) while the app runs: the app's next Redis call starts it
    again, with this process's lease and one watchdog, instead of failing until the app restarts."""
    app_client = connect(None, data_dir)
    app_client.set("before", "1")
    kill([process for process in server_and_watchdog(data_dir) if "redis-server" in process.command])
    with pytest.raises(redis.ConnectionError):
        client(data_dir).ping()  # gone
    assert app_client.set("after", "yes")  # the next request brings it back
    assert app_client.get("after") == "yes"
    with client(data_dir) as probe:
        assert f"sms2fa-lease-{os.getpid()}" in client_names(probe)
    assert watchdogs(data_dir) == 1
    time.sleep(STOP_WITHIN_SECONDS)  # past the grace: this process's lease keeps it up
    assert app_client.ping()
