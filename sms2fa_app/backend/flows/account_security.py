"""Account security use cases: revoke everything, and delete the account.

"Revoke everything" is one function because a factor change, a password reset and an admin's 2FA reset must end
exactly alike: a way in that one of them forgot to close (a remembered device, another session, a mailed reset
link) would outlive the change that was meant to close it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session

from sms2fa_app.backend.audit.activity import Activity, EventKind
from sms2fa_app.backend.factors.devices import bump_factor_epoch
from sms2fa_app.backend.factors.grants import Operation, ReauthGrants
from sms2fa_app.backend.factors.lockout import Lockout
from sms2fa_app.backend.identity.deletion import delete_account_rows
from sms2fa_app.backend.identity.sessions import ActiveSession, SessionStore
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import User

log = logging.getLogger("sms2fa.deletion")


@dataclass(frozen=True)
class Revoked:
    """What `revoke_everything` ended."""

    sessions_ended: int
    factor_epoch: int  # the user's new epoch: every remembered device of an older one is void


def revoke_everything(
    tx: Session,
    sessions: SessionStore,
    activity: Activity,
    user: User | int,
    event: EventKind,
    detail: str | int = "",
    *,
    keep_session_id: int | None = None,
    old_phone: str | None = None,
) -> Revoked:
    """In the caller's transaction: the factor epoch moves on (every remembered device is void), every session but
    `keep_session_id` ends, the unused password-reset links go, and the activity log gets `event` (its notice is
    queued for after the commit)."""
    user_id = user if isinstance(user, int) else int(user.id or 0)
    epoch = bump_factor_epoch(tx, user)  # a User object given sees its new epoch
    ended = sessions.end_all_for_user(user_id, keep_session_id=keep_session_id, db=tx)
    activity.record(tx, user_id, event, detail, old_phone=old_phone)
    return Revoked(sessions_ended=ended, factor_epoch=epoch)


class AccountDeletion:
    """Deletes the account of a re-authenticated session, behind the same single-use grant as every factor change.

    One transaction consumes the grant, logs the deletion (its last notice is mailed once it commits, to the
    address captured now) and deletes the account's rows (identity.deletion); Redis state keyed by the user (its
    lockout record) goes after the commit."""

    def __init__(
        self, database: Database, sessions: SessionStore, grants: ReauthGrants, activity: Activity, lockout: Lockout
    ):
        self._db = database
        self._sessions = sessions
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
            assurance = self._sessions.assurance(session.session_id, db=tx)
            if not self._grants.consume(user_id, session.session_id, operation, assurance, user.is_two_factor_enabled):
                return False
            self._activity.record(tx, user_id, EventKind.ACCOUNT_DELETED)
            tx.flush()
            self._sessions.end_all_for_user(user_id, db=tx)  # first, so forward-auth's cache hears of each session
            delete_account_rows(tx, user_id)
        self._lockout.clear(user_id)
        log_event(log, logging.INFO, "account_deleted", user=user_id)
        return True
