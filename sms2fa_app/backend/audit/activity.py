"""The security activity log: one append-only SQL row per sign-in, failed guess, lockout and account change.

`record(tx, ...)` inserts the row in the caller's transaction, so the log says exactly what committed:
a change that rolls back leaves no line. Events that warrant a notice write it to the outbox in the same
transaction: the mail goes out only once the change stands, even if Redis fails at that moment, and a failed
send never undoes it (notifications.py, infra/outbox.py). The
client (browser, approximate network) is the one the running handler serves (infra/client.py).

Rows are only inserted. Two things remove data: the retention purge (rows older than
ACTIVITY_RETENTION_DAYS) and deleting an account, which keeps its rows' kind and time for the rest of the
retention period but drops the user, the browser and the network from them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session, col, delete, select, update

from sms2fa_app.backend.audit.notifications import Notices
from sms2fa_app.backend.delivery.letters import is_notice
from sms2fa_app.backend.infra.client import ClientInfo, DeviceLabel, current_client
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import SecurityEvent, User
from sms2fa_app.backend.vocabulary import EventKind

log = logging.getLogger("sms2fa.activity")

DAY_SECONDS = 86_400
MAX_LISTED = 200


@dataclass(frozen=True)
class ActivityEntry:
    """One line of the activity page."""

    kind: EventKind
    at: float
    browser: DeviceLabel
    network: str
    detail: str


class Activity:
    """Appends to and reads the security activity log."""

    def __init__(self, database: Database, clock: Clock, notices: Notices, retention_days: int = 90):
        self._db = database
        self._clock = clock
        self._notices = notices
        self.retention_seconds = retention_days * DAY_SECONDS

    def record(
        self,
        tx: Session,
        user_id: int,
        kind: EventKind,
        detail: str | int = "",
        *,
        client: ClientInfo | None = None,
        old_phone: str | None = None,
    ) -> None:
        """Append an event in the caller's transaction, with its notice (and, given `old_phone`, a text to the old
        number), queued once that transaction commits."""
        client = client or current_client()
        now = self._clock.now()
        event = SecurityEvent(
            user_id=int(user_id),
            kind=kind.value,
            at=now,
            browser=client.browser,
            network=client.network,
            detail=str(detail)[:32],
        )
        tx.add(event)
        user = tx.get(User, int(user_id)) if is_notice(kind) else None
        if user is None:
            return
        fields = {"at": now, "browser": event.browser, "network": event.network, "detail": event.detail}
        self._notices.mail(tx, kind, user.email, fields)
        if old_phone:
            self._notices.text(tx, kind, old_phone, user.email, fields)

    def failed_guess(self, user_id: int, factor: str, lock_seconds: int) -> None:
        """A wrong second-factor guess counted by the lockout; `lock_seconds` > 0 when it started a lock."""
        try:
            with self._db.session() as tx:
                self.record(tx, user_id, EventKind.SECOND_FACTOR_FAILED, factor)
                if lock_seconds:
                    self.record(tx, user_id, EventKind.LOCKOUT_STARTED, lock_seconds)
        except Exception as error:  # the guess was already counted in Redis: the verify answer stands
            log_event(log, logging.ERROR, "activity_not_recorded", user=user_id, error=type(error).__name__)

    def recent(self, user_id: int, limit: int = MAX_LISTED) -> list[ActivityEntry]:
        """The user's events of the retention period, newest first."""
        since = self._clock.now() - self.retention_seconds
        with self._db.session() as db:
            rows = db.exec(
                select(SecurityEvent)
                .where(SecurityEvent.user_id == int(user_id), SecurityEvent.at >= since)
                .order_by(col(SecurityEvent.at).desc(), col(SecurityEvent.id).desc())
                .limit(limit)
            ).all()
            return [
                ActivityEntry(EventKind(r.kind), r.at, DeviceLabel.parse(r.browser), r.network, r.detail) for r in rows
            ]

    def purge(self) -> int:
        """Delete the events older than the retention period; returns how many went."""
        cutoff = self._clock.now() - self.retention_seconds
        with self._db.session() as db:
            removed = db.exec(delete(SecurityEvent).where(col(SecurityEvent.at) < cutoff)).rowcount or 0
        if removed:
            log_event(log, logging.INFO, "activity_purged", rows=removed)
        return removed

    @staticmethod
    def forget_user(tx: Session, user_id: int) -> None:
        """An account is being deleted: its events keep only their kind and time (in the caller's transaction)."""
        tx.exec(
            update(SecurityEvent)
            .where(col(SecurityEvent.user_id) == int(user_id))
            .values(user_id=None, browser="", network="", detail="")
            .execution_options(synchronize_session=False)
        )
