"""Deleting an account, behind the same single-use re-authentication grant as every factor change.

One transaction consumes the grant, logs the deletion (its last notice is mailed once it commits, to
the address captured now), strips the account's activity rows down to their kind and time (kept for
the retention period, then purged), and deletes its factors (passkeys included), sessions, remembered
devices, links and the account row itself. Redis state keyed by the user (its lockout record) goes after the commit.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, col, delete

from sms2fa_app.backend.audit.activity import Activity, EventKind
from sms2fa_app.backend.factors.grants import Operation, ReauthGrants
from sms2fa_app.backend.factors.lockout import Lockout
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import (
    AuthenticatorApp,
    LinkToken,
    LoginSession,
    Passkey,
    RecoveryCode,
    RememberedDevice,
    TwoFactorReset,
    User,
)

log = logging.getLogger("sms2fa.deletion")

# Every table with a foreign key to users, besides the activity log (which keeps anonymous rows) and users itself.
# The admins' audit log (admin_actions) has no foreign key: it outlives the account.
_USER_ROWS = (RecoveryCode, AuthenticatorApp, Passkey, RememberedDevice, LinkToken, LoginSession, TwoFactorReset)


def delete_account_rows(tx: Session, user_id: int) -> None:
    """In the caller's transaction: the account's activity rows keep only their kind and time; its factors,
    sessions, remembered devices, links, pending reset and the account row itself go."""
    Activity.forget_user(tx, user_id)
    for table in _USER_ROWS:
        tx.exec(delete(table).where(col(table.user_id) == user_id))
    tx.exec(delete(User).where(col(User.id) == user_id))


class AccountDeletion:
    """Deletes the account of a re-authenticated session."""

    def __init__(self, database: Database, grants: ReauthGrants, activity: Activity, lockout: Lockout):
        self._db = database
        self._grants = grants
        self._activity = activity
        self._lockout = lockout

    def delete(self, session: ActiveSession) -> bool:
        """Delete the account; False (nothing changed) without a live grant for it."""
        user_id = session.user_id
        with self._db.session() as tx:
            user = tx.get(User, user_id)
            if user is None:
                return False
            operation = Operation.DELETE_ACCOUNT
            if not self._grants.consume(user_id, session.session_id, operation, user.is_two_factor_enabled):
                return False
            self._activity.record(tx, user_id, EventKind.ACCOUNT_DELETED)
            tx.flush()
            delete_account_rows(tx, user_id)
        self._lockout.clear(user_id)
        log_event(log, logging.INFO, "account_deleted", user=user_id)
        return True
