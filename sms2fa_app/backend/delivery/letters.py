"""The words of every mail (and of the texts that carry no code): short plain text plus the same in simple HTML.

A letter is rendered when it is sent, from its kind and a few fields (`at`, `browser`, `network`,
`detail`, `link`, ...). No letter holds a code, a token hash or a whole phone number; the verification
and reset letters hold the one link each exists to deliver. The operator's alerts are mailed as letters
too (to OPERATOR_EMAIL), in the words infra/alerts.py gives them.
"""

from __future__ import annotations

import enum
import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sms2fa_app.backend.delivery.email import Mail
from sms2fa_app.backend.delivery.sms import duration_words


class Letter(enum.StrEnum):
    """What a mail is about."""

    VERIFY_EMAIL = "verify_email"
    SIGNUP_ATTEMPT = "signup_attempt"
    RESET_LINK = "reset_link"
    # Security notices
    TWO_FACTOR_ON = "two_factor_on"
    TWO_FACTOR_OFF = "two_factor_off"
    PHONE_CHANGED = "phone_changed"
    TOTP_ADDED = "totp_added"
    TOTP_REMOVED = "totp_removed"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REMOVED = "passkey_removed"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
    RECOVERY_CODE_USED = "recovery_code_used"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    DEVICE_REMEMBERED = "device_remembered"
    LOCKOUT_STARTED = "lockout_started"
    ACCOUNT_DELETED = "account_deleted"
    # An admin's actions
    ADMIN_SESSIONS_ENDED = "admin_sessions_ended"
    ADMIN_LOCKOUT_CLEARED = "admin_lockout_cleared"
    TWO_FACTOR_RESET_SCHEDULED = "two_factor_reset_scheduled"  # with the link that cancels it
    TWO_FACTOR_RESET_CANCELLED = "two_factor_reset_cancelled"
    TWO_FACTOR_RESET = "two_factor_reset"
    # Texts with no code
    NUMBER_TAKEN = "number_taken"  # to a number another account tried to add (instead of a setup code)
    # To the operator
    OPERATOR_ALERT = "operator_alert"


@dataclass(frozen=True)
class Site:
    """What every letter names: the app and where its pages are."""

    app_name: str
    base_url: str

    def reset_link(self, email: str) -> str:
        """ "Wasn't you?": the page that starts a password reset, the address filled in."""
        return f"{self.base_url}/forgot-password?{urlencode({'email': email})}"


