"""The README's commands from a fresh clone of the committed tree, with SECRET_KEY set and with nothing set.

The clone reuses this tree's .venv and .tools through links (nothing is downloaded again); everything else is
what `git clone` gives: no data/, no .web/. Each run must serve the app, and stop without leaving a process.
"""

from __future__ import annotations

import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PRODUCTION_TEST_SETTINGS
from tests.e2e_run.conftest import (
    STOP_TIMEOUT_SECONDS,
    MakeRun,
    assert_listens_on_loopback_only,
    clean_environment,
    new_marker,
    start_make,
    wait_until_serving,
)
from tests.support.app_server import ROOT, _answers
from tests.support.app_server import free_port as _free_port
from tests.support.browser import under_ci
from tests.support.processes import run_processes, wait_until_gone

START_TIMEOUT_SECONDS = 420.0  # `bun install` in the clone's .web, then the dev server or the production build
SETUP_TIMEOUT_SECONDS = 300.0


@pytest.fixture(scope="module")
def committed_head() -> str:
    """The commit the clones check out; without git (a tarball), skip, except under CI=true."""
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as error:
        if under_ci():
            pytest.fail(f"CI=true: the fresh-clone tests must run, but git cannot read the tree: {error}")
        pytest.skip(f"not a git checkout: {error}")


@pytest.fixture
def clone(committed_head: str, tmp_path: Path) -> Iterator[Path]:
    """A fresh clone at the committed HEAD, with links to this tree's .venv and .tools."""
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(target)], check=True)
    subprocess.run(["git", "-C", str(target), "checkout", "--quiet", "--detach", committed_head], check=True)
    for name in (".venv", ".tools"):
        (target / name).symlink_to((ROOT / name).resolve())
    yield target
    shutil.rmtree(target / ".web", ignore_errors=True)  # ~150 MB of node_modules


def environment(**settings: str) -> dict[str, str]:
    """Nothing configured (no documented setting, no Reflex variable) but `settings`, and a run marker."""
    return {**clean_environment(new_marker()), **settings}


def make(target: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", target], cwd=cwd, env=env, capture_output=True, text=True, timeout=SETUP_TIMEOUT_SECONDS
    )


def assert_clean_stop(run: MakeRun, signum: int) -> None:
    """`signum` to make's group (Ctrl-C is SIGINT): make exits and nothing of the run is left, Redis included."""
    running = run.leftovers()
    assert any("redis-server" in process.command for process in running), "the embedded Redis was not running"
    code, seconds, left = run.stop(signum)
    assert code is not None, f"make did not exit after {signal.Signals(signum).name}"
    assert not left, f"still running {seconds:.0f}s after {signal.Signals(signum).name}:\n" + "\n".join(map(str, left))


@pytest.mark.parametrize("secret_key", ["set", "unset"], ids=["SECRET_KEY-set", "nothing-set"])
def test_make_run_serves_a_fresh_clone(clone: Path, run_artifacts: Path, secret_key: str) -> None:
    """`make run` in development mode: sets up (data/ included), serves, and stops cleanly on Ctrl-C."""
    frontend, backend = _free_port(), _free_port()
    env = environment(REFLEX_FRONTEND_PORT=str(frontend), REFLEX_BACKEND_PORT=str(backend))
    if secret_key == "set":
        env["SECRET_KEY"] = secrets.token_urlsafe(48)
    run = start_make("run", clone, clone.parent, env, run_artifacts / f"fresh-clone-make-run-{secret_key}.log")
    try:
        wait_until_serving(
            run, [f"http://127.0.0.1:{frontend}/", f"http://127.0.0.1:{backend}/ping"], START_TIMEOUT_SECONDS
        )
        assert "Traceback" not in run.log.text()
        assert (clone / "data" / "sms2fa.db").is_file()
        assert (clone / "data" / "secret_key").is_file() == (secret_key == "unset")
        assert_clean_stop(run, signal.SIGINT)
    finally:
        run.force_stop()


