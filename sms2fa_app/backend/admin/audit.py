"""Who may act as an admin, and the admins' audit log (one row per action, in the action's own transaction)."""

from __future__ import annotations

import enum

from sqlmodel import Session, col, select

from sms2fa_app.backend.models import AdminAction, User


class AdminAccess(enum.Enum):
    """Whether an account may use the admin console (the one rule: admin role AND 2FA on)."""

    ALLOWED = "allowed"
    NOT_ADMIN = "not_admin"
    TWO_FACTOR_OFF = "two_factor_off"  # an admin must protect the console with a second factor


def admin_access(user: User | None) -> AdminAccess:
    """The account's access to the console, as it is now (read fresh for every handler)."""
    if user is None or not user.is_admin:
        return AdminAccess.NOT_ADMIN
    return AdminAccess.ALLOWED if user.is_two_factor_enabled else AdminAccess.TWO_FACTOR_OFF


class Action(enum.StrEnum):
    """What an admin did (values are stored)."""

    GRANT_ADMIN = "grant_admin"
    REVOKE_ADMIN = "revoke_admin"
    END_SESSIONS = "end_sessions"
    CLEAR_LOCKOUT = "clear_lockout"
    SCHEDULE_RESET = "schedule_2fa_reset"
    CANCEL_RESET = "cancel_2fa_reset"  # by the admin, or by the user's link (admin_id None)
    APPLY_RESET = "apply_2fa_reset"  # the waiting period ended


def record_action(
    tx: Session, at: float, admin_id: int | None, user_id: int | None, action: Action, detail: str = ""
) -> None:
    """Append one audit row in the caller's transaction (a rolled-back action leaves none)."""
    tx.add(AdminAction(admin_id=admin_id, user_id=user_id, action=Action(action).value, detail=detail[:200], at=at))


def recent_actions(tx: Session, user_id: int, limit: int = 20) -> list[AdminAction]:
    """The audit rows about one account, newest first."""
    query = (
        select(AdminAction)
        .where(col(AdminAction.user_id) == int(user_id))
        .order_by(col(AdminAction.at).desc(), col(AdminAction.id).desc())
        .limit(limit)
    )
    return list(tx.exec(query).all())
