"""The processes one run of the app started, found in /proc, so a test can tell whether any were left behind.

A process belongs to the run when it inherited the run's marker variable, or when its working directory or
command line is inside the run's directory. The second rule catches redis-server, which overwrites its
environment block with its process title.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class RunProcess:
    """One live process of the run."""

    pid: int
    command: str

    def __str__(self) -> str:
        return f"{self.pid} {self.command}"


def _state(entry: Path) -> str:
    """The one-letter state from /proc/<pid>/stat ('Z' for a zombie)."""
    stat = (entry / "stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0]


def _belongs(entry: Path, marker: bytes | None, root: str) -> bool:
    with contextlib.suppress(OSError):
        if marker is not None and marker in (entry / "environ").read_bytes().split(b"\0"):
            return True
    with contextlib.suppress(OSError):
        cwd = os.readlink(entry / "cwd")
        if cwd == root or cwd.startswith(root + "/"):
            return True
    with contextlib.suppress(OSError):
        return root.encode() in (entry / "cmdline").read_bytes()
    return False


def run_processes(root: Path, marker: str | None = None) -> list[RunProcess]:
    """Live processes (zombies excluded) living under `root` or carrying `marker` ('NAME=value')."""
    found = []
    needle, prefix = (marker.encode() if marker else None), str(root)
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if _state(entry) in ("Z", "X") or not _belongs(entry, needle, prefix):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # it ended while we looked
            continue
        found.append(RunProcess(int(entry.name), command or f"[{entry.name}]"))
    return found


def wait_until_gone(root: Path, marker: str | None, timeout: float) -> list[RunProcess]:
    """Poll until no process of the run is left or `timeout` passes; return what is left."""
    deadline = time.monotonic() + timeout
    while True:
        left = run_processes(root, marker)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def kill(processes: list[RunProcess]) -> None:
    """SIGKILL each process by its id (cleanup after a failed check)."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process.pid, signal.SIGKILL)
