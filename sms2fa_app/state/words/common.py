"""Words every screen shares: the service's own failure, a refused request, durations, dates, masked values,
a browser's label and the Copy button's answers."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from sms2fa_app.backend.delivery.phone import MASK
from sms2fa_app.backend.infra.client import DeviceLabel
from sms2fa_app.state.words.catalogue import Plural, Text

SERVICE_UNAVAILABLE = Text("common.service_unavailable", "Something went wrong on our side. Try again in a moment.")
INVALID_REQUEST = Text("common.invalid_request", "That request wasn't valid. Reload the page and try again.")
SESSION_EXPIRED = Text("common.session_expired", "Your session has ended. Log in again.")

_MINUTES = Plural("common.minutes", "1 minute", "{count} minutes")
_SECONDS = Plural("common.seconds", "1 second", "{count} seconds")


def minutes(seconds: int) -> str:
    """'1 minute' or 'N minutes', rounded up."""
    return _MINUTES(max(1, math.ceil(seconds / 60)))


def wait_phrase(seconds: int) -> str:
    """'42 seconds' under two minutes, else minutes, rounded up."""
    return _SECONDS(seconds) if seconds < 120 else minutes(seconds)


# ---- a browser's label: one sentence per shape around the product names (the mails' are in letter_words) ----
BROWSER_ON_SYSTEM = Text("device.browser_on_system", "{browser} on {system}")
A_BROWSER_ON_SYSTEM = Text("device.a_browser_on_system", "A browser on {system}")
UNKNOWN_BROWSER = Text("device.unknown_browser", "Unknown browser")
ADMINISTRATOR = Text("device.administrator", "An administrator")
UNKNOWN_NETWORK = Text("device.unknown_network", "unknown network")


def device(label: DeviceLabel) -> str:
    """ "Chrome on Linux", "A browser on Windows" or "Unknown browser", said later in the tab's language; a name
    alone (an old row that was not a label) as it is; "An administrator" for an admin's action."""
    if label.administrator:
        return ADMINISTRATOR.format()
    if label.browser and label.system:
        return BROWSER_ON_SYSTEM.format(browser=label.browser, system=label.system)
    if label.system:
        return A_BROWSER_ON_SYSTEM.format(system=label.system)
    return label.browser or UNKNOWN_BROWSER.format()  # Rendered: said in the tab's language inside a sentence too


def network(approximate: str) -> str:
    """The approximate network ("203.0.113.0/24"), or "unknown network" said later in the tab's language."""
    return approximate or UNKNOWN_NETWORK.format()


# ---- masked values ---------------------------------------------------------------------------------------


def masked(ending: str) -> str:
    """'•••• 3100'."""
    return f"{MASK} {ending}"


def masked_email(email: str) -> str:
    """'a…@example.com': enough to recognise one's account, not to read the address off a shared screen."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}…@{domain}" if at and local else "…"


# ---- dates (UTC; a later locale step renders them with Babel) ----------------------------------------------

TODAY = Text("common.today", "today")
YESTERDAY = Text("common.yesterday", "yesterday")
_DAYS_AGO = Plural("common.days_ago", "1 day ago", "{count} days ago")
_AT_TIME = Text("common.day_at_time", "{day} at {time} UTC")


def _relative_day(timestamp: float, now: float) -> str:
    """'today', 'yesterday', '3 days ago' within a week, else "" (UTC)."""
    day = datetime.fromtimestamp(timestamp, UTC).date()
    days = (datetime.fromtimestamp(now, UTC).date() - day).days
    if days <= 0:
        return TODAY
    if days == 1:
        return YESTERDAY
    return _DAYS_AGO(days) if days < 7 else ""


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
    if day in (TODAY, YESTERDAY):
        return _AT_TIME.format(day=day, time=f"{datetime.fromtimestamp(timestamp, UTC):%H:%M}")
    return day


def calendar_day(timestamp: float) -> str:
    """'Nov 25, 2026' (UTC)."""
    day = datetime.fromtimestamp(timestamp, UTC).date()
    return f"{day:%b} {day.day}, {day.year}"


# ---- the Copy button ------------------------------------------------------------------------------------

COPIED = Text("common.copied", "Copied")
KEY_COPIED = Text("common.key_copied", "Key copied")
COPY_FAILED = Text("common.copy_failed", "Couldn't copy: select the codes and copy them yourself.")
KEY_COPY_FAILED = Text("common.key_copy_failed", "Couldn't copy: select the key and copy it yourself.")
# What the browser answers the Copy button's clipboard write with (components/copy.py): tokens, not words.
CLIPBOARD_WRITTEN = "written"
CLIPBOARD_FAILED = "failed"


def copy_said(outcome: object, done: str, failed: str) -> tuple[str, bool]:
    """What the Copy button's live region says once the browser answered, and whether the copy failed."""
    written = outcome == CLIPBOARD_WRITTEN
    return (done if written else failed), not written


# /dev/outbox's "Clear limits for this machine" (development and loopback only)
DEV_LIMITS_CLEARED = Text("dev.limits_cleared", "Limits cleared: this machine can sign in, text and mail again.")
DEV_LIMITS_REFUSED = Text("dev.limits_refused", "Limits can be cleared only in development, from this machine.")
