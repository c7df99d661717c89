"""The production app in a mirror of the project, for the end-to-end tests and the load benchmark.

`reflex run --env prod` writes lockfiles and .gitignore into its working directory and builds into
REFLEX_WEB_WORKDIR / REFLEX_STATES_WORKDIR: running it in a mirror (links to the tree's top-level
entries) with its own work dirs leaves the tracked tree and a developer's `reflex run` alone. The app
listens on 127.0.0.1 only, frontend and backend on one free port. The browser may call it `localhost` (passkeys
need a domain name as relying-party id, never an IP address): then WebAuthn, APP_URL (mail links, Plivo's
delivery reports and voice answers, the host that ends code texts) and Reflex's URLs all use that name.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from scripts.stack_parts import free_port as free_port  # re-exported for the browser suites

ROOT = Path(__file__).resolve().parents[2]
APP_START_TIMEOUT_SECONDS = 240.0
SENDER_NUMBER = "+14155550100"
# The app runs in a mirror of the project: links to the tree's top-level entries, except these.
COPIED_INTO_MIRROR = {"reflex.lock", ".gitignore"}  # Reflex rewrites them in its working directory
NOT_MIRRORED = {".git", ".web", ".states", "data", "test-artifacts", ".pytest_cache", ".ruff_cache"}


def project_mirror(target: Path) -> Path:
    """A directory that is the project to Reflex; running there leaves the tracked tree untouched."""
    target.mkdir()
    for entry in ROOT.iterdir():
        if entry.name in COPIED_INTO_MIRROR:
            copy = shutil.copytree if entry.is_dir() else shutil.copy2
            copy(entry, target / entry.name)
        elif entry.name not in NOT_MIRRORED:
            (target / entry.name).symlink_to(entry)
    return target


def documented_settings() -> list[str]:
    """Every variable named in .env.example (so a developer's .env cannot leak into the app under test)."""
    text = (ROOT / ".env.example").read_text()
    return re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE)


def app_environment(
    work: Path,
    *,
    redis_url: str,
    plivo_url: str,
    plivo_auth: tuple[str, str],
    settings: dict[str, str],
    host: str = "127.0.0.1",
) -> dict[str, str]:
    """The app process's environment: `settings` over every documented default, temporary data in `work`,
    its own Reflex work dirs, one free port on 127.0.0.1 that the browser reaches as `host` (127.0.0.1 or
    localhost). Nothing inherited from pytest or a developer's Reflex."""
    port = free_port()
    origin = f"http://{host}:{port}"
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "REFLEX_"))}
    environment.pop("GRANIAN_WORKERS", None)
    environment.update(dict.fromkeys(documented_settings(), ""))  # empty = the setting's default
    environment.update(settings)
    environment.update(
        {
            "PATH": f"{ROOT / '.tools/node_modules/.bin'}:{ROOT / '.venv/bin'}:{os.environ.get('PATH', '')}",
            "REFLEX_USE_SYSTEM_BUN": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_CHECK_LATEST_VERSION": "false",
            "REFLEX_WEB_WORKDIR": str(work / "web"),
            "REFLEX_STATES_WORKDIR": str(work / "states"),
            "REFLEX_API_URL": origin,
            "REFLEX_DEPLOY_URL": origin,
            "REFLEX_FRONTEND_PORT": str(port),
            "REFLEX_BACKEND_PORT": str(port),
            "DATA_DIR": str(work / "data"),
            "DATABASE_URL": f"sqlite:///{work / 'sms2fa.db'}",
            "REDIS_URL": redis_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "PLIVO_AUTH_ID": plivo_auth[0],
            "PLIVO_AUTH_TOKEN": plivo_auth[1],
            "PLIVO_API_URL": plivo_url,
            "PLIVO_LOOKUP_URL": plivo_url,
            "PLIVO_PHONE_NUMBER": SENDER_NUMBER,
        }
    )
    if host != "127.0.0.1":
        environment.update({"WEBAUTHN_RP_ID": host, "WEBAUTHN_ORIGIN": origin, "APP_URL": origin})
    return environment


@dataclass
class RunningApp:
    """The app under test, served on one port (frontend and backend)."""

    url: str
    cwd: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    environment: dict[str, str]

    def log_tail(self, lines: int = 60) -> str:
        """The end of the app's log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the app's process group (reflex, granian and its workers)."""
        stop_group(self.process)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 400
    except (urllib.error.URLError, OSError):
        return False


def wait_until_ready(app: RunningApp, timeout: float = APP_START_TIMEOUT_SECONDS) -> None:
    """Until the app answers /ping and /; RuntimeError with its log's tail if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"the app exited with code {app.process.returncode}:\n{app.log_tail()}")
        if _answers(f"{app.url}/ping") and _answers(f"{app.url}/"):
            return
        time.sleep(1)
    raise RuntimeError(f"the app did not answer /ping and / within {timeout:.0f}s:\n{app.log_tail()}")


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process group started with start_new_session: TERM, then KILL whatever is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # its group id is ours alone: the leader was reaped just now
    process.wait(timeout=5)


def migrate(cwd: Path, environment: dict[str, str], log_path: Path) -> None:
    """`reflex db migrate` in the mirror; RuntimeError with the log when it fails."""
    with log_path.open("wb") as log:
        done = subprocess.run(
            ["reflex", "db", "migrate"], cwd=cwd, env=environment, stdout=log, stderr=subprocess.STDOUT, timeout=120
        )
    if done.returncode != 0:
        raise RuntimeError(f"`reflex db migrate` failed:\n{log_path.read_text(errors='replace')[-4000:]}")


def start_app(cwd: Path, environment: dict[str, str], log_path: Path, *, backend_only: bool = False) -> RunningApp:
    """`reflex run --env prod` on 127.0.0.1 in its own process group, appending to `log_path`; not yet ready.
    `backend_only`: the backend alone on the same port, no frontend build (bench/verify_bench.py)."""
    port = environment["REFLEX_FRONTEND_PORT"]
    command = ["reflex", "run", "--env", "prod", "--frontend-port", port, "--backend-port", port]
    if backend_only:  # Reflex refuses a frontend port without a frontend
        command = ["reflex", "run", "--env", "prod", "--backend-only", "--backend-port", port]
        environment = {name: value for name, value in environment.items() if name != "REFLEX_FRONTEND_PORT"}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*command, "--backend-host", "127.0.0.1"],
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )
    return RunningApp(environment["REFLEX_API_URL"], cwd, process, log_path, environment)
