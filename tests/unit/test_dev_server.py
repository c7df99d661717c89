"""Development mode watches the code only: runtime files (database, Redis, secret key) never reload the backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sms2fa_app.config import apply_environment_defaults
from sms2fa_app.dev_server import (
    OVERRIDE_PATHS,
    ListenHostPlugin,
    add_listen_host,
    cli_environment,
    hot_reload_environment,
    watched_paths,
)
from tests.conftest import TEST_SECRET
from tests.support import reflex_internals

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path, *, dotenv: bool = False) -> Path:
    (tmp_path / "sms2fa_app").mkdir()
    (tmp_path / "rxconfig.py").write_text("")
    (tmp_path / "data").mkdir()
    if dotenv:
        (tmp_path / ".env").write_text("APP_NAME=x\n")
    return tmp_path


def test_watches_the_app_package_and_rxconfig_never_data(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert watched_paths(root, {}) == [root / "sms2fa_app", root / "rxconfig.py"]


def test_watches_dotenv_when_present_and_folds_in_include_paths(tmp_path: Path) -> None:
    root = _project(tmp_path, dotenv=True)
    extra = tmp_path / "extra"
    paths = watched_paths(root, {"REFLEX_HOT_RELOAD_INCLUDE_PATHS": f"{extra}{os.pathsep}"})
    assert paths == [root / "sms2fa_app", root / "rxconfig.py", root / ".env", extra]


def test_an_override_already_set_wins(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert hot_reload_environment(root, {OVERRIDE_PATHS: "/elsewhere"}) == {}
    expected = f"{root / 'sms2fa_app'}{os.pathsep}{root / 'rxconfig.py'}"
    assert hot_reload_environment(root, {}) == {OVERRIDE_PATHS: expected}


def test_apply_environment_defaults_never_overwrites(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS2FA_TEST_SET", "mine")
    monkeypatch.delenv("SMS2FA_TEST_UNSET", raising=False)
    apply_environment_defaults(lambda environ: {"SMS2FA_TEST_SET": "default", "SMS2FA_TEST_UNSET": "default"})
    assert os.environ["SMS2FA_TEST_SET"] == "mine"
    assert os.environ["SMS2FA_TEST_UNSET"] == "default"
    monkeypatch.delenv("SMS2FA_TEST_UNSET")


RELOAD_PATHS = reflex_internals.print_reload_paths_script()


def _reflex_reload_paths(tmp_path: Path, **extra: str) -> list[str]:
    """What Reflex itself would watch after importing this project's rxconfig.py (as `reflex run` does)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("REFLEX_HOT_RELOAD")}
    env.update(DATA_DIR=str(tmp_path / "data"), SECRET_KEY=TEST_SECRET, REFLEX_TELEMETRY_ENABLED="false", **extra)
    completed = subprocess.run(
        [sys.executable, "-c", RELOAD_PATHS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # Reflex in a subprocess
def test_reflex_watches_only_the_code_after_rxconfig(tmp_path: Path) -> None:
    paths = _reflex_reload_paths(tmp_path)
    expected = [str(ROOT / "sms2fa_app"), str(ROOT / "rxconfig.py")]
    if (ROOT / ".env").is_file():
        expected.append(str(ROOT / ".env"))
    assert paths == expected
    assert not any(Path(path).name in ("data", "alembic", "tests", "reflex.lock") for path in paths)


@pytest.mark.slow  # Reflex in a subprocess
def test_a_developer_override_reaches_reflex(tmp_path: Path) -> None:
    assert _reflex_reload_paths(tmp_path, REFLEX_HOT_RELOAD_OVERRIDE_PATHS=str(tmp_path)) == [str(tmp_path)]


# ---- where the development servers listen ------------------------------------------------------------


def _reflex_vite_config() -> str:
    """vite.config.js as Reflex renders it for `reflex run`."""
    return reflex_internals.rendered_vite_config()


def test_vite_config_gets_the_listen_host_plugin_first() -> None:
    patched = add_listen_host(_reflex_vite_config(), "127.0.0.1")
    assert 'return { server: { host: "127.0.0.1" } };' in patched
    plugins = patched[patched.index("plugins: [") :]
    assert plugins.split("\n")[1].strip() == "sms2faListenHost(),"
    assert patched.index("function sms2faListenHost()") < patched.index("export default defineConfig")


def test_patching_twice_changes_nothing_and_a_new_host_replaces_the_old() -> None:
    once = add_listen_host(_reflex_vite_config(), "127.0.0.1")
    assert add_listen_host(once, "127.0.0.1") == once
    moved = add_listen_host(once, "0.0.0.0")
    assert moved.count("function sms2faListenHost()") == 1
    assert moved.count("sms2faListenHost(),") == 1
    assert '"0.0.0.0"' in moved and '"127.0.0.1"' not in moved.split("preview:")[0]


def test_an_unknown_vite_template_fails_loudly() -> None:
    with pytest.raises(RuntimeError, match="cannot set the dev server's host"):
        add_listen_host("export default {}", "127.0.0.1")


def test_the_plugin_registers_its_patch_for_vite_config() -> None:
    tasks: list[tuple[str, object]] = []
    ListenHostPlugin(host="::1").pre_compile(add_modify_task=lambda path, fn: tasks.append((path, fn)))
    [(path, modify)] = tasks
    assert path == "vite.config.js"
    assert '"::1"' in modify(_reflex_vite_config())  # type: ignore[operator]


@pytest.mark.slow  # Reflex in a subprocess
def test_rxconfig_binds_the_backend_to_listen_host(tmp_path: Path) -> None:
    show = "import rxconfig; c = rxconfig.config; print(c.backend_host, *[type(p).__name__ for p in c.plugins])"
    env = {key: value for key, value in os.environ.items() if key not in ("LISTEN_HOST", "REFLEX_BACKEND_HOST")}
    env.update(DATA_DIR=str(tmp_path), SECRET_KEY=TEST_SECRET, REFLEX_TELEMETRY_ENABLED="false")
    for listen_host, expected in ((None, "127.0.0.1"), ("0.0.0.0", "0.0.0.0")):
        if listen_host:
            env["LISTEN_HOST"] = listen_host
        completed = subprocess.run(
            [sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
        host, *plugins = completed.stdout.split()
        assert host == expected
        assert "ListenHostPlugin" in plugins


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/venv/bin/reflex", "run", "--env", "prod"], {"REFLEX_ENV_MODE": "prod"}),
        (["/venv/bin/reflex", "run", "--env=PROD", "--backend-only"], {"REFLEX_ENV_MODE": "prod"}),
        (["/venv/bin/reflex", "export", "--frontend-only"], {"REFLEX_ENV_MODE": "prod"}),
        (["/venv/lib/reflex/__main__.py", "run", "--env", "prod"], {"REFLEX_ENV_MODE": "prod"}),
        (["/venv/bin/reflex", "export", "--env", "dev"], {}),
        (["/venv/bin/reflex", "run"], {}),
        (["/venv/bin/reflex", "db", "migrate"], {}),
        (["/venv/bin/pytest", "run", "--env", "prod"], {}),
        ([], {}),
    ],
)
def test_a_production_reflex_command_is_known_before_the_settings_load(argv: list[str], expected: dict) -> None:
    assert cli_environment(argv) == expected
