"""Every letter: short plain text plus the same in simple HTML, the context of the event, the one link it
exists for, and never a code, a token hash or a whole phone number."""

from __future__ import annotations

import re

import pytest

from sms2fa_app.backend.delivery.email import build_message, mask_email
from sms2fa_app.backend.delivery.letters import (
    NOTICES,
    Letter,
    Site,
    about,
    is_notice,
    number_taken_text,
    render_mail,
    render_text,
    when,
)
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.vocabulary import EventKind

SITE = Site("sms2fa", "https://sms2fa.example.com")
AT = 1_800_000_000.0
CONTEXT = {"at": AT, "browser": "Chrome on Linux", "network": "203.0.113.0/24"}


@pytest.mark.parametrize("letter", list(NOTICES))
def test_every_notice_says_what_when_where_and_offers_a_reset(letter: EventKind) -> None:
    mail = render_mail(letter, "ada@example.com", {**CONTEXT, "detail": "7"}, SITE)
    assert mail.subject.startswith("sms2fa: ") and mail.to == "ada@example.com"
    for line in ("When: 2027-01-15 08:00 UTC", "Browser: Chrome on Linux", "Network: 203.0.113.0/24"):
        assert line in mail.text
    reset = "https://sms2fa.example.com/forgot-password?email=ada%40example.com"
    if letter is EventKind.ACCOUNT_DELETED:
        assert reset not in mail.text  # nothing is left to protect
    else:
        assert "Wasn't you?" in mail.text and reset in mail.text and f'href="{reset}"' in mail.html
    assert mail.html.startswith("<!doctype html>") and "When: 2027-01-15 08:00 UTC" in mail.html


def test_the_link_letters_hold_their_one_link() -> None:
    link = "https://sms2fa.example.com/verify-email?token=abc"
    mail = render_mail(Letter.VERIFY_EMAIL, "ada@example.com", {"link": link, "ttl": 86_400}, SITE)
    assert mail.text.count("https://") == 1 and link in mail.text and "24 hours" in mail.text
    reset = render_mail(Letter.RESET_LINK, "ada@example.com", {**CONTEXT, "link": link, "ttl": 1800}, SITE)
    assert link in reset.text and "30 minutes" in reset.text


def test_html_is_escaped() -> None:
    mail = render_mail(EventKind.TOTP_ADDED, "ada@example.com", {**CONTEXT, "browser": "<script>x</script>"}, SITE)
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html


def test_the_text_to_the_old_number_names_no_number() -> None:
    text = render_text(EventKind.PHONE_CHANGED, "ada@example.com", {**CONTEXT, "detail": "2671"}, SITE)
    assert text.startswith("sms2fa: the number for your sign-in codes was changed on " + when(AT))
    assert "2671" not in text and "forgot-password?email=ada%40example.com" in text


def test_a_taken_number_gets_a_text_without_code_or_owner() -> None:
    text = render_text(Letter.NUMBER_TAKEN, "", {}, SITE)
    assert text == number_taken_text("sms2fa") and "another sms2fa account" in text
    assert re.search(r"\d{3,}", text) is None and "@" not in text and "#" not in text


def test_the_operator_alert_is_mailed_in_the_words_it_was_raised_with() -> None:
    fields = {
        "subject": "[sms2fa] Texts to LV blocked for 30 minutes",
        "text": "Raise SMS_COUNTRY_CAPS_PER_HOUR <now>.",
    }
    mail = render_mail(Letter.OPERATOR_ALERT, "ops@example.com", fields, SITE)
    assert (mail.to, mail.subject) == ("ops@example.com", fields["subject"])
    assert mail.text == "Raise SMS_COUNTRY_CAPS_PER_HOUR <now>.\n" and "&lt;now&gt;" in mail.html


def test_the_mime_message_has_both_parts_and_no_injection() -> None:
    mail = render_mail(EventKind.TWO_FACTOR_ON, "ada@example.com", CONTEXT, SITE)
    message = build_message(mail, "sms2fa@example.com", FakeClock())
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Auto-Submitted"] == "auto-generated" and message["Message-ID"].endswith("@example.com>")
    injected = render_mail(EventKind.TWO_FACTOR_ON, "ada@example.com\r\nBcc: eve@example.com", CONTEXT, SITE)
    with pytest.raises(ValueError):
        build_message(injected, "sms2fa@example.com", FakeClock())


def test_masked_addresses() -> None:
    assert mask_email("ada@example.com") == "a•••@example.com"
    assert mask_email("nonsense") == "•••"


def test_one_vocabulary_names_every_notice_and_every_queued_letter() -> None:
    """A notice is the event it tells of (no second enum to keep in step); a stored job's value finds it again."""
    assert set(NOTICES) <= set(EventKind) and not set(Letter.__members__) & set(EventKind.__members__)
    assert not is_notice(EventKind.SIGNED_IN) and not is_notice(EventKind.TWO_FACTOR_RESET_SCHEDULED)
    for value in [*Letter, *EventKind]:
        assert about(value.value) is value


def test_each_operation_records_its_event() -> None:
    assert {operation.event for operation in Operation} <= set(NOTICES)  # every change is mailed to its owner
    assert Operation("change_number").event is EventKind.PHONE_CHANGED
