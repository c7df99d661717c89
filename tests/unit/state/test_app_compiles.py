"""The whole app compiles (every page and component), so a broken component fails CI, not the user."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PRODUCTION_TEST_SETTINGS, TEST_SECRET
from tests.support import reflex_internals

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow  # each test starts Python and Reflex in a subprocess (make test-fast skips them)

COMPILE = reflex_internals.compile_app_script()


@pytest.mark.parametrize("app_env", ["development", "production"])
def test_every_page_compiles(tmp_path: Path, app_env: str) -> None:
    env = {
        **os.environ,
        "APP_ENV": app_env,
        "DATA_DIR": str(tmp_path),
        "SECRET_KEY": TEST_SECRET,
        "REFLEX_TELEMETRY_ENABLED": "false",
    }
    if app_env == "production":
        env.update(PLIVO_AUTH_ID="MA" + "B" * 18, PLIVO_AUTH_TOKEN="token", PLIVO_PHONE_NUMBER="+14155550100")
        env.update(PRODUCTION_TEST_SETTINGS)
    completed = subprocess.run(
        [sys.executable, "-c", COMPILE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_production_refuses_to_start_without_plivo(tmp_path: Path) -> None:
    env = {**os.environ, "APP_ENV": "production", "DATA_DIR": str(tmp_path), "SECRET_KEY": TEST_SECRET}
    env.update(PRODUCTION_TEST_SETTINGS)
    for name in ("PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN", "PLIVO_PHONE_NUMBER"):
        env.pop(name, None)
    completed = subprocess.run(
        [sys.executable, "-c", "import rxconfig"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        "sms2fa: configuration error: PLIVO_AUTH_ID is required when APP_ENV=production or Plivo is partly configured"
    )


CONFIG_PROBE = (
    "import os, rxconfig; c = rxconfig.config; "
    "print(c.state_manager_mode.value, c.redis_url, os.environ['GRANIAN_WORKERS'], "
    "os.environ.get('REFLEX_OPLOCK_ENABLED', '-'))"
)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "memory None 1 -"),
        ({"REFLEX_REDIS_URL": "redis://127.0.0.1:6399/1"}, "redis redis://127.0.0.1:6399/1 {cores} true"),
        ({"REFLEX_REDIS_URL": "redis://127.0.0.1:6399/1", "WEB_WORKERS": "3"}, "redis redis://127.0.0.1:6399/1 3 true"),
    ],
)
def test_reflex_runs_one_worker_with_states_in_memory_or_shares_them_through_redis(
    tmp_path: Path, extra: dict[str, str], expected: str
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("REFLEX_", "GRANIAN_"))}
    env.update({"DATA_DIR": str(tmp_path), "SECRET_KEY": TEST_SECRET, **extra})
    completed = subprocess.run(
        [sys.executable, "-c", CONFIG_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.split() == expected.format(cores=max(1, os.cpu_count() or 1)).split()
