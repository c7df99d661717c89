"""Preflight: directories created whichever settings are given; an unusable database or Redis is one line
naming the setting and the path, never a traceback, never a password."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sms2fa_app.backend.preflight import (
    PreflightError,
    check_database,
    check_redis,
    masked_url,
    prepare_directories,
    required_directories,
    run,
    sqlite_file,
)
from tests.conftest import TEST_SECRET, make_settings

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe closes


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite:////srv/app/sms2fa.db", "sqlite:////srv/app/sms2fa.db"),
        ("postgresql+psycopg://app:s3cret@db.local/sms2fa", "postgresql+psycopg://app:***@db.local/sms2fa"),
        ("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("rediss://user:s3cret@[::1]:6380/1", "rediss://user:***@[::1]:6380/1"),
        ("redis://cache:6379/0?password=s3cret&db=1", "redis://cache:6379/0?password=***&db=1"),
        ("unix:///run/redis.sock", "unix:///run/redis.sock"),
    ],
)
def test_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_sqlite_file_of_a_url() -> None:
    assert sqlite_file("sqlite:////srv/x.db") == Path("/srv/x.db")
    assert sqlite_file("sqlite:///data/x.db") == Path("data/x.db")
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql://u@h/db") is None


def test_only_the_directories_the_settings_use(tmp_path: Path) -> None:
    defaults = make_settings(tmp_path)
    assert [setting for setting, _, _ in required_directories(defaults)] == ["DATA_DIR", "DATABASE_URL"]
    external = make_settings(tmp_path, REDIS_URL="rediss://cache/0", DATABASE_URL="postgresql://u@db/app")
    assert required_directories(external) == []


def test_directories_are_created_wherever_the_settings_point(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, DATA_DIR=str(tmp_path / "a" / "data"), DATABASE_URL=f"sqlite:///{tmp_path / 'b' / 'c' / 'x.db'}"
    )
    prepare_directories(settings)
    assert (tmp_path / "a" / "data").is_dir()
    assert (tmp_path / "b" / "c").is_dir()
    check_database(settings.database_url)
    check_redis(settings)


def test_a_directory_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings = make_settings(tmp_path, DATABASE_URL=f"sqlite:///{blocker / 'db' / 'x.db'}")
    with pytest.raises(PreflightError) as error:
        prepare_directories(settings)
    message = str(error.value)
    assert message.startswith(f"cannot create the directory {blocker / 'db'} (DATABASE_URL=sqlite:///")
    assert "\n" not in message


def test_a_database_that_cannot_open_names_the_setting_and_path(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    url = f"sqlite:///{tmp_path / 'dir.db'}"
    with pytest.raises(PreflightError) as error:
        check_database(url)
    assert str(error.value) == f"cannot open the database (DATABASE_URL={url}): unable to open database file"


def test_a_database_password_never_shows(tmp_path: Path) -> None:
    with pytest.raises(PreflightError) as error:
        check_database(f"postgresql://app:s3cret@127.0.0.1:{closed_port()}/sms2fa")
    message = str(error.value)
    assert message.startswith("cannot open the database (DATABASE_URL=postgresql://app:***@127.0.0.1:")
    assert "s3cret" not in message and "\n" not in message


@pytest.mark.parametrize("setting", ["REDIS_URL", "REFLEX_REDIS_URL"])
def test_redis_that_does_not_answer_names_the_setting_without_password(tmp_path: Path, setting: str) -> None:
    url = f"redis://:s3cret@127.0.0.1:{closed_port()}/0"
    with pytest.raises(PreflightError) as error:
        check_redis(make_settings(tmp_path, **{setting: url}))
    message = str(error.value)
    assert message.startswith(f"cannot reach Redis ({setting}={masked_url(url)}): ")
    assert "s3cret" not in message and "\n" not in message


def test_embedded_redis_needs_a_writable_data_dir_and_a_short_socket_path(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    with pytest.raises(PreflightError, match=rf"^cannot start the embedded Redis \(DATA_DIR={not_a_dir}\): "):
        check_redis(make_settings(tmp_path, DATA_DIR=str(not_a_dir)))
    deep = tmp_path / ("d" * 120)
    deep.mkdir()
    with pytest.raises(PreflightError, match="longer than 107 bytes; choose a shorter DATA_DIR or set REDIS_URL"):
        check_redis(make_settings(tmp_path, DATA_DIR=str(deep)))


def test_run_says_what_is_ready(tmp_path: Path) -> None:
    line = run(make_settings(tmp_path, DATA_DIR=str(tmp_path / "new")))
    assert line == (
        f"database (sqlite:///{tmp_path / 'new' / 'sms2fa.db'}) and Redis (embedded in {tmp_path / 'new'}) are ready"
    )


def _run_module(module_or_code: list[str], **environ: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    env.update(REFLEX_TELEMETRY_ENABLED="false", **environ)
    return subprocess.run(
        [sys.executable, *module_or_code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow  # Python in a subprocess
def test_the_command_prints_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    url = f"redis://:s3cret@127.0.0.1:{closed_port()}/0"
    completed = _run_module(
        ["-m", "sms2fa_app.backend.preflight"], DATA_DIR=str(tmp_path), SECRET_KEY=TEST_SECRET, REDIS_URL=url
    )
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr.startswith(f"sms2fa: cannot reach Redis (REDIS_URL={masked_url(url)}): ")
    assert completed.stderr.count("\n") == 1 and "s3cret" not in completed.stderr


@pytest.mark.slow  # Reflex's config in a subprocess
def test_any_reflex_command_gets_the_data_directory_with_secret_key_set(tmp_path: Path) -> None:
    """`reflex db migrate` imports rxconfig: the SQLite file's directory exists before it opens the database."""
    data_dir = tmp_path / "fresh" / "data"
    completed = _run_module(["-c", "import rxconfig"], DATA_DIR=str(data_dir), SECRET_KEY=TEST_SECRET)
    assert completed.returncode == 0, completed.stderr
    assert data_dir.is_dir()
    assert not (data_dir / "secret_key").exists()


@pytest.mark.slow  # Reflex's config in a subprocess
def test_rxconfig_says_in_one_line_when_the_directory_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    completed = _run_module(["-c", "import rxconfig"], DATA_DIR=str(blocker / "data"), SECRET_KEY=TEST_SECRET)
    assert completed.returncode == 2
    assert completed.stderr == (
        f"sms2fa: cannot create the directory {blocker / 'data'} (DATA_DIR={blocker / 'data'}): Not a directory\n"
    )
