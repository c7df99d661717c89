"""The words of the settings page, the dashboard's security card and the login notices: what changed, what each
method's status is, readable dates (messages.py's sibling: one module would pass 400 lines)."""

from __future__ import annotations

from datetime import UTC, datetime

from sms2fa_app.backend.delivery.phone import MASK
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.identity.passwords import MIN_PASSWORD_LENGTH

DAY_SECONDS = 86_400

# ---- login and sign-up -------------------------------------------------------------------------------

LOGGED_OUT = "You've been logged out."
LOG_IN_TO_CONTINUE = "Log in to continue."
PASSWORD_RULE = f"Use at least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong password."

# ---- recovery codes -----------------------------------------------------------------------------------

RECOVERY_SAVE = "Save these recovery codes somewhere safe. Each works once; we won't show them again."
RECOVERY_OLD_VOID = "Your old recovery codes no longer work. Only the codes below do."
RECOVERY_SAVED_LABEL = "I saved these codes"
COPIED = "Copied"
KEY_COPIED = "Key copied"
COPY_FAILED = "Couldn't copy: select the codes and copy them yourself."
KEY_COPY_FAILED = "Couldn't copy: select the key and copy it yourself."
# What the browser answers the Copy button's clipboard write with (components/copy.py): tokens, not words.
CLIPBOARD_WRITTEN = "written"
CLIPBOARD_FAILED = "failed"


def copy_said(outcome: object, done: str, failed: str) -> tuple[str, bool]:
    """What the Copy button's live region says once the browser answered, and whether the copy failed."""
    written = outcome == CLIPBOARD_WRITTEN
    return (done if written else failed), not written


RECOVERY_FILE_NAME = "sms2fa-recovery-codes.txt"


def recovery_file(app_name: str, email: str, day: str, codes: list[str]) -> str:
    """The downloaded file: a header naming the app, the account and the date, then one code per line."""
    header = [
        f"{app_name} recovery codes",
        f"Account: {email}",
        f"Created: {day}",
        "Each code works once. Keep this file somewhere safe.",
        "",
    ]
    return "\n".join(header + list(codes)) + "\n"


def recovery_used(left: int) -> str:
    """The dashboard's banner after a sign-in with a recovery code."""
    if left == 0:
        return "You used your last recovery code. Make new ones now."
    return f"You used a recovery code. {left} left."


# ---- what a change did ----------------------------------------------------------------------------------

DISABLE_WARNING = (
    "Turning off two-factor authentication removes your phone number, your authenticator app, your recovery codes "
    "and your passkeys. Only your password will protect this account."
)
_DONE: dict[Operation, str] = {
    Operation.ENABLE_SMS: "Two-factor authentication is on. Codes go to {masked}.",
    Operation.CHANGE_NUMBER: "Codes now go to {masked}.",
    Operation.DISABLE: "Two-factor authentication is off. Your number, authenticator app, recovery codes and "
    "passkeys were removed.",
    Operation.REGENERATE_CODES: "New recovery codes made. The old ones no longer work.",
    Operation.ADD_TOTP: "Authenticator app added. You can sign in with its codes instead of a text.",
    Operation.REMOVE_TOTP: "Authenticator app removed. Codes go to {masked}.",
}


def masked(ending: str) -> str:
    """'•••• 3100'."""
    return f"{MASK} {ending}"


def change_done(operation: Operation, ending: str, devices: int = 0, sessions: int = 0) -> str:
    """What an operation changed, e.g. "Codes now go to •••• 3100; remembered devices were signed out." ("" for
    an operation with a notice of its own)."""
    template = _DONE.get(operation)
    if template is None:
        return ""
    text = template.format(masked=masked(ending))
    ended = [what for count, what in ((devices, "remembered devices"), (sessions, "your other sessions")) if count]
    if ended:
        text = text.removesuffix(".") + "; " + " and ".join(ended) + " were signed out."
    return text


# ---- the settings rows and the dashboard card ----------------------------------------------------------

