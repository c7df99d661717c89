"""Database engine and sessions from Settings.database_url."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session, create_engine

from sms2fa_app.backend.infra.errors import ServiceUnavailable

CONNECT_TIMEOUT_SECONDS = 5


def make_engine(database_url: str) -> Engine:
    """An engine for the URL; SQLite gets foreign keys and a busy timeout."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    # pool_pre_ping: a connection the server dropped (a database restart) is replaced, not handed to a request.
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if database_url.startswith("postgresql") else {}
    return create_engine(database_url, pool_pre_ping=True, connect_args=connect_args)


class Database:
    """Hands out short-lived ORM sessions; database outages become ServiceUnavailable."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
                session.commit()
        except (OperationalError, InterfaceError) as error:
            raise ServiceUnavailable("database unavailable") from error
        except DBAPIError as error:  # a connection the server dropped while in use (a database restart)
            if error.connection_invalidated:
                raise ServiceUnavailable("database unavailable") from error
            raise

    @contextmanager
    def within(self, db: Session | None) -> Iterator[Session]:
        """The caller's transaction when one is given (the caller commits), else a new one."""
        if db is not None:
            yield db
            return
        with self.session() as new:
            yield new
