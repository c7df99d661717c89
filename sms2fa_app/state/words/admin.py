"""The words of the admin console and of the reset a user can cancel (the link, the dashboard's banner)."""

from __future__ import annotations

from sms2fa_app.backend.admin.audit import AdminAccess
from sms2fa_app.backend.infra.client import DeviceLabel
from sms2fa_app.state.words import common
from sms2fa_app.state.words.catalogue import Text

ADMIN_ONLY = Text("admin.only", "This page is for administrators. Your account can't open it.")
ADMIN_NEEDS_2FA = Text(
    "admin.needs_2fa",
    "Administrators must turn on two-factor authentication before they can use the admin console.",
)
ADMIN_NEEDS_FRESH_FACTOR = Text(
    "admin.needs_fresh_factor",
    "Log out and log in again with your second factor to use the admin console: a remembered browser doesn't open it.",
)
ADMIN_SEARCH_EMPTY = Text("admin.search_empty", "No account matches.")
ADMIN_UNKNOWN_USER = Text("admin.unknown_user", "That account no longer exists.")
_ADMIN_TARGET = Text(
    "admin.target_admin",
    "This is an administrator's account: the console can't reset, unlock or sign it out. Use the command line "
    "(python -m sms2fa_app.backend.admin.cli revoke-admin EMAIL first).",
)
ADMIN_ACTIONS: dict[tuple[str, str], Text] = {
    ("end_sessions", "done"): Text(
        "admin.end_sessions.done", "Every session of this account was signed out. The user was told by email."
    ),
    ("end_sessions", "nothing_to_do"): Text("admin.end_sessions.nothing_to_do", "This account has no session to end."),
    ("end_sessions", "target_admin"): _ADMIN_TARGET,
    ("clear_lockout", "done"): Text("admin.clear_lockout.done", "The lock was cleared. The user was told by email."),
    ("clear_lockout", "nothing_to_do"): Text(
        "admin.clear_lockout.nothing_to_do", "This account's codes are not locked."
    ),
    ("clear_lockout", "target_admin"): _ADMIN_TARGET,
    ("reset", "scheduled"): Text(
        "admin.reset.scheduled",
        "Reset scheduled. The user was mailed and texted a link to cancel it before it takes effect.",
    ),
    ("reset", "cancelled"): Text(
        "admin.reset.cancelled", "The pending reset was cancelled. The user was told by email."
    ),
    ("reset", "two_factor_off"): Text(
        "admin.reset.two_factor_off", "Two-factor authentication is already off for this account."
    ),
    ("reset", "already_pending"): Text("admin.reset.already_pending", "A reset is already pending for this account."),
    ("reset", "not_pending"): Text("admin.reset.not_pending", "No reset is pending for this account."),
    ("reset", "check_not_confirmed"): Text(
        "admin.reset.check_not_confirmed",
        "Choose how you verified the person's identity, describe it in a few words (10 to 120 characters), and tick "
        "the confirmation.",
    ),
    ("reset", "self"): Text("admin.reset.self", "Your own factors can't be reset from the console."),
    ("reset", "target_admin"): _ADMIN_TARGET,
}
RESET_CANCELLED_BY_LINK = Text(
    "reset_cancel.cancelled", "The reset was cancelled. Your two-factor authentication stays as it is."
)
RESET_CANCELLED_IN_APP = RESET_CANCELLED_BY_LINK
RESET_CANCEL_LINK_INVALID = Text(
    "reset_cancel.link_invalid", "This link no longer works: the reset was cancelled or done already, or it expired."
)
RESET_NOT_PENDING = Text("reset_cancel.not_pending", "No reset is pending any more.")
_PENDING_RESET = Text(
    "reset_cancel.pending_banner",
    "An administrator scheduled a reset of your two-factor authentication for {due}. Didn't ask for it? Cancel it now.",
)
REFUSALS = {
    AdminAccess.NOT_ADMIN: ADMIN_ONLY,
    AdminAccess.TWO_FACTOR_OFF: ADMIN_NEEDS_2FA,
    AdminAccess.NO_SECOND_FACTOR: ADMIN_NEEDS_FRESH_FACTOR,
}


