"""Every mail (and the texts that carry no code): short plain text plus the same in simple HTML, in the
recipient's language (the words are in letter_words.py and the catalogs).

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
from typing import Any
from urllib.parse import urlencode

from sms2fa_app.backend.delivery import letter_words as words
from sms2fa_app.backend.delivery.email import Mail
from sms2fa_app.backend.delivery.letter_words import NOTICES
from sms2fa_app.backend.i18n import formats
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE, is_right_to_left, language_tag
from sms2fa_app.backend.infra.client import DeviceLabel
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


def when(timestamp: float, locale: str = DEFAULT_LOCALE) -> str:
    """ "2026-11-25 18:13 UTC" (in English; each locale writes dates its own way)."""
    return formats.when(timestamp, locale)


def is_notice(kind: EventKind) -> bool:
    """Whether the user is mailed when this event is recorded."""
    return kind in NOTICES


def _notice_mail(kind: EventKind, to: str, fields: Mapping[str, Any], site: Site, locale: str) -> Mail:
    notice = NOTICES[kind]
    detail = str(fields.get("detail", ""))
    phrase = notice.none_left if notice.none_left is not None and detail == "0" else notice.sentence
    wait = formats.duration(int(detail or 0), locale) if "{wait}" in phrase.source else ""
    paragraphs = [(phrase(locale, app=site.app_name, detail=detail, wait=wait),), _context(fields, locale)]
    if notice.offers_reset:
        paragraphs.append((words.WASNT_YOU(locale), site.reset_link(to)))
    return _mail(to, words.SUBJECT(locale, app=site.app_name, subject=notice.subject(locale)), paragraphs, locale)


def render_mail(letter: About, to: str, fields: Mapping[str, Any], site: Site, locale: str = DEFAULT_LOCALE) -> Mail:
    """The mail `letter` for address `to`, in the recipient's `locale`."""
    app = site.app_name
    if letter is Letter.OPERATOR_ALERT:  # worded where it is raised (infra/alerts.py): subject and text as given
        return _mail(to, str(fields["subject"]), [(str(fields["text"]),)])
    ttl = formats.duration(int(fields.get("ttl", 0)), locale)
    if letter is Letter.VERIFY_EMAIL:
        paragraphs = [(words.VERIFY_LINK(locale, app=app), fields["link"]), (words.VERIFY_ONCE(locale, ttl=ttl),)]
        return _mail(to, words.VERIFY_SUBJECT(locale, app=app), paragraphs, locale)
    if letter is Letter.SIGNUP_ATTEMPT:
        paragraphs = [
            (words.SIGNUP_BODY(locale, app=app),),
            _context(fields, locale),
            (words.SIGNUP_LOG_IN(locale), f"{site.base_url}/login"),
            (words.SIGNUP_FORGOT(locale), site.reset_link(to)),
        ]
        return _mail(to, words.SIGNUP_SUBJECT(locale, app=app), paragraphs, locale)
    if letter is Letter.RESET_LINK:
        paragraphs = [
            (words.RESET_LINK(locale, app=app), fields["link"]),
            _context(fields, locale),
            (words.RESET_ONCE(locale, ttl=ttl),),
        ]
        return _mail(to, words.RESET_SUBJECT(locale, app=app), paragraphs, locale)
    if letter is EventKind.TWO_FACTOR_RESET_SCHEDULED:
        due = when(float(fields["due_at"]), locale)
        check = words.IDENTITY_CHECKS.get(str(fields["check"]))
        checked = check(locale) if check is not None else str(fields["check"])  # a job queued with the words
        paragraphs = [
            (words.SCHEDULED_BODY(locale, app=app, when=due, check=checked),),
            (words.SCHEDULED_CANCEL(locale), fields["link"]),
            _context(fields, locale),
        ]
        return _mail(to, words.SUBJECT(locale, app=app, subject=words.SCHEDULED_SUBJECT(locale)), paragraphs, locale)
    if isinstance(letter, EventKind) and is_notice(letter):
        return _notice_mail(letter, to, fields, site, locale)
    raise ValueError(f"no mail for {letter}")


def render_text(
    letter: About, to_email: str, fields: Mapping[str, Any], site: Site, locale: str = DEFAULT_LOCALE
) -> str:
    """A text with no code, in the recipient's `locale`: to the old number after a change of number, to the number
    on file when an admin schedules a reset of 2FA (with the link that cancels it), or to a number another
    account tried to add (`to_email` unused: the owner is not named)."""
    if letter is Letter.NUMBER_TAKEN:
        return number_taken_text(site.app_name, locale)
    if letter is EventKind.TWO_FACTOR_RESET_SCHEDULED:
        due = when(float(fields["due_at"]), locale)
        return words.TEXT_RESET_SCHEDULED(locale, app=site.app_name, when=due, link=fields["link"])
    if letter is not EventKind.PHONE_CHANGED:
        raise ValueError(f"no text for {letter}")
    at = when(float(fields["at"]), locale)
    return words.TEXT_PHONE_CHANGED(locale, app=site.app_name, when=at, link=site.reset_link(to_email))


def number_taken_text(app_name: str, locale: str = DEFAULT_LOCALE) -> str:
    """What a number already in use by another account gets instead of a setup code (a notice, no code).

    Sent by the code's own send (sms_codes.py), not queued: the request must cost and answer the same as a
    send of a code, delivery report included (so it fits one segment in every locale, like the code text)."""
    return words.TEXT_NUMBER_TAKEN(locale, app=app_name)


def _context(fields: Mapping[str, Any], locale: str) -> tuple[str, ...]:
    """When, from which browser and network."""
    return (
        words.WHEN(locale, when=when(float(fields["at"]), locale)),
        words.BROWSER(locale, browser=device_words(DeviceLabel.parse(fields.get("browser") or ""), locale)),
        words.NETWORK(locale, network=fields.get("network") or words.UNKNOWN_NETWORK(locale)),
    )


def device_words(label: DeviceLabel, locale: str) -> str:
    """ "Chrome on Linux", "A browser on Windows" or "Unknown browser" in `locale`; a name alone as it is; "An
    administrator" for an admin's action."""
    if label.administrator:
        return words.ADMINISTRATOR(locale)
    if label.browser and label.system:
        return words.BROWSER_ON_SYSTEM(locale, browser=label.browser, system=label.system)
    if label.system:
        return words.A_BROWSER_ON_SYSTEM(locale, system=label.system)
    return label.browser or words.UNKNOWN_BROWSER(locale)


def _mail(to: str, subject: str, paragraphs: list[tuple[str, ...]], locale: str = DEFAULT_LOCALE) -> Mail:
    """Plain text (paragraphs of lines) and the same as simple HTML (a link becomes an anchor), the HTML marked
    with its language and direction (Arabic reads right to left)."""
    text = "\n\n".join("\n".join(lines) for lines in paragraphs) + "\n"
    blocks = []
    for lines in paragraphs:
        rendered = [_html_line(line) for line in lines]
        blocks.append(f"<p>{'<br>'.join(rendered)}</p>")
    body = "\n".join(blocks)
    direction = "rtl" if is_right_to_left(locale) else "ltr"
    page = f'<!doctype html><html lang="{language_tag(locale)}" dir="{direction}"><body>{body}</body></html>'
    return Mail(to=to, subject=subject, text=text, html=page)


def _html_line(line: str) -> str:
    escaped = html.escape(line)
    if line.startswith(("http://", "https://")):
        return f'<a href="{escaped}">{escaped}</a>'
    return escaped