def production_settings() -> dict[str, str]:
    """What `make run-prod` needs, production being production: a random key, Plivo (here a loopback URL that
    nothing calls), the proxy hops and the countries."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PLIVO_AUTH_ID": "MA" + "C" * 18,
        "PLIVO_AUTH_TOKEN": secrets.token_hex(16),
        "PLIVO_PHONE_NUMBER": "+14155550100",
        "PLIVO_API_URL": f"http://127.0.0.1:{_free_port()}",
        **PRODUCTION_TEST_SETTINGS,
    }


def test_make_run_prod_serves_a_fresh_clone_configured_for_production(clone: Path, run_artifacts: Path) -> None:
    """`make run-prod` with production settings (the setup used to stop at `reflex db migrate`), then SIGTERM."""
    port = _free_port()
    env = environment(REFLEX_FRONTEND_PORT=str(port), REFLEX_BACKEND_PORT=str(port), **production_settings())
    run = start_make("run-prod", clone, clone.parent, env, run_artifacts / "fresh-clone-make-run-prod.log")
    try:
        wait_until_serving(run, [f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}/ping"], START_TIMEOUT_SECONDS)
        assert "Traceback" not in run.log.text()
        assert_listens_on_loopback_only("production server", port)
        assert_clean_stop(run, signal.SIGTERM)
    finally:
        run.force_stop()


def test_make_run_prod_without_production_settings_is_one_line(clone: Path) -> None:
    """`reflex run --env prod` without APP_ENV is production: with only SECRET_KEY it refuses in one line."""
    env = environment(SECRET_KEY=secrets.token_urlsafe(48), REFLEX_FRONTEND_PORT=str(_free_port()))
    env["REFLEX_BACKEND_PORT"] = env["REFLEX_FRONTEND_PORT"]
    completed = make("run-prod", clone, env)
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0, output
    assert "Traceback" not in output, output
    [line] = [line for line in output.splitlines() if line.startswith("sms2fa: configuration error")]
    assert line.startswith("sms2fa: configuration error: TRUSTED_PROXY_HOPS is required when APP_ENV=production"), line


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("DATABASE_URL", "sqlite:////proc/sms2fa/nowhere/sms2fa.db"),
        ("REDIS_URL", "redis://:hunter2-secret@127.0.0.1:{port}/0"),
        ("DATA_DIR", "/proc/sms2fa-data"),
    ],
)
def test_setup_says_in_one_line_what_cannot_be_opened(clone: Path, setting: str, value: str) -> None:
    """An unusable database, Redis or data directory: one line naming the setting and the path, no traceback,
    never the password from a URL."""
    value = value.format(port=_free_port())  # nothing listens there
    completed = make("setup", clone, environment(**{setting: value}))
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0, output
    assert "Traceback" not in output, output
    [line] = [line for line in output.splitlines() if line.startswith("sms2fa: ")]
    assert setting in line, line
    assert "hunter2" not in output, output


def test_make_stack_serves_a_fresh_clone_and_stops_everything(clone: Path, run_artifacts: Path) -> None:
    """`make stack`: PostgreSQL, Redis, the workers and nginx come up behind one URL; Ctrl-C stops every one of
    them (its own processes and the stack's, found by its directory) and removes the directory."""
    run = start_make("stack", clone, clone.parent, environment(), run_artifacts / "fresh-clone-make-stack.log")
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not (serving := re.search(r"serving (http://localhost:\d+)", run.log.text())):
            assert run.process.poll() is None, f"`make stack` exited:\n{run.log.tail()}"
            assert time.monotonic() < deadline, f"`make stack` did not serve:\n{run.log.tail()}"
            time.sleep(1)
        url = serving.group(1)
        root = Path(re.search(r"starting the stack in (\S+)", run.log.text()).group(1))  # type: ignore[union-attr]
        assert _answers(f"{url}/login") and _answers(f"{url}/readyz")
        assert_listens_on_loopback_only("proxy", int(url.rsplit(":", 1)[1]))
        commands = " ".join(process.command for process in run_processes(root))
        assert all(name in commands for name in ("postgres", "nginx", "redis-server")), commands
        code, seconds, left = run.stop(signal.SIGINT)
        assert code is not None, "make did not exit after Ctrl-C"
        left += wait_until_gone(root, None, STOP_TIMEOUT_SECONDS)
        assert not left, f"still running {seconds:.0f}s after Ctrl-C:\n" + "\n".join(map(str, left))
        assert not root.exists()
    finally:
        run.force_stop()