METHOD_SMS = "Text message"
METHOD_TOTP = "Authenticator app"
METHOD_PASSKEYS = "Passkeys"
METHOD_RECOVERY = "Recovery codes"
NEVER_USED = "Never used"
TWO_FACTOR_OFF_CARD = "Two-factor authentication is off"
TWO_FACTOR_OFF_PROMPT = "Turn it on so a stolen password isn't enough to get into your account."
TWO_FACTOR_ON_CARD = "Two-factor authentication is on"


def last_used(timestamp: float | None, now: float) -> str:
    """'Last used today' ... or 'Never used'."""
    return f"Last used {day_in_sentence(timestamp, now)}" if timestamp else NEVER_USED


def _relative_day(timestamp: float, now: float) -> str:
    """'today', 'yesterday', '3 days ago' within a week, else "" (UTC)."""
    day = datetime.fromtimestamp(timestamp, UTC).date()
    days = (datetime.fromtimestamp(now, UTC).date() - day).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago" if days < 7 else ""


def readable_day(timestamp: float, now: float) -> str:
    """'Today', 'Yesterday', '3 days ago' within a week, else 'Nov 25, 2026' (UTC)."""
    relative = _relative_day(timestamp, now)
    return relative.capitalize() if relative else calendar_day(timestamp)


def day_in_sentence(timestamp: float, now: float) -> str:
    """readable_day inside a sentence: 'today', 'yesterday', '3 days ago', 'Nov 25, 2026'."""
    return _relative_day(timestamp, now) or calendar_day(timestamp)


def moment_in_sentence(timestamp: float, now: float) -> str:
    """day_in_sentence with the time for today and yesterday: 'today at 21:30 UTC', '3 days ago'."""
    day = day_in_sentence(timestamp, now)
    if day in ("today", "yesterday"):
        return f"{day} at {datetime.fromtimestamp(timestamp, UTC):%H:%M} UTC"
    return day


def calendar_day(timestamp: float) -> str:
    """'Nov 25, 2026' (UTC)."""
    day = datetime.fromtimestamp(timestamp, UTC).date()
    return f"{day:%b} {day.day}, {day.year}"


def methods_on(sms_ending: str, totp: bool, passkeys: int, recovery_left: int) -> str:
    """The dashboard's list of methods that are on, e.g. "Text message to •••• 3100 · Authenticator app"."""
    parts = [f"{METHOD_SMS} to {masked(sms_ending)}"] if sms_ending else []
    if totp:
        parts.append(METHOD_TOTP)
    if passkeys:
        parts.append("1 passkey" if passkeys == 1 else f"{passkeys} passkeys")
    parts.append(recovery_count(recovery_left))
    return " · ".join(parts)


def recovery_count(left: int) -> str:
    """'1 recovery code left' or 'N recovery codes left'."""
    return "1 recovery code left" if left == 1 else f"{left} recovery codes left"


def forget_label(device: str) -> str:
    """The accessible name of a device's Forget button, e.g. "Forget Chrome on Linux"."""
    return f"Forget {device}"


def session_times(started: float, last_seen: float, now: float) -> str:
    """An active session's line, e.g. "Started today at 21:30 UTC · last seen today at 21:45 UTC"."""
    return f"Started {moment_in_sentence(started, now)} · last seen {moment_in_sentence(last_seen, now)}"


def device_times(first_seen: float, last_used: float, now: float) -> str:
    """A remembered device's line, e.g. "Remembered yesterday · last used today"."""
    return f"Remembered {day_in_sentence(first_seen, now)} · last used {day_in_sentence(last_used, now)}"


PASSKEYS_NONE = "Sign in with your fingerprint, face or screen lock instead of a code."
PASSKEYS_FIRST = "Sign-in asks for a passkey first; texted codes stay as a backup."


def passkey_times(added: float, last_used: float | None, now: float, one_step: bool) -> str:
    """A passkey's line after its name, e.g. "added yesterday · last used today · signs in without a password"."""
    used = f"last used {day_in_sentence(last_used, now)}" if last_used else NEVER_USED.lower()
    line = f"added {day_in_sentence(added, now)} · {used}"
    return line + " · signs in without a password" if one_step else line


NO_REMEMBERED_DEVICES = "No remembered devices. Tick “Remember this device” when you sign in."
FORGET_ALL_CONFIRM = "Forget every remembered browser? Each will ask for a code at its next sign-in."
