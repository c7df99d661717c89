"""The admin console's results in words (state/ alone turns results into words; the rest are in messages.py)."""

from __future__ import annotations

from sms2fa_app.backend.admin.audit import AdminAccess

ADMIN_ONLY = "This page is for administrators. Your account can't open it."
ADMIN_NEEDS_2FA = "Administrators must turn on two-factor authentication before they can use the admin console."
ADMIN_NEEDS_FRESH_FACTOR = (
    "Log out and log in again with your second factor to use the admin console: a remembered browser doesn't open it."
)
ADMIN_SEARCH_EMPTY = "No account matches."
ADMIN_UNKNOWN_USER = "That account no longer exists."
_ADMIN_TARGET = (
    "This is an administrator's account: the console can't reset, unlock or sign it out. Use the command line "
    "(python -m sms2fa_app.backend.admin.cli revoke-admin EMAIL first)."
)
ADMIN_ACTIONS: dict[tuple[str, str], str] = {
    ("end_sessions", "done"): "Every session of this account was signed out. The user was told by email.",
    ("end_sessions", "nothing_to_do"): "This account has no session to end.",
    ("end_sessions", "target_admin"): _ADMIN_TARGET,
    ("clear_lockout", "done"): "The lock was cleared. The user was told by email.",
    ("clear_lockout", "nothing_to_do"): "This account's codes are not locked.",
    ("clear_lockout", "target_admin"): _ADMIN_TARGET,
    ("reset", "scheduled"): "Reset scheduled. The user was mailed and texted a link to cancel it before it takes "
    "effect.",
    ("reset", "cancelled"): "The pending reset was cancelled. The user was told by email.",
    ("reset", "two_factor_off"): "Two-factor authentication is already off for this account.",
    ("reset", "already_pending"): "A reset is already pending for this account.",
    ("reset", "not_pending"): "No reset is pending for this account.",
    ("reset", "check_not_confirmed"): "Choose how you verified the person's identity, describe it in a few words "
    "(10 to 120 characters), and tick the confirmation.",
    ("reset", "self"): "Your own factors can't be reset from the console.",
    ("reset", "target_admin"): _ADMIN_TARGET,
}
RESET_CANCELLED_BY_LINK = "The reset was cancelled. Your two-factor authentication stays as it is."
RESET_CANCEL_LINK_INVALID = "This link no longer works: the reset was cancelled or done already, or it expired."
RESET_CANCELLED_IN_APP = "The reset was cancelled. Your two-factor authentication stays as it is."
RESET_NOT_PENDING = "No reset is pending any more."
REFUSALS = {
    AdminAccess.NOT_ADMIN: ADMIN_ONLY,
    AdminAccess.TWO_FACTOR_OFF: ADMIN_NEEDS_2FA,
    AdminAccess.NO_SECOND_FACTOR: ADMIN_NEEDS_FRESH_FACTOR,
}


def admin_action(action: str, outcome: str) -> str:
    """What an admin action did, in words."""
    return ADMIN_ACTIONS.get((action, outcome), ADMIN_UNKNOWN_USER)


def refusal_label(refusal: str) -> str:
    """A refusal's name on a chart: "country_blocked" -> "country blocked"."""
    return refusal.replace("_", " ")


def pending_reset_banner(due: str) -> str:
    """What a signed-in user is told while an admin's reset of their 2FA waits."""
    return (
        f"An administrator scheduled a reset of your two-factor authentication for {due}. "
        "Didn't ask for it? Cancel it now."
    )
