"""Who may act as an admin, and the admins' audit log (one row per action, in the action's own transaction)."""

from __future__ import annotations

import enum

from sqlmodel import Session, col, select

from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.infra.client import ClientInfo, DeviceLabel
from sms2fa_app.backend.models import AdminAction, User

# What took a session to the authenticated stage that counts as a second factor presented in THIS session (a
# remembered browser, "device", does not; nor a password alone).
SECOND_FACTORS = frozenset(factor.value for factor in Factor)


class AdminAccess(enum.Enum):
    """Whether an account may use the admin console (the one rule: admin role AND 2FA on)."""

    ALLOWED = "allowed"
    NOT_ADMIN = "not_admin"
    TWO_FACTOR_OFF = "two_factor_off"  # an admin must protect the console with a second factor
    NO_SECOND_FACTOR = "no_second_factor"  # this session signed in without presenting one (a remembered browser)


def admin_access(user: User | None, how: str) -> AdminAccess:
    """The account's access to the console, as it is now (read fresh for every handler). `how`: what took the
    caller's session to the authenticated stage; it must be a second factor presented in that session."""
    if user is None or not user.is_admin:
        return AdminAccess.NOT_ADMIN
    if not user.is_two_factor_enabled:
        return AdminAccess.TWO_FACTOR_OFF
    if how not in SECOND_FACTORS:
        return AdminAccess.NO_SECOND_FACTOR
    return AdminAccess.ALLOWED


class _AdminClient(ClientInfo):
    """The client an admin action is recorded with: the user's activity and mails name no admin's browser or
    network."""

    @property
    def browser(self) -> str:
        """Always "An administrator" (said in the reader's language)."""
        return DeviceLabel(administrator=True).stored()

    @property
    def network(self) -> str:
        """Never the admin's network."""
        return ""


ADMIN_CLIENT: ClientInfo = _AdminClient()


class Action(enum.StrEnum):
    """What an admin did (values are stored)."""

    GRANT_ADMIN = "grant_admin"
    REVOKE_ADMIN = "revoke_admin"
    END_SESSIONS = "end_sessions"
    CLEAR_LOCKOUT = "clear_lockout"
    SCHEDULE_RESET = "schedule_2fa_reset"
    CANCEL_RESET = "cancel_2fa_reset"  # by the admin, or by the user's link (admin_id None)
    APPLY_RESET = "apply_2fa_reset"  # the waiting period ended
    OPEN_ACCOUNT = "open_account"  # an admin looked at the account
    SEARCH = "search"  # detail: the query's length and the number of results (not the query)
    OIDC_REGISTER_CLIENT = "oidc_register_client"  # detail: the client id (OpenID clients: admin/oidc_clients.py)
    OIDC_DISABLE_CLIENT = "oidc_disable_client"
    OIDC_ENABLE_CLIENT = "oidc_enable_client"
    OIDC_ROTATE_SECRET = "oidc_rotate_secret"
    OIDC_ROTATE_KEYS = "oidc_rotate_keys"  # detail: the new key's id


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
