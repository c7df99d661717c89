"""The segment budget (issue 26): every text that carries a code, and the notice a taken number gets instead, fits
ONE segment in every locale, GSM-7 or UCS-2, for the longest app name, host and lifetime the settings allow."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.backend.delivery.code_text import CODE_TEXT, CODE_TEXT_SHORT, message_text
from sms2fa_app.backend.delivery.letters import number_taken_text
from sms2fa_app.backend.delivery.segments import Encoding, count_segments
from sms2fa_app.backend.factors.results import CODE_LENGTH
from sms2fa_app.backend.i18n.formats import duration
from sms2fa_app.backend.i18n.locales import SUPPORTED_LOCALES, language_tag
from sms2fa_app.config_fields import MAX_APP_NAME_LENGTH, MAX_OTP_TTL_SECONDS, MAX_SITE_HOST_LENGTH

LONGEST_APP = "W" * MAX_APP_NAME_LENGTH
LONGEST_HOST = ("a" * (MAX_SITE_HOST_LENGTH - 4)) + ".com"
CODE = "9" * CODE_LENGTH
# The encodings the product promises: the Latin-script locales stay GSM-7 (160 per segment), the others are UCS-2.
ENCODINGS = {"en": Encoding.GSM7, "es": Encoding.GSM7, "pt_BR": Encoding.GSM7, "de": Encoding.GSM7}


def longest_lifetime(locale: str) -> int:
    """The OTP_TTL_SECONDS whose words are longest in this locale (every allowed value is tried)."""
    return max(range(1, MAX_OTP_TTL_SECONDS + 1), key=lambda seconds: count_segments(duration(seconds, locale)).units)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_code_text_fits_one_segment_at_its_longest(locale: str) -> None:
    text = message_text(LONGEST_APP, CODE, longest_lifetime(locale), LONGEST_HOST, locale)
    counted = count_segments(text)
    assert counted.segments == 1, (locale, counted, text)
    assert counted.encoding is ENCODINGS.get(locale, Encoding.UCS2)
    assert text.endswith(f"\n\n@{LONGEST_HOST} #{CODE}") and text.count(CODE) == 2


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_notice_to_a_taken_number_fits_one_segment_like_a_code(locale: str) -> None:
    counted = count_segments(number_taken_text(LONGEST_APP, locale))
    assert counted.segments == 1 and counted.encoding is ENCODINGS.get(locale, Encoding.UCS2), (locale, counted)


@pytest.mark.parametrize("locale", ["ar", "hi"])
def test_a_ucs2_locale_whose_full_sentence_is_too_long_says_its_short_form(locale: str) -> None:
    text = message_text(LONGEST_APP, CODE, 300, LONGEST_HOST, locale)
    assert text.startswith(CODE_TEXT_SHORT(locale, app=LONGEST_APP, code=CODE))
    full = CODE_TEXT(locale, app=LONGEST_APP, code=CODE, ttl=duration(300, locale))
    assert count_segments(f"{full}\n\n@{LONGEST_HOST} #{CODE}").segments == 2  # why the short form exists


def test_a_short_host_keeps_the_full_sentence_where_it_fits() -> None:
    assert message_text("sms2fa", "123456", 300, "", "ar").startswith(
        CODE_TEXT("ar", app="sms2fa", code="123456", ttl=duration(300, "ar"))
    )
    assert message_text("sms2fa", "123456", 300, "localhost") == (
        "Your sms2fa code is 123456. It expires in 5 minutes. Don't share it.\n\n@localhost #123456"
    )


def test_the_table_in_docs_says_what_the_code_counts() -> None:
    docs = (Path(__file__).resolve().parents[4] / "docs" / "languages.md").read_text()
    for locale in SUPPORTED_LOCALES:
        text = message_text(LONGEST_APP, CODE, longest_lifetime(locale), LONGEST_HOST, locale)
        code, taken = count_segments(text), count_segments(number_taken_text(LONGEST_APP, locale))
        form = "short" if text.startswith(CODE_TEXT_SHORT(locale, app=LONGEST_APP, code=CODE)) else "full"
        single = 160 if code.encoding is Encoding.GSM7 else 70
        row = (
            f"| {language_tag(locale)} | {form} | {code.encoding.value} | {code.units} / {single} | {code.segments} "
            f"| {taken.encoding.value} | {taken.units} | {taken.segments} |"
        )
        assert row in docs, f"docs/languages.md: update the row for {locale} to\n{row}"
