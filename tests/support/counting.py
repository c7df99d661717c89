"""Counting the work a request does, to show two answers cost the same: SQL statements, password hashes, jobs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event

from sms2fa_app.backend.services import Services


@dataclass
class Work:
    """What one call did."""

    sql: list[str] = field(default_factory=list)  # each statement's first word
    statements: list[str] = field(default_factory=list)  # each statement whole, on one line
    hashes: int = 0
    jobs: list[str] = field(default_factory=list)

    def shape(self) -> tuple[int, int, list[str]]:
        """What must be equal for two answers to cost the same."""
        return len(self.sql), self.hashes, self.jobs


@contextmanager
def counted(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[Work]:
    """Record the SQL statements, password hashes and queued jobs of the calls made in the block."""
    work = Work()

    def on_execute(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        work.sql.append(statement.split()[0].upper())
        work.statements.append(" ".join(statement.split()))

    hasher = services.accounts._hasher
    real_hash, real_enqueue = hasher.hash, services.jobs.enqueue

    def counting_hash(password: str) -> str:
        work.hashes += 1
        return real_hash(password)

    def counting_enqueue(kind: str, payload: dict, **kwargs: object) -> str:
        work.jobs.append(kind)
        return real_enqueue(kind, payload, **kwargs)

    monkeypatch.setattr(hasher, "hash", counting_hash)
    monkeypatch.setattr(services.jobs, "enqueue", counting_enqueue)
    engine = services.database.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield work
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        monkeypatch.setattr(hasher, "hash", real_hash)
        monkeypatch.setattr(services.jobs, "enqueue", real_enqueue)
