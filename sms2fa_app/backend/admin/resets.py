"""An admin's reset of a user's 2FA, after an identity check the admin confirms, with a waiting period.

`schedule` stores a pending reset due ADMIN_RESET_WAIT_SECONDS later and mails the user a single-use link that
cancels it (link_tokens.py), and texts the same link to the number on file (a mailbox alone may be the attacker's);
the user can cancel until it is due (by the link, or signed in, from the app), and an admin can too. At most one
reset is pending per user (a partial unique index). An admin's account is never reset from the console (the CLI
revokes the role first), and applying a reset revokes the role anyway. `apply_due` applies every
reset whose time has come: each backend worker's job queue runs it every ADMIN_RESET_SWEEP_SECONDS (infra/jobs.py),
so a reset takes effect whether or not anyone signs in, and a worker that was down catches up at its next sweep.
Each reset changes state through ONE conditional UPDATE (pending -> applied or cancelled), so two workers, or a
cancel racing the sweep, settle it exactly once. Applying it ends like turning 2FA off: every factor goes, the factor
epoch moves on (remembered devices void), every session ends, and the activity log's line mails the user.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from sms2fa_app.backend.admin.audit import ADMIN_CLIENT, Action, record_action
from sms2fa_app.backend.audit.activity import Activity, EventKind
from sms2fa_app.backend.audit.notifications import Notices
from sms2fa_app.backend.factors.second_factors import SecondFactors
from sms2fa_app.backend.flows.account_security import revoke_everything
from sms2fa_app.backend.identity.link_tokens import LinkPurpose, LinkTokens
from sms2fa_app.backend.identity.sessions import SessionStore
from sms2fa_app.backend.infra.client import acting_client
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import LoginSession, TwoFactorReset, User

log = logging.getLogger("sms2fa.admin.resets")

CANCEL_PATH = "/cancel-2fa-reset"
PENDING, CANCELLED, APPLIED = "pending", "cancelled", "applied"
MIN_NOTE_LENGTH = 10
MAX_NOTE_LENGTH = 120


class IdentityCheck(enum.StrEnum):
    """How the admin verified that the person asking is the account's owner (values are stored)."""

    VIDEO_CALL = "video_call"
    ID_DOCUMENT = "id_document"
    IN_PERSON = "in_person"
    KNOWN_CONTACT = "known_contact"  # a call back to contact details on file before the request