def when(timestamp: float) -> str:
    """ "2026-11-25 18:13 UTC"."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


_NOTICE_SUBJECTS: dict[Letter, str] = {
    Letter.TWO_FACTOR_ON: "Two-factor authentication was turned on",
    Letter.TWO_FACTOR_OFF: "Two-factor authentication was turned off",
    Letter.PHONE_CHANGED: "Your phone number for sign-in codes was changed",
    Letter.TOTP_ADDED: "An authenticator app was added",
    Letter.TOTP_REMOVED: "Your authenticator app was removed",
    Letter.PASSKEY_ADDED: "A passkey was added",
    Letter.PASSKEY_REMOVED: "A passkey was removed",
    Letter.RECOVERY_CODES_REGENERATED: "New recovery codes were made",
    Letter.RECOVERY_CODE_USED: "A recovery code was used",
    Letter.PASSWORD_CHANGED: "Your password was changed",
    Letter.PASSWORD_RESET: "Your password was reset",
    Letter.DEVICE_REMEMBERED: "A browser was remembered",
    Letter.LOCKOUT_STARTED: "Sign-in codes are locked after too many wrong tries",
    Letter.ACCOUNT_DELETED: "Your account was deleted",
    Letter.ADMIN_SESSIONS_ENDED: "An administrator signed you out",
    Letter.ADMIN_LOCKOUT_CLEARED: "An administrator unlocked your sign-in codes",
    Letter.TWO_FACTOR_RESET_CANCELLED: "The reset of your two-factor authentication was cancelled",
    Letter.TWO_FACTOR_RESET: "Your two-factor authentication was reset",
}
_ADMIN_SENTENCES: dict[Letter, str] = {
    Letter.ADMIN_SESSIONS_ENDED: "An administrator signed your {app} account out of every browser.",
    Letter.ADMIN_LOCKOUT_CLEARED: "An administrator cleared the lock on your {app} sign-in codes.",
    Letter.TWO_FACTOR_RESET_CANCELLED: "The reset of two-factor authentication on your {app} account was cancelled: "
    "nothing changed.",
    Letter.TWO_FACTOR_RESET: "As an administrator arranged, two-factor authentication on your {app} account was reset: "
    "every second factor was removed and every session signed out. Only your password protects it now; set up "
    "two-factor authentication again in settings.",
}


def _notice_sentence(letter: Letter, app: str, fields: Mapping[str, Any]) -> str:
    detail = str(fields.get("detail", ""))
    if letter in _ADMIN_SENTENCES:
        return _ADMIN_SENTENCES[letter].format(app=app)
    if letter is Letter.TWO_FACTOR_ON:
        return f"Two-factor authentication was turned on for your {app} account."
    if letter is Letter.TWO_FACTOR_OFF:
        return f"Two-factor authentication was turned off for your {app} account. Only your password protects it now."
    if letter is Letter.PHONE_CHANGED:
        return (
            f"The phone number for your {app} sign-in codes was changed. Codes now go to the number ending in {detail}."
        )
    if letter is Letter.TOTP_ADDED:
        return f"An authenticator app was added to your {app} account."
    if letter is Letter.TOTP_REMOVED:
        return f"The authenticator app was removed from your {app} account."
    if letter is Letter.PASSKEY_ADDED:
        return f"A passkey was added to your {app} account. It can be used to sign in."
    if letter is Letter.PASSKEY_REMOVED:
        return f"A passkey was removed from your {app} account. It no longer signs in."
    if letter is Letter.RECOVERY_CODES_REGENERATED:
        return f"New recovery codes were made for your {app} account. The old ones no longer work."
    if letter is Letter.RECOVERY_CODE_USED:
        left = "You have no recovery codes left: make new ones in settings." if detail == "0" else f"{detail} left."
        return f"A recovery code of your {app} account was used. {left}"
    if letter is Letter.PASSWORD_CHANGED:
        return f"The password of your {app} account was changed. Your other sessions were signed out."
    if letter is Letter.PASSWORD_RESET:
        return f"The password of your {app} account was reset. Every session was signed out."
    if letter is Letter.DEVICE_REMEMBERED:
        return (
            f"A browser was remembered on your {app} account: it can sign in without a second factor for {detail} days."
        )
    if letter is Letter.LOCKOUT_STARTED:
        wait = duration_words(int(detail or 0))
        return f"Too many wrong codes were entered for your {app} account. Sign-in codes are locked for {wait}."
    return (
        f"Your {app} account was deleted, with its phone number, authenticator app, passkeys, recovery codes "
        "and sessions."
    )


def render_mail(letter: Letter, to: str, fields: Mapping[str, Any], site: Site) -> Mail:
    """The mail `letter` for address `to`."""
    app = site.app_name
    if letter is Letter.OPERATOR_ALERT:  # worded where it is raised (infra/alerts.py): subject and text as given
        return _mail(to, str(fields["subject"]), [(str(fields["text"]),)])
    ttl = duration_words(int(fields.get("ttl", 0)))
    if letter is Letter.VERIFY_EMAIL:
        paragraphs = [
            (f"Confirm your email address to finish signing up for {app}:", fields["link"]),
            (f"The link works once, for {ttl}. If you didn't sign up, ignore this mail.",),
        ]
        return _mail(to, f"Confirm your email address for {app}", paragraphs)
    if letter is Letter.SIGNUP_ATTEMPT:
        paragraphs = [
            (f"Someone tried to make a new {app} account with this address. You already have one: nothing changed.",),
            _context(fields),
            ("Was it you? Log in here:", f"{site.base_url}/login"),
            ("Forgot your password? Reset it here:", site.reset_link(to)),
        ]
        return _mail(to, f"Someone tried to sign up for {app} with your address", paragraphs)
    if letter is Letter.RESET_LINK:
        paragraphs = [
            (f"Someone asked to reset the password of your {app} account. Choose a new password here:", fields["link"]),
            _context(fields),
            (f"The link works once, for {ttl}. If you didn't ask, ignore this mail: your password stays the same.",),
        ]
        return _mail(to, f"Reset your {app} password", paragraphs)
    if letter is Letter.TWO_FACTOR_RESET_SCHEDULED:
        paragraphs = [
            (
                f"An administrator will reset two-factor authentication on your {app} account on "
                f"{when(float(fields['due_at']))}, after checking your identity ({fields['check']}). The reset "
                "removes every second factor and signs you out everywhere.",
            ),
            ("Didn't ask for this? Cancel the reset here before then (the link works once):", fields["link"]),
            _context(fields),
        ]
        return _mail(to, f"{app}: Your two-factor authentication will be reset", paragraphs)
    paragraphs = [(_notice_sentence(letter, app, fields),), _context(fields)]
    if letter is not Letter.ACCOUNT_DELETED:
        paragraphs.append(
            ("Wasn't you? Reset your password now; resetting it signs you out everywhere:", site.reset_link(to))
        )
    return _mail(to, f"{app}: {_NOTICE_SUBJECTS[letter]}", paragraphs)


def render_text(letter: Letter, to_email: str, fields: Mapping[str, Any], site: Site) -> str:
    """A text with no code: to the old number after a change of number, to the number on file when an admin
    schedules a reset of 2FA (with the link that cancels it), or to a number another account tried to add
    (`to_email` unused: the owner is not named)."""
    if letter is Letter.NUMBER_TAKEN:
        return number_taken_text(site.app_name)
    if letter is Letter.TWO_FACTOR_RESET_SCHEDULED:
        return (
            f"{site.app_name}: an administrator will reset two-factor authentication on your account on "
            f"{when(float(fields['due_at']))}. Didn't ask for it? Cancel it: {fields['link']}"
        )
    if letter is not Letter.PHONE_CHANGED:
        raise ValueError(f"no text for {letter}")
    return (
        f"{site.app_name}: the number for your sign-in codes was changed on {when(float(fields['at']))}. "
        f"Wasn't you? Reset your password: {site.reset_link(to_email)}"
    )


def number_taken_text(app_name: str) -> str:
    """What a number already in use by another account gets instead of a setup code (a notice, no code).

    Sent by the code's own send (sms_codes.py), not queued: the request must cost and answer the same as a
    send of a code, delivery report included."""
    return (
        f"Someone tried to add this number to another {app_name} account. "
        "Nothing changed on your account; you can ignore this message."
    )


def _context(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """When, from which browser and network."""
    network = fields.get("network") or "unknown"
    return (
        f"When: {when(float(fields['at']))}",
        f"Browser: {fields.get('browser') or 'Unknown browser'}",
        f"Network: {network}",
    )


def _mail(to: str, subject: str, paragraphs: list[tuple[str, ...]]) -> Mail:
    """Plain text (paragraphs of lines) and the same as simple HTML (a link becomes an anchor)."""
    text = "\n\n".join("\n".join(lines) for lines in paragraphs) + "\n"
    blocks = []
    for lines in paragraphs:
        rendered = [_html_line(line) for line in lines]
        blocks.append(f"<p>{'<br>'.join(rendered)}</p>")
    body = "\n".join(blocks)
    return Mail(to=to, subject=subject, text=text, html=f"<!doctype html><html><body>{body}</body></html>")


def _html_line(line: str) -> str:
    escaped = html.escape(line)
    if line.startswith(("http://", "https://")):
        return f'<a href="{escaped}">{escaped}</a>'
    return escaped
