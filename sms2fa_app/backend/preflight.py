"""Before the app runs: create the directories its settings need, and check that the database and Redis answer.

`python -m sms2fa_app.backend.preflight` (the Makefile runs it before `reflex db migrate`) prints one line and
exits 0, or prints one line naming the setting, the path and the reason, and exits 1. Never a traceback, never a
password from a URL. rxconfig.py calls `prepare_directories`, so plain `reflex` commands get the directories too.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.infra.redis_store import redis_server_binary
from sms2fa_app.config import ConfigError, Settings, get_settings

CHECK_TIMEOUT_SECONDS = 5
UNIX_SOCKET_PATH_MAX = 107  # bytes in sun_path, less the terminating NUL (Linux)


class PreflightError(Exception):
    """A directory, the database or Redis is unusable; the message is one line naming the setting."""


def masked_url(url: str) -> str:
    """The URL with any password replaced by ***, in the user-info part or in a `password=` query argument."""
    try:
        parts = urlsplit(url)
        if parts.password is not None:  # rebuilt only then: urlunsplit would turn sqlite://// into sqlite://
            host = parts.netloc.rsplit("@", 1)[1]
            url = urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    except ValueError:  # unparsable: hide everything between :// and @
        url = re.sub(r"(://)[^@/]*@", r"\1***@", url)
    return re.sub(r"(password=)[^&]*", r"\1***", url, flags=re.IGNORECASE)


def _reason(error: BaseException) -> str:
    """The first line of an error's own message (a driver's, not SQLAlchemy's wrapper)."""
    inner = getattr(error, "orig", None) or error
    lines = str(inner).strip().splitlines() or [type(inner).__name__]
    return lines[0]


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL (relative to the working directory, like SQLite); None for memory or other DBs."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def required_directories(settings: Settings) -> list[tuple[str, str, Path]]:
    """(setting, shown value, directory) for each directory the settings make the app write to."""
    needed = []
    uses_data_dir = not settings.redis_url or sqlite_file(settings.database_url) is not None
    if uses_data_dir:
        needed.append(("DATA_DIR", str(settings.data_dir), settings.data_dir))
    database_file = sqlite_file(settings.database_url)
    if database_file is not None:
        needed.append(("DATABASE_URL", masked_url(settings.database_url), database_file.parent))
    return needed


def prepare_directories(settings: Settings) -> None:
    """Create each directory the settings need (the data directory, a SQLite file's directory)."""
    for setting, shown, directory in required_directories(settings):
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise PreflightError(
                f"cannot create the directory {directory} ({setting}={shown}): {error.strerror or error}"
            ) from None


def check_database(database_url: str) -> None:
    """Connect and SELECT 1, with a short timeout."""
    backend = make_url(database_url).get_backend_name() if "://" in database_url else ""
    connect_args: dict[str, object] = {"timeout": CHECK_TIMEOUT_SECONDS} if backend == "sqlite" else {}
    if backend in ("postgresql", "mysql", "mariadb"):
        connect_args = {"connect_timeout": CHECK_TIMEOUT_SECONDS}
    try:
        engine = create_engine(database_url, poolclass=NullPool, connect_args=connect_args)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError, ValueError) as error:
        raise PreflightError(
            f"cannot open the database (DATABASE_URL={masked_url(database_url)}): {_reason(error)}"
        ) from None


def _check_writable(directory: Path) -> None:
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".sms2fa-preflight-"):
        pass


def _ping(setting: str, url: str) -> None:
    client = redis.Redis.from_url(
        url, socket_timeout=CHECK_TIMEOUT_SECONDS, socket_connect_timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        raise PreflightError(f"cannot reach Redis ({setting}={masked_url(url)}): {_reason(error)}") from None
    finally:
        client.close()


def check_redis(settings: Settings) -> None:
    """REDIS_URL (and REFLEX_REDIS_URL, Reflex's state) answer PING; or, embedded, its binary exists and DATA_DIR
    can hold its files and socket."""
    if settings.reflex_redis_url:
        _ping("REFLEX_REDIS_URL", settings.reflex_redis_url)
    if settings.redis_url:
        _ping("REDIS_URL", settings.redis_url)
        return
    where = f"DATA_DIR={settings.data_dir}"
    try:
        redis_server_binary()
    except ServiceUnavailable as error:
        raise PreflightError(f"cannot start the embedded Redis ({where}): {error}") from None
    socket_path = settings.data_dir / "redis.sock"
    if len(os.fsencode(socket_path)) > UNIX_SOCKET_PATH_MAX:
        raise PreflightError(
            f"cannot start the embedded Redis ({where}): its socket path {socket_path} is longer than "
            f"{UNIX_SOCKET_PATH_MAX} bytes; choose a shorter DATA_DIR or set REDIS_URL"
        )
    try:
        _check_writable(settings.data_dir)
    except OSError as error:
        raise PreflightError(
            f"cannot start the embedded Redis ({where}): {settings.data_dir} is not writable: {error.strerror or error}"
        ) from None


def run(settings: Settings) -> str:
    """Every check in order; the line to print when all pass."""
    prepare_directories(settings)
    check_database(settings.database_url)
    check_redis(settings)
    redis_shown = masked_url(settings.redis_url) if settings.redis_url else f"embedded in {settings.data_dir}"
    return f"database ({masked_url(settings.database_url)}) and Redis ({redis_shown}) are ready"


def main() -> int:
    """Print one line; 0 when the app can start, 1 when something it needs is unusable, 2 for a bad setting."""
    try:
        line = run(get_settings())
    except ConfigError as error:
        print(f"sms2fa: configuration error: {error}", file=sys.stderr)
        return 2
    except PreflightError as error:
        print(f"sms2fa: {error}", file=sys.stderr)
        return 1
    print(f"sms2fa: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
