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

import enum
import logging
from dataclasses import dataclass

from sqlmodel import Session, col, delete, select, update

from sms2fa_app.backend.audit.notifications import Notices
from sms2fa_app.backend.delivery.letters import Letter
from sms2fa_app.backend.infra.client import ClientInfo, current_client
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import SecurityEvent, User

log = logging.getLogger("sms2fa.activity")

DAY_SECONDS = 86_400
MAX_LISTED = 200


class EventKind(enum.StrEnum):
    """What happened (values are stored)."""

    SIGNED_IN = "signed_in"  # detail: how (password, sms, totp, recovery, passkey, device)
    SECOND_FACTOR_FAILED = "second_factor_failed"  # detail: the factor
    LOCKOUT_STARTED = "lockout_started"  # detail: seconds
    TWO_FACTOR_ON = "two_factor_on"
    TWO_FACTOR_OFF = "two_factor_off"
    PHONE_CHANGED = "phone_changed"  # detail: the new number's last 4 digits
    TOTP_ADDED = "totp_added"
    TOTP_REMOVED = "totp_removed"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REMOVED = "passkey_removed"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
    RECOVERY_CODE_USED = "recovery_code_used"  # detail: how many are left
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    DEVICE_REMEMBERED = "device_remembered"  # detail: for how many days
    EMAIL_VERIFIED = "email_verified"
    ACCOUNT_DELETED = "account_deleted"
    # An admin's actions (admin/): the user is told of each
    ADMIN_SESSIONS_ENDED = "admin_sessions_ended"  # detail: how many
    ADMIN_LOCKOUT_CLEARED = "admin_lockout_cleared"
    TWO_FACTOR_RESET_SCHEDULED = "two_factor_reset_scheduled"  # detail: when it takes effect (epoch seconds)
    TWO_FACTOR_RESET_CANCELLED = "two_factor_reset_cancelled"  # detail: by_user | by_admin
    TWO_FACTOR_RESET = "two_factor_reset"  # the waiting period ended: every factor removed


# The events the user is told about by mail, and the letter that tells them.
NOTICES: dict[EventKind, Letter] = {
    EventKind.LOCKOUT_STARTED: Letter.LOCKOUT_STARTED,
    EventKind.TWO_FACTOR_ON: Letter.TWO_FACTOR_ON,
    EventKind.TWO_FACTOR_OFF: Letter.TWO_FACTOR_OFF,
    EventKind.PHONE_CHANGED: Letter.PHONE_CHANGED,
    EventKind.TOTP_ADDED: Letter.TOTP_ADDED,
    EventKind.TOTP_REMOVED: Letter.TOTP_REMOVED,
    EventKind.PASSKEY_ADDED: Letter.PASSKEY_ADDED,
    EventKind.PASSKEY_REMOVED: Letter.PASSKEY_REMOVED,
    EventKind.RECOVERY_CODES_REGENERATED: Letter.RECOVERY_CODES_REGENERATED,
    EventKind.RECOVERY_CODE_USED: Letter.RECOVERY_CODE_USED,
    EventKind.PASSWORD_CHANGED: Letter.PASSWORD_CHANGED,
    EventKind.PASSWORD_RESET: Letter.PASSWORD_RESET,
    EventKind.DEVICE_REMEMBERED: Letter.DEVICE_REMEMBERED,
    EventKind.ACCOUNT_DELETED: Letter.ACCOUNT_DELETED,
    EventKind.ADMIN_SESSIONS_ENDED: Letter.ADMIN_SESSIONS_ENDED,
    EventKind.ADMIN_LOCKOUT_CLEARED: Letter.ADMIN_LOCKOUT_CLEARED,
    EventKind.TWO_FACTOR_RESET_CANCELLED: Letter.TWO_FACTOR_RESET_CANCELLED,
    EventKind.TWO_FACTOR_RESET: Letter.TWO_FACTOR_RESET,
}  # TWO_FACTOR_RESET_SCHEDULED has a letter of its own, with the link that cancels it (admin/resets.py)


@dataclass(frozen=True)
class ActivityEntry:
    """One line of the activity page."""

    kind: EventKind
    at: float
    browser: str
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
        letter = NOTICES.get(kind)
        user = tx.get(User, int(user_id)) if letter is not None else None
        if letter is None or user is None:
            return
        fields = {"at": now, "browser": event.browser, "network": event.network, "detail": event.detail}
        self._notices.mail(tx, letter, user.email, fields)
        if old_phone:
            self._notices.text(tx, letter, old_phone, user.email, fields)

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
            return [ActivityEntry(EventKind(r.kind), r.at, r.browser, r.network, r.detail) for r in rows]

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
