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
from sms2fa_app.backend.vocabulary import EventKind


class Letter(enum.StrEnum):
    """A mail (or text) that is no account event's notice; a notice is named by its `EventKind` (see `NOTICES`)."""

    VERIFY_EMAIL = "verify_email"
    SIGNUP_ATTEMPT = "signup_attempt"
    RESET_LINK = "reset_link"
    NUMBER_TAKEN = "number_taken"  # to a number another account tried to add (instead of a setup code)
    OPERATOR_ALERT = "operator_alert"


About = Letter | EventKind  # what a queued mail or text is about (its value is stored in the job)


def about(value: str) -> About:
    """A queued job's letter, by its stored value."""
    return Letter(value) if value in Letter._value2member_map_ else EventKind(value)


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


@dataclass(frozen=True)
class Notice:
    """A notice's words: {app}, {detail} (the event's detail) and {wait} (a lock's duration) are filled in."""

    subject: str
    sentence: str
    none_left: str = ""  # said instead when the detail is "0" (no recovery code left)
    offers_reset: bool = True  # "Wasn't you? Reset your password" (not once the account is gone)


# The events the user is told about by mail, and the words that tell them (TWO_FACTOR_RESET_SCHEDULED has a
# letter of its own, with the link that cancels it: admin/resets.py).
NOTICES: dict[EventKind, Notice] = {
    EventKind.TWO_FACTOR_ON: Notice(
        "Two-factor authentication was turned on", "Two-factor authentication was turned on for your {app} account."
    ),
    EventKind.TWO_FACTOR_OFF: Notice(
        "Two-factor authentication was turned off",
        "Two-factor authentication was turned off for your {app} account. Only your password protects it now.",
    ),
    EventKind.PHONE_CHANGED: Notice(
        "Your phone number for sign-in codes was changed",
        "The phone number for your {app} sign-in codes was changed. Codes now go to the number ending in {detail}.",
    ),
    EventKind.TOTP_ADDED: Notice(
        "An authenticator app was added", "An authenticator app was added to your {app} account."
    ),
    EventKind.TOTP_REMOVED: Notice(
        "Your authenticator app was removed", "The authenticator app was removed from your {app} account."
    ),
    EventKind.PASSKEY_ADDED: Notice(
        "A passkey was added", "A passkey was added to your {app} account. It can be used to sign in."
    ),
    EventKind.PASSKEY_REMOVED: Notice(
        "A passkey was removed", "A passkey was removed from your {app} account. It no longer signs in."
    ),
    EventKind.RECOVERY_CODES_REGENERATED: Notice(
        "New recovery codes were made",
        "New recovery codes were made for your {app} account. The old ones no longer work.",
    ),
    EventKind.RECOVERY_CODE_USED: Notice(
        "A recovery code was used",
        "A recovery code of your {app} account was used. {detail} left.",
        none_left="A recovery code of your {app} account was used. You have no recovery codes left: make new ones "
        "in settings.",
    ),
    EventKind.PASSWORD_CHANGED: Notice(
        "Your password was changed",
        "The password of your {app} account was changed. Your other sessions were signed out.",
    ),
    EventKind.PASSWORD_RESET: Notice(
        "Your password was reset", "The password of your {app} account was reset. Every session was signed out."
    ),
    EventKind.DEVICE_REMEMBERED: Notice(
        "A browser was remembered",
        "A browser was remembered on your {app} account: it can sign in without a second factor for {detail} days.",
    ),
    EventKind.LOCKOUT_STARTED: Notice(
        "Sign-in codes are locked after too many wrong tries",
        "Too many wrong codes were entered for your {app} account. Sign-in codes are locked for {wait}.",
    ),
    EventKind.ACCOUNT_DELETED: Notice(
        "Your account was deleted",
        "Your {app} account was deleted, with its phone number, authenticator app, passkeys, recovery codes "
        "and sessions.",
        offers_reset=False,
    ),
    EventKind.ADMIN_SESSIONS_ENDED: Notice(
        "An administrator signed you out", "An administrator signed your {app} account out of every browser."
    ),
    EventKind.ADMIN_LOCKOUT_CLEARED: Notice(
        "An administrator unlocked your sign-in codes",
        "An administrator cleared the lock on your {app} sign-in codes.",
    ),
    EventKind.TWO_FACTOR_RESET_CANCELLED: Notice(
        "The reset of your two-factor authentication was cancelled",
        "The reset of two-factor authentication on your {app} account was cancelled: nothing changed.",
    ),
    EventKind.TWO_FACTOR_RESET: Notice(
        "Your two-factor authentication was reset",
        "As an administrator arranged, two-factor authentication on your {app} account was reset: every second "
        "factor was removed and every session signed out. Only your password protects it now; set up two-factor "
        "authentication again in settings.",
    ),
}


def is_notice(kind: EventKind) -> bool:
    """Whether the user is mailed when this event is recorded."""
    return kind in NOTICES


def _notice_mail(kind: EventKind, to: str, fields: Mapping[str, Any], site: Site) -> Mail:
    notice = NOTICES[kind]
    detail = str(fields.get("detail", ""))
    template = notice.none_left if notice.none_left and detail == "0" else notice.sentence
    wait = duration_words(int(detail or 0)) if "{wait}" in template else ""
    paragraphs = [(template.format(app=site.app_name, detail=detail, wait=wait),), _context(fields)]
    if notice.offers_reset:
        paragraphs.append(
            ("Wasn't you? Reset your password now; resetting it signs you out everywhere:", site.reset_link(to))
        )
    return _mail(to, f"{site.app_name}: {notice.subject}", paragraphs)


def render_mail(letter: About, to: str, fields: Mapping[str, Any], site: Site) -> Mail:
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
    if letter is EventKind.TWO_FACTOR_RESET_SCHEDULED:
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
    if isinstance(letter, EventKind) and is_notice(letter):
        return _notice_mail(letter, to, fields, site)
    raise ValueError(f"no mail for {letter}")


def render_text(letter: About, to_email: str, fields: Mapping[str, Any], site: Site) -> str:
    """A text with no code: to the old number after a change of number, to the number on file when an admin
    schedules a reset of 2FA (with the link that cancels it), or to a number another account tried to add
    (`to_email` unused: the owner is not named)."""
    if letter is Letter.NUMBER_TAKEN:
        return number_taken_text(site.app_name)
    if letter is EventKind.TWO_FACTOR_RESET_SCHEDULED:
        return (
            f"{site.app_name}: an administrator will reset two-factor authentication on your account on "
            f"{when(float(fields['due_at']))}. Didn't ask for it? Cancel it: {fields['link']}"
        )
    if letter is not EventKind.PHONE_CHANGED:
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
