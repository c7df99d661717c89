"""The transactional outbox: a job whose loss matters is written to the database in its change's transaction, and
relayed to the Redis job queue (jobs.py) afterwards.

Queuing a notice after the commit could fail (Redis down at that moment) and the change would stand without it;
a row written in the same transaction exists exactly when the change does. `add` writes the row and, once the
transaction commits, relays it at once; whatever is left (Redis was failing) is relayed by every process's job
worker before each drain (`JobQueue.feed`), and by `relay_outbox(now)` in tests.

Relaying is idempotent and safe from several processes: a relay first claims a row by one conditional UPDATE (a
lease of LEASE_SECONDS that other relays respect), queues it under the row's id (`enqueue_once`: a second relay of
the same id queues nothing), and deletes the row only after the queue accepted it. A relay that dies between the
two leaves a row that the next relay finds already queued, and deletes. A failed queue releases the claim so the
next pass retries at once. Log events: `outbox_relayed` (row, kind, attempts) and `outbox_relay_failed`; the
relayed job then logs `job_queued` and `job_done` under the same id.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session, col, delete, func, select, update

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database, after_commit
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.jobs import JobQueue, new_job_id
from sms2fa_app.backend.models import OutboxJob

log = logging.getLogger("sms2fa.jobs.outbox")

LEASE_SECONDS = 60
RELAY_BATCH = 100


class Outbox:
    """Writes jobs in the caller's transaction; relays them to the job queue."""

    def __init__(self, database: Database, jobs: JobQueue, clock: Clock):
        self._db = database
        self._jobs = jobs
        self._clock = clock
        jobs.feed(self.relay_outbox)

    def add(self, tx: Session, kind: str, payload: dict[str, Any]) -> str:
        """Write a job in the caller's transaction; it is queued once (and only if) that transaction commits."""
        row = OutboxJob(
            id=new_job_id(), kind=kind, payload=self._jobs.seal(kind, payload), created_at=self._clock.now()
        )
        tx.add(row)
        row_id = row.id
        after_commit(tx, lambda: self._relay(row_id, self._clock.now()))
        return row_id

    def add_now(self, kind: str, payload: dict[str, Any]) -> str:
        """Write a job in a transaction of its own (a job that is no change's consequence, such as an alert)."""
        with self._db.session() as tx:
            return self.add(tx, kind, payload)

    def waiting(self) -> int:
        """How many jobs wait to be relayed."""
        with self._db.session() as db:
            return int(db.exec(select(func.count()).select_from(OutboxJob)).one())

    def relay_outbox(self, now: float | None = None) -> int:
        """Queue every row no other relay holds (oldest first); returns how many were queued or found queued.
        Stops at the first failure of the queue (Redis down: the rows wait for the next pass)."""
        now = self._clock.now() if now is None else now
        with self._db.session() as db:
            row_ids = db.exec(
                select(OutboxJob.id)
                .where(col(OutboxJob.claimed_until) <= now)
                .order_by(col(OutboxJob.created_at), col(OutboxJob.id))
                .limit(RELAY_BATCH)
            ).all()
        relayed = 0
        for row_id in row_ids:
            outcome = self._relay(row_id, now)
            if outcome is None:
                break
            relayed += outcome
        return relayed

    def _relay(self, row_id: str, now: float) -> int | None:
        """Claim, queue and delete one row: 1 when relayed, 0 when another relay holds it, None when the queue
        failed."""
        row = self._claim(row_id, now)
        if row is None:
            return 0
        try:
            queued = self._jobs.enqueue_once(row.id, row.kind, row.payload)
        except ServiceUnavailable as error:
            self._release(row_id)
            log_event(
                log,
                logging.WARNING,
                "outbox_relay_failed",
                row=row_id,
                kind=row.kind,
                attempts=row.attempts,
                error=str(error),
            )
            return None
        with self._db.session() as tx:
            tx.exec(delete(OutboxJob).where(col(OutboxJob.id) == row_id))
        log_event(log, logging.INFO, "outbox_relayed", row=row_id, kind=row.kind, attempts=row.attempts, new=queued)
        return 1

    def _claim(self, row_id: str, now: float) -> OutboxJob | None:
        """Take the row's lease by one conditional UPDATE: of several relays, exactly one gets it."""
        with self._db.session() as tx:
            claimed = tx.exec(
                update(OutboxJob)
                .where(col(OutboxJob.id) == row_id, col(OutboxJob.claimed_until) <= now)
                .values(claimed_until=now + LEASE_SECONDS, attempts=col(OutboxJob.attempts) + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            return tx.get(OutboxJob, row_id) if claimed == 1 else None

    def _release(self, row_id: str) -> None:
        """Give the lease back after a failed queue, so the next pass retries without waiting for it to end."""
        try:
            with self._db.session() as tx:
                tx.exec(
                    update(OutboxJob)
                    .where(col(OutboxJob.id) == row_id)
                    .values(claimed_until=0)
                    .execution_options(synchronize_session=False)
                )
        except ServiceUnavailable:  # the lease ends by itself
            pass
