"""The words of results, rows and notices (state/words/settings.py, common.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.state import words

NOV_25 = datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp()
DAY = 86_400


def test_readable_days_are_relative_within_a_week_then_calendar_dates() -> None:
    assert words.common.readable_day(NOV_25, NOV_25) == "Today"
    assert words.common.readable_day(NOV_25 - DAY, NOV_25) == "Yesterday"
    assert words.common.readable_day(NOV_25 - 3 * DAY, NOV_25) == "3 days ago"
    assert words.common.readable_day(NOV_25 - 30 * DAY, NOV_25) == "Oct 26, 2026"
    assert words.common.calendar_day(datetime(2026, 11, 5, tzinfo=UTC).timestamp()) == "Nov 5, 2026"
    assert words.settings.last_used(None, NOV_25) == "Never used"
    assert words.settings.last_used(NOV_25, NOV_25) == "Last used today"
    assert words.settings.last_used(NOV_25 - 30 * DAY, NOV_25) == "Last used Oct 26, 2026"  # a month keeps its capital


def test_sessions_devices_and_passkeys_read_their_dates_inside_a_sentence() -> None:
    late = datetime(2026, 11, 25, 21, 30, tzinfo=UTC).timestamp()
    assert words.settings.session_times(late, late, late) == "Started today at 21:30 UTC · last seen today at 21:30 UTC"
    assert words.settings.session_times(late - DAY, late, late) == (
        "Started yesterday at 21:30 UTC · last seen today at 21:30 UTC"
    )
    assert words.settings.session_times(late - 3 * DAY, late - 30 * DAY, late) == (
        "Started 3 days ago · last seen Oct 26, 2026"
    )
    assert words.settings.device_times(NOV_25 - DAY, NOV_25, NOV_25) == "Remembered yesterday · last used today"
    assert words.settings.passkey_times(NOV_25, None, NOV_25, False) == "added today · never used"
    assert words.settings.passkey_times(NOV_25 - 3 * DAY, NOV_25, NOV_25, True) == (
        "added 3 days ago · last used today · signs in without a password"
    )


def test_a_change_says_what_changed_and_what_was_signed_out() -> None:
    assert (
        words.settings.change_done(Operation.CHANGE_NUMBER, "3100", devices=2)
        == "Codes now go to •••• 3100; remembered devices were signed out."
    )
    assert words.settings.change_done(Operation.CHANGE_NUMBER, "3100", devices=1, sessions=1) == (
        "Codes now go to •••• 3100; remembered devices and your other sessions were signed out."
    )
    assert (
        words.settings.change_done(Operation.REMOVE_TOTP, "3100") == "Authenticator app removed. Codes go to •••• 3100."
    )
    assert words.settings.change_done(Operation.CHANGE_PASSWORD, "3100") == ""  # it has a notice of its own


def test_the_recovery_file_names_the_app_the_account_and_the_date() -> None:
    text = words.settings.recovery_file("sms2fa", "ada@example.com", "Nov 25, 2026", ["aaaaa-bbbbb", "ccccc-ddddd"])
    assert text.splitlines()[:3] == ["sms2fa recovery codes", "Account: ada@example.com", "Created: Nov 25, 2026"]
    assert text.endswith("\naaaaa-bbbbb\nccccc-ddddd\n")


def test_the_banner_and_the_dashboard_methods() -> None:
    assert words.settings.recovery_used(9) == "You used a recovery code. 9 left."
    assert words.settings.recovery_used(0) == "You used your last recovery code. Make new ones now."
    assert words.settings.methods_on("3100", True, 2, 1) == (
        "Text message to •••• 3100 · Authenticator app · 2 passkeys · 1 recovery code left"
    )
    assert words.settings.forget_label("Chrome on Linux") == "Forget Chrome on Linux"
