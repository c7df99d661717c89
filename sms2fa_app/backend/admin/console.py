"""The admin console's view of accounts and its immediate actions (ending sessions, clearing a lockout).

What an admin sees of an account is what they need to help its owner: the address, whether 2FA is on, which factors
(the number only masked, •••• 1234), recent sign-ins, lockouts and the live lock, a pending reset. Never a code, a
hash, a secret or a whole number. Every action writes the user's activity line (which mails the user) and an audit
row in one transaction.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from sqlmodel import col, select

from sms2fa_app.backend.admin.audit import ADMIN_CLIENT, Action, recent_actions, record_action
from sms2fa_app.backend.admin.resets import PendingReset, TwoFactorResets
from sms2fa_app.backend.audit.activity import Activity, ActivityEntry, EventKind
from sms2fa_app.backend.delivery.phone import mask_phone
from sms2fa_app.backend.factors.lockout import Lockout
from sms2fa_app.backend.factors.second_factors import SecondFactors
from sms2fa_app.backend.identity.sessions import SessionStore
from sms2fa_app.backend.infra.client import acting_client
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database, after_commit
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import User

log = logging.getLogger("sms2fa.admin")

MAX_RESULTS = 20
MAX_QUERY_LENGTH = 254
RECENT_SIGN_INS = 5
RECENT_LOCKOUTS = 5


class ActionOutcome(enum.Enum):
    """How an immediate action ended."""

    DONE = "done"
    UNKNOWN_USER = "unknown_user"
    NOTHING_TO_DO = "nothing_to_do"  # no session to end, no lock to clear
    TARGET_ADMIN = "target_admin"  # an admin's account is acted on from the command line, never from the console


@dataclass(frozen=True)
class UserRow:
    """One search result."""

    user_id: int
    email: str
    two_factor_on: bool
    is_admin: bool


@dataclass(frozen=True)
class UserOverview:
    """One account as the console shows it."""

    user_id: int
    email: str
    two_factor_on: bool
    is_admin: bool
    masked_phone: str  # "" without a number
    totp: bool
    passkeys: int
    recovery_codes_left: int
    live_sessions: int
    locked_seconds: int  # 0 = not locked now
    sign_ins: tuple[ActivityEntry, ...]
    lockouts: tuple[ActivityEntry, ...]
    pending_reset: PendingReset | None
    audit: tuple[tuple[float, str], ...]  # (when, action) of admin actions on this account, newest first


class AdminConsole:
    """Search and show accounts; end their sessions, clear their lockout."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        sessions: SessionStore,
        lockout: Lockout,
        factors: SecondFactors,
        activity: Activity,
        resets: TwoFactorResets,
    ):
        self._db = database
        self._clock = clock
        self._sessions = sessions
        self._lockout = lockout
        self._factors = factors
        self._activity = activity
        self._resets = resets

    def search(self, admin_id: int, query: str) -> list[UserRow]:
        """Accounts whose address contains `query` (case-insensitive), at most MAX_RESULTS, by address. Audited as
        one row with the query's length and the number of results (not the query: it may be a whole address)."""
        needle = query.strip().lower()[:MAX_QUERY_LENGTH]
        if not needle:
            return []
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._db.session() as db:
            rows = db.exec(
                select(User)
                .where(col(User.email).ilike(pattern, escape="\\"))
                .order_by(col(User.email))
                .limit(MAX_RESULTS)
            ).all()
            found = [UserRow(row.id or 0, row.email, row.is_two_factor_enabled, row.is_admin) for row in rows]
            detail = f"query of {len(needle)} characters, {len(found)} results"
            record_action(db, self._clock.now(), int(admin_id), None, Action.SEARCH, detail)
            return found

    def open(self, admin_id: int, user_id: int) -> UserOverview | None:
        """An admin opens one account: the overview, audited (an unknown account is not)."""
        overview = self.overview(user_id)
        if overview is not None:
            with self._db.session() as tx:
                record_action(tx, self._clock.now(), int(admin_id), int(user_id), Action.OPEN_ACCOUNT)
        return overview

    def overview(self, user_id: int) -> UserOverview | None:
        """Everything the console shows of one account, or None."""
        user_id = int(user_id)
        with self._db.session() as db:
            user = db.get(User, user_id)
            if user is None:
                return None
            audit = tuple((row.at, row.action) for row in recent_actions(db, user_id))
            email, two_factor_on, is_admin, phone = (
                user.email,
                user.is_two_factor_enabled,
                user.is_admin,
                user.phone_number,
            )
        events = self._activity.recent(user_id)
        return UserOverview(
            user_id=user_id,
            email=email,
            two_factor_on=two_factor_on,
            is_admin=is_admin,
            masked_phone=mask_phone(phone) if phone else "",
            totp=self._factors.totp.is_enabled(user_id),
            passkeys=self._factors.passkeys.count(user_id),
            recovery_codes_left=self._factors.recovery.remaining(user_id),
            live_sessions=len(self._sessions.list_for_user(user_id)),
            locked_seconds=self._lockout.wait(user_id),
            sign_ins=tuple(e for e in events if e.kind is EventKind.SIGNED_IN)[:RECENT_SIGN_INS],
            lockouts=tuple(e for e in events if e.kind is EventKind.LOCKOUT_STARTED)[:RECENT_LOCKOUTS],
            pending_reset=self._resets.pending(user_id),
            audit=audit,
        )

    def end_sessions(self, admin_id: int, user_id: int) -> ActionOutcome:
        """Sign the account out everywhere (the user's activity names "an administrator", not the admin's client).
        An admin's account is refused, as by every other action: a stolen admin session must not sign the other
        admins out."""
        with acting_client(ADMIN_CLIENT), self._db.session() as tx:
            user = tx.get(User, int(user_id))
            if user is None:
                return ActionOutcome.UNKNOWN_USER
            if user.is_admin:
                return ActionOutcome.TARGET_ADMIN
            ended = self._sessions.end_all_for_user(int(user_id), db=tx)
            if not ended:
                return ActionOutcome.NOTHING_TO_DO
            self._activity.record(tx, int(user_id), EventKind.ADMIN_SESSIONS_ENDED, ended)
            record_action(tx, self._clock.now(), int(admin_id), int(user_id), Action.END_SESSIONS, f"{ended} ended")
        log_event(log, logging.INFO, "admin_sessions_ended", admin=admin_id, user=user_id, ended=ended)
        return ActionOutcome.DONE

    def clear_lockout(self, admin_id: int, user_id: int) -> ActionOutcome:
        """Clear the account's second-factor lock and its count of wrong guesses (the lockout's own clear), once
        the audit row and the user's activity line have committed: a failed commit clears nothing. An admin's
        account is refused (a stolen admin session must not unlock another admin's codes)."""
        with acting_client(ADMIN_CLIENT), self._db.session() as tx:
            user = tx.get(User, int(user_id))
            if user is None:
                return ActionOutcome.UNKNOWN_USER
            if user.is_admin:
                return ActionOutcome.TARGET_ADMIN
            if not self._lockout.wait(int(user_id)):
                return ActionOutcome.NOTHING_TO_DO
            self._activity.record(tx, int(user_id), EventKind.ADMIN_LOCKOUT_CLEARED)
            record_action(tx, self._clock.now(), int(admin_id), int(user_id), Action.CLEAR_LOCKOUT)
            after_commit(tx, lambda: self._lockout.clear(int(user_id)))
        log_event(log, logging.INFO, "admin_lockout_cleared", admin=admin_id, user=user_id)
        return ActionOutcome.DONE
