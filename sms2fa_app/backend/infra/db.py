"""Database engine and sessions from Settings.database_url; work to run once a transaction has committed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session, create_engine

from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.infra.events import log_event

log = logging.getLogger("sms2fa.db")

_AFTER_COMMIT = "sms2fa_after_commit"


def after_commit(db: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the transaction of `db` has committed (never after a rollback).

    For what must follow a change but never undo it (a notice): a callback that raises is logged and
    the others still run.
    """
    db.info.setdefault(_AFTER_COMMIT, []).append(callback)


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
        """A session that commits on success and rolls back on error; then its after_commit callbacks run."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
                session.commit()
                callbacks = session.info.pop(_AFTER_COMMIT, [])
        except (OperationalError, InterfaceError) as error:
            raise ServiceUnavailable("database unavailable") from error
        except DBAPIError as error:  # a connection the server dropped while in use (a database restart)
            if error.connection_invalidated:
                raise ServiceUnavailable("database unavailable") from error
            raise
        for callback in callbacks:
            try:
                callback()
            except Exception as error:  # the change stands; what follows it is best effort, and logged
                log_event(log, logging.ERROR, "after_commit_failed", error=type(error).__name__)

    @contextmanager
    def within(self, db: Session | None) -> Iterator[Session]:
        """The caller's transaction when one is given (the caller commits), else a new one."""
        if db is not None:
            yield db
            return
        with self.session() as new:
            yield new