class ResetOutcome(enum.Enum):
    """How a request about a reset ended."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    UNKNOWN_USER = "unknown_user"
    TWO_FACTOR_OFF = "two_factor_off"  # nothing to reset
    ALREADY_PENDING = "already_pending"
    NOT_PENDING = "not_pending"
    CHECK_NOT_CONFIRMED = "check_not_confirmed"  # no identity check named, or not confirmed
    SELF = "self"  # an admin resets no factor of their own account here
    TARGET_ADMIN = "target_admin"  # an admin's account: the CLI revokes the role first, never the console


@dataclass(frozen=True)
class PendingReset:
    """A reset waiting for its time."""

    reset_id: int
    due_at: float
    check: str


class TwoFactorResets:
    """Schedules, cancels and applies admins' 2FA resets."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        tokens: LinkTokens,
        notices: Notices,
        activity: Activity,
        sessions: SessionStore,
        factors: SecondFactors,
        wait_seconds: int,
    ):
        self._db = database
        self._clock = clock
        self._tokens = tokens
        self._notices = notices
        self._activity = activity
        self._sessions = sessions
        self._factors = factors
        self.wait_seconds = int(wait_seconds)

    def schedule(self, admin_id: int, user_id: int, check: str, note: str, confirmed: bool) -> ResetOutcome:
        """Ask for a reset: pending for the waiting period; the user is mailed the link that cancels it."""
        note = " ".join(note.split())
        if check not in IdentityCheck.__members__.values() or not confirmed:
            return ResetOutcome.CHECK_NOT_CONFIRMED
        if not MIN_NOTE_LENGTH <= len(note) <= MAX_NOTE_LENGTH:
            return ResetOutcome.CHECK_NOT_CONFIRMED
        if int(admin_id) == int(user_id):
            return ResetOutcome.SELF
        try:
            with acting_client(ADMIN_CLIENT):
                return self._schedule(int(admin_id), int(user_id), IdentityCheck(check), note)
        except IntegrityError:  # another schedule for this user committed first (the partial unique index)
            return ResetOutcome.ALREADY_PENDING

    def _schedule(self, admin_id: int, user_id: int, check: IdentityCheck, note: str) -> ResetOutcome:
        now = self._clock.now()
        due = now + self.wait_seconds
        with self._db.session() as tx:
            user = tx.get(User, int(user_id))
            if user is None:
                return ResetOutcome.UNKNOWN_USER
            if user.is_admin:
                return ResetOutcome.TARGET_ADMIN
            if not user.is_two_factor_enabled:
                return ResetOutcome.TWO_FACTOR_OFF
            if self._pending_row(tx, int(user_id)) is not None:
                return ResetOutcome.ALREADY_PENDING
            identity = f"{IdentityCheck(check).value}: {note}"
            tx.add(
                TwoFactorReset(
                    user_id=int(user_id), admin_id=int(admin_id), identity_check=identity, requested_at=now, due_at=due
                )
            )
            token = self._tokens.issue(int(user_id), LinkPurpose.CANCEL_2FA_RESET, self.wait_seconds, db=tx)
            self._activity.record(tx, int(user_id), EventKind.TWO_FACTOR_RESET_SCHEDULED, int(due))
            record_action(tx, now, int(admin_id), int(user_id), Action.SCHEDULE_RESET, identity)
            fields = {
                "link": f"{self._notices.site.base_url}{CANCEL_PATH}?token={token}",
                "due_at": due,
                "check": IdentityCheck(check).value,  # said in the recipient's language (delivery/letter_words.py)
                "at": now,
                "browser": ADMIN_CLIENT.browser,
                "network": ADMIN_CLIENT.network,
            }
            email, phone = user.email, user.phone_number
            tx.flush()  # a second pending reset fails here, before anything is queued
            self._notices.mail(tx, EventKind.TWO_FACTOR_RESET_SCHEDULED, email, fields)
            if phone:  # the same link by text: the mail alone is best effort, and the mailbox may be the attacker's
                self._notices.text(tx, EventKind.TWO_FACTOR_RESET_SCHEDULED, phone, email, fields)
        log_event(log, logging.INFO, "admin_reset_scheduled", admin=admin_id, user=user_id, due=int(due))
        return ResetOutcome.SCHEDULED

    def cancel_by_link(self, raw_token: object) -> ResetOutcome:
        """The user's link from the mail cancels their pending reset (once)."""
        with self._db.session() as tx:
            link = self._tokens.consume(tx, LinkPurpose.CANCEL_2FA_RESET, raw_token)
            if link is None or not self._settle(tx, link.user_id, CANCELLED):
                return ResetOutcome.NOT_PENDING
            self._activity.record(tx, link.user_id, EventKind.TWO_FACTOR_RESET_CANCELLED, "by_user")
            record_action(tx, self._clock.now(), None, link.user_id, Action.CANCEL_RESET, "by the user's link")
        log_event(log, logging.INFO, "admin_reset_cancelled", user=link.user_id, by="user")
        return ResetOutcome.CANCELLED

    def cancel_by_user(self, user_id: int) -> ResetOutcome:
        """The signed-in user cancels their own pending reset from the app."""
        with self._db.session() as tx:
            if not self._settle(tx, int(user_id), CANCELLED):
                return ResetOutcome.NOT_PENDING
            self._tokens.void_for_user(tx, int(user_id), LinkPurpose.CANCEL_2FA_RESET)
            self._activity.record(tx, int(user_id), EventKind.TWO_FACTOR_RESET_CANCELLED, "by_user")
            record_action(tx, self._clock.now(), None, int(user_id), Action.CANCEL_RESET, "by the user, signed in")
        log_event(log, logging.INFO, "admin_reset_cancelled", user=user_id, by="user_signed_in")
        return ResetOutcome.CANCELLED

    def cancel_by_admin(self, admin_id: int, user_id: int) -> ResetOutcome:
        """An admin withdraws a pending reset."""
        with acting_client(ADMIN_CLIENT), self._db.session() as tx:
            if not self._settle(tx, int(user_id), CANCELLED):
                return ResetOutcome.NOT_PENDING
            self._tokens.void_for_user(tx, int(user_id), LinkPurpose.CANCEL_2FA_RESET)
            self._activity.record(tx, int(user_id), EventKind.TWO_FACTOR_RESET_CANCELLED, "by_admin")
            record_action(tx, self._clock.now(), int(admin_id), int(user_id), Action.CANCEL_RESET, "by an admin")
        log_event(log, logging.INFO, "admin_reset_cancelled", user=user_id, by="admin", admin=admin_id)
        return ResetOutcome.CANCELLED

    def pending(self, user_id: int) -> PendingReset | None:
        """The user's pending reset, if any."""
        with self._db.session() as tx:
            row = self._pending_row(tx, int(user_id))
            return None if row is None or row.id is None else PendingReset(row.id, row.due_at, row.identity_check)

    def apply_due(self) -> int:
        """Apply every pending reset whose waiting period is over; returns how many this call applied."""
        now = self._clock.now()
        with self._db.session() as tx:
            due = tx.exec(
                select(TwoFactorReset.id, TwoFactorReset.user_id, TwoFactorReset.admin_id)
                .where(col(TwoFactorReset.state) == PENDING, col(TwoFactorReset.due_at) <= now)
                .limit(100)
            ).all()
        applied = 0
        for reset_id, user_id, admin_id in due:
            try:
                applied += self._apply(int(reset_id or 0), user_id, admin_id)
            except Exception as error:  # the next sweep tries again; the others still go
                log_event(log, logging.ERROR, "admin_reset_failed", user=user_id, error=type(error).__name__)
        return applied

    def _apply(self, reset_id: int, user_id: int, admin_id: int | None) -> int:
        ended = 0
        with acting_client(ADMIN_CLIENT), self._db.session() as tx:
            if not self._settle(tx, user_id, APPLIED, reset_id=reset_id):
                return 0  # cancelled, or applied by another worker, in the meantime
            user = tx.get(User, user_id)
            if user is None:
                return 0
            if user.is_admin:  # granted after the reset was scheduled: a reset account holds no admin role
                user.is_admin = False
                tx.add(user)
                record_action(tx, self._clock.now(), None, user_id, Action.REVOKE_ADMIN, "2FA reset applied")
            self._factors.remove_all(tx, user)
            ended = revoke_everything(
                tx, self._sessions, self._activity, user_id, EventKind.TWO_FACTOR_RESET
            ).sessions_ended
            self._tokens.void_for_user(tx, user_id, LinkPurpose.CANCEL_2FA_RESET)
            record_action(tx, self._clock.now(), admin_id, user_id, Action.APPLY_RESET, f"sessions ended: {ended}")
        log_event(log, logging.INFO, "admin_reset_applied", user=user_id, admin=admin_id, sessions_ended=ended)
        return 1

    def _settle(self, tx: Session, user_id: int, state: str, reset_id: int | None = None) -> bool:
        """Move the user's pending reset (this one, if named) to `state`: one conditional UPDATE. Applying needs it
        due; cancelling needs it not yet applied."""
        now = self._clock.now()
        query = update(TwoFactorReset).where(
            col(TwoFactorReset.user_id) == int(user_id), col(TwoFactorReset.state) == PENDING
        )
        if reset_id is not None:
            query = query.where(col(TwoFactorReset.id) == reset_id)
        if state == APPLIED:
            query = query.where(col(TwoFactorReset.due_at) <= now)
        moved = tx.exec(query.values(state=state, resolved_at=now).execution_options(synchronize_session=False))
        return (moved.rowcount or 0) >= 1

    @staticmethod
    def _pending_row(tx: Session, user_id: int) -> TwoFactorReset | None:
        return tx.exec(select(TwoFactorReset).where(*_pending_of(user_id))).first()


def _pending_of(user_id: ColumnElement[int] | int) -> tuple[ColumnElement[bool], ...]:
    return col(TwoFactorReset.user_id) == user_id, col(TwoFactorReset.state) == PENDING


def pending_reset_due(user_id: ColumnElement[int] | None = None) -> ColumnElement[float | None]:
    """When the user's pending reset applies (None: none pending), as a scalar subquery on `user_id`: by default
    the user of the session it is read with (`SessionStore.resolve_with_facts`), as the dashboard does."""
    of = col(LoginSession.user_id) if user_id is None else user_id
    return select(TwoFactorReset.due_at).where(*_pending_of(of)).limit(1).scalar_subquery()