def admin_action(action: str, outcome: str) -> str:
    """What an admin action did, in words."""
    return ADMIN_ACTIONS.get((action, outcome), ADMIN_UNKNOWN_USER)


def refusal_label(refusal: str) -> str:
    """A refusal's name on a chart: "country_blocked" -> "country blocked" (an operator's term, not translated)."""
    return refusal.replace("_", " ")


def pending_reset_banner(due: str) -> str:
    """What a signed-in user is told while an admin's reset of their 2FA waits."""
    return _PENDING_RESET.format(due=due)


# ---- an account's overview and the operations charts ---------------------------------------------------------

_FACTOR_SMS = Text("admin.factor.sms", "text messages to {masked}")
_FACTOR_TOTP = Text("admin.factor.totp", "authenticator app")
_FACTOR_PASSKEYS = Text("admin.factor.passkeys", "{count} passkey(s)")  # the console's wording, kept as it was
_FACTOR_RECOVERY = Text("admin.factor.recovery_left", "{count} recovery code(s) left")
_NO_FACTOR = Text("admin.factor.none", "none")
_DELIVERY_SUMMARY = Text("admin.delivery_summary", "{rate}% delivered ({delivered} of {known} with a known outcome)")
_NO_DELIVERY_REPORT = Text("admin.no_delivery_report", "No delivery report yet.")


def factor_list(masked_phone: str, totp: bool, passkeys: int, recovery_left: int | None) -> str:
    """An account's second factors for the console, e.g. "text messages to •••• 1212, authenticator app"
    (`recovery_left` None: two-factor authentication is off, so no code counts)."""
    factors = [_FACTOR_SMS.format(masked=masked_phone)] if masked_phone else []
    factors += [_FACTOR_TOTP] if totp else []
    factors += [_FACTOR_PASSKEYS.format(count=passkeys)] if passkeys else []
    factors += [_FACTOR_RECOVERY.format(count=recovery_left)] if recovery_left is not None else []
    return ", ".join(factors) or _NO_FACTOR


def delivery_summary(delivered: int, known: int) -> str:
    """The share of texts delivered among those whose outcome is known."""
    if not known:
        return _NO_DELIVERY_REPORT
    return _DELIVERY_SUMMARY.format(rate=round(100 * delivered / known, 1), delivered=delivered, known=known)


NO_DATA = Text("admin.chart.no_data", "No data yet")


def money(amount: float, currency: str, places: int = 2) -> str:
    """An estimated amount with its currency code, e.g. "1.23 USD" (a number, not a sentence: not catalogued)."""
    return f"{amount:.{places}f} {currency}"


# /admin/apps: the OpenID clients
CLIENT_DISABLED = Text("admin.client_disabled", "The app was disabled: its sign-ins and tokens stop now.")
CLIENT_ENABLED = Text("admin.client_enabled", "The app was enabled again.")
CLIENT_SECRET_ROTATED = Text(
    "admin.client_secret_rotated",
    "New secret below: copy it now, it won't be shown again. The old one stopped working.",
)
_CLIENT_PUBLIC = Text("admin.client.public", "public (PKCE)")
_CLIENT_CONFIDENTIAL = Text("admin.client.confidential", "confidential")
_CLIENT_FIRST_PARTY = Text("admin.client.first_party", "first-party")
_CLIENT_TWO_FACTOR = Text("admin.client.two_factor", "always two factors")


def client_kind(public: bool, first_party: bool, two_factor: bool) -> str:
    """ "confidential · first-party · always two factors" and the like."""
    parts = [_CLIENT_PUBLIC if public else _CLIENT_CONFIDENTIAL]
    parts += [_CLIENT_FIRST_PARTY] if first_party else []
    parts += [_CLIENT_TWO_FACTOR] if two_factor else []
    return " · ".join(parts)


_WHERE = Text("admin.activity.where", "{browser} · {network}")


def where(browser: DeviceLabel, network: str) -> str:
    """A sign-in's browser and network, e.g. "Chrome on Linux · 203.0.113.0/24" (the label said in the admin's
    language)."""
    return _WHERE.format(browser=common.device(browser), network=common.network(network))
