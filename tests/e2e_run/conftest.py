"""The README's commands, run the way a developer runs them: `make run` in development mode, and a fresh clone.

Each app runs in its own temporary directory, with its own free ports on 127.0.0.1, an environment scrubbed of
every documented setting (nothing set, as on a new machine), and a marker variable that every process it starts
inherits, so the tests can tell whether the app left anything running when it stopped.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.app_server import ROOT, _answers
from tests.support.app_server import documented_settings as _documented_settings
from tests.support.app_server import project_mirror as _project_mirror
from tests.support.browser import (  # noqa: F401 - fixtures shared with tests/e2e
    ARTIFACTS,
    browser,
    chromium_executable,
)
from tests.support.processes import RunProcess, kill, run_processes, wait_until_gone

E2E_RUN_DIR = Path(__file__).resolve().parent
MARKER_NAME = "SMS2FA_TEST_RUN"
# Worker restarts show in the development log as a new "Compiling:" progress line (Reflex) and as the app's
# own line for each backend worker start.
COMPILE_LINE = re.compile(r"^.*Compiling:", re.MULTILINE)
WORKER_START_LINE = re.compile(r"event=backend_worker_started", re.MULTILINE)
KILLED_WORKER_LINE = re.compile(r"refused to gracefully stop", re.MULTILINE)
LOOPBACK = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
STOP_TIMEOUT_SECONDS = 30.0  # after SIGTERM: the app, then the embedded Redis once its grace has passed


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test here drives the app end to end: e2e marker."""
    for item in items:
        if E2E_RUN_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


def clean_environment(marker: str) -> dict[str, str]:
    """The caller's environment without pytest's, Reflex's or any documented app setting, plus the run marker."""
    documented = set(_documented_settings())
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "REFLEX_")) and key not in documented and key != MARKER_NAME
    }
    environment[MARKER_NAME] = marker
    environment["REFLEX_CHECK_LATEST_VERSION"] = "false"  # no PyPI lookup at every start
    return environment


@dataclass
class RunLog:
    """What the app printed, and the restarts it shows."""

    path: Path

    def text(self) -> str:
        try:
            return self.path.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def counts(self) -> tuple[int, int, int]:
        """(compiles, backend worker starts, workers killed) so far."""
        text = self.text()
        return (
            len(COMPILE_LINE.findall(text)),
            len(WORKER_START_LINE.findall(text)),
            len(KILLED_WORKER_LINE.findall(text)),
        )


@dataclass
class MakeRun:
    """`make <target>` started in its own process group, logging to a file."""

    root: Path
    cwd: Path
    process: subprocess.Popen[bytes]
    log: RunLog
    marker: str

    @property
    def marker_assignment(self) -> str:
        return f"{MARKER_NAME}={self.marker}"

    def leftovers(self) -> list[RunProcess]:
        """Live processes of this run."""
        return run_processes(self.root, self.marker_assignment)

    def signal_group(self, signum: int) -> None:
        """Send `signum` to make's process group, as a terminal does on Ctrl-C."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int | None, float, list[RunProcess]]:
        """Signal the group; wait for make and for every process of the run to end.

        Returns make's exit code (None if it did not exit), the seconds until nothing was left, and what was left.
        """
        started = time.monotonic()
        self.signal_group(signum)
        code = None
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        left = wait_until_gone(self.root, self.marker_assignment, STOP_TIMEOUT_SECONDS)
        return code, time.monotonic() - started, left

    def force_stop(self) -> None:
        """Cleanup: KILL the group and anything else of the run (by process id)."""
        if self.process.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        kill(self.leftovers())


def start_make(target: str, cwd: Path, root: Path, environment: dict[str, str], log_path: Path) -> MakeRun:
    """Run `make <target>` in `cwd` in a new session (so the whole group can be signalled)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", target],
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return MakeRun(root, cwd, process, RunLog(log_path), environment[MARKER_NAME])


def wait_until_serving(run: MakeRun, urls: list[str], timeout: float) -> float:
    """Wait until every URL answers; return the seconds it took. Fails with the log's tail."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if run.process.poll() is not None:
            raise RuntimeError(f"`make` exited with code {run.process.returncode}:\n{run.log.tail()}")
        if all(_answers(url) for url in urls):
            return time.monotonic() - started
        time.sleep(1)
    raise RuntimeError(f"the app did not answer {urls} within {timeout:.0f}s:\n{run.log.tail()}")


def listening_addresses(port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Local addresses of the TCP sockets listening on `port` (from /proc/net/tcp and tcp6)."""
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # The kernel prints each 32-bit word in host (little-endian) order.
            packed = b"".join(raw[i : i + 4][::-1] for i in range(0, width // 2, 4))
            found.append(ipaddress.ip_address(packed))
    return found


def assert_listens_on_loopback_only(name: str, port: int) -> None:
    """Something listens on `port`, and only on 127.0.0.1 (or ::1), not on every interface."""
    addresses = listening_addresses(port)
    assert addresses, f"nothing listens on the {name} port {port}"
    exposed = [str(address) for address in addresses if address not in LOOPBACK]
    assert not exposed, f"the {name} (port {port}) listens on {exposed}, not only on 127.0.0.1"


def new_marker() -> str:
    """A value no other run uses."""
    return secrets.token_hex(8)


def dev_mirror(target: Path) -> Path:
    """A project mirror whose app package and rxconfig.py are copies, not links: the app's project root is the
    mirror (its data/ lands there, as in a fresh clone) and a test may edit a module without touching the tree."""
    _project_mirror(target)
    for name in ("sms2fa_app", "rxconfig.py"):
        (target / name).unlink()
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="package")
def run_artifacts() -> Path:
    """test-artifacts/e2e-run/: the logs of the apps these tests start."""
    target = ARTIFACTS / "e2e-run"
    target.mkdir(parents=True, exist_ok=True)
    return target
