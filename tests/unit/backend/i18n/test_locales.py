"""Choosing the language, first match wins: the stored choice, Accept-Language, (texts and calls) the phone's
country, English; each step alone, then in order."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.i18n import locales
from sms2fa_app.backend.i18n.locales import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    for_recipient,
    from_accept_language,
    from_phone_region,
    from_stored_choice,
    negotiate,
)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("pt-BR", "pt_BR"), ("pt_br", "pt_BR"), ("pt", "pt_BR"), ("pt-PT", "pt_BR"), ("es-MX", "es"), ("AR", "ar")],
)
def test_a_tag_names_the_shipped_locale_of_its_language(tag: str, expected: str) -> None:
    assert locales.supported(tag) == expected


@pytest.mark.parametrize("tag", ["fr", "", "x" * 100, "de;q=1", "../../etc/passwd", None, 42])
def test_anything_else_names_none(tag: object) -> None:
    assert locales.supported(tag) is None


def test_a_stored_choice_counts_only_while_it_ships() -> None:
    assert from_stored_choice("hi") == "hi"
    assert from_stored_choice("fr") is None and from_stored_choice(None) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("fr-CH, fr;q=0.9, es;q=0.8, *;q=0.5", "es"),  # French does not ship: the next preference
        ("en;q=0.1, ar", "ar"),  # quality, not order, ranks
        ("hi;q=0, es;q=0.2", "es"),  # q=0 means "not this"
        ("*", None),
        ("fr, it", None),
        ("es;q=abc, de", "de"),  # a malformed quality makes its tag unwanted
        ("", None),
        (None, None),
    ],
)
def test_accept_language_gives_the_best_shipped_preference(header: str | None, expected: str | None) -> None:
    assert from_accept_language(header) == expected


def test_a_huge_accept_language_is_cut_not_parsed_whole() -> None:
    assert from_accept_language("fr," * 10_000 + "es") is None


@pytest.mark.parametrize(
    ("region", "expected"),
    [("IN", "hi"), ("BR", "pt_BR"), ("EG", "ar"), ("MX", "es"), ("AT", "de"), ("US", "en"), ("IL", None), ("FR", None)],
)
def test_a_phone_country_gives_its_first_official_language_when_it_ships(region: str, expected: str | None) -> None:
    assert from_phone_region(region) == expected


@pytest.mark.parametrize("region", [None, "", "ZZZ", "1"])
def test_no_country_gives_no_language(region: str | None) -> None:
    assert from_phone_region(region) is None


def test_the_first_step_that_finds_a_locale_wins_then_english() -> None:
    assert negotiate(stored="de", accept_language="es", phone_region="IN") == "de"
    assert negotiate(stored=None, accept_language="es", phone_region="IN") == "es"
    assert negotiate(stored="fr", accept_language="it", phone_region="IN") == "hi"
    assert negotiate(stored="fr", accept_language="it", phone_region="FR") == DEFAULT_LOCALE
    assert negotiate() == DEFAULT_LOCALE


def test_a_recipient_gets_their_choice_else_their_phones_country_never_a_browsers() -> None:
    assert for_recipient("ar", "IN") == "ar"
    assert for_recipient(None, "IN") == "hi"
    assert for_recipient(None) == DEFAULT_LOCALE


def test_tags_direction_and_names_for_the_pages() -> None:
    assert [locales.language_tag(locale) for locale in SUPPORTED_LOCALES] == ["en", "es", "pt-BR", "de", "ar", "hi"]
    assert [locale for locale in SUPPORTED_LOCALES if locales.is_right_to_left(locale)] == ["ar"]
    assert locales.display_name("pt_BR") == "Português (Brasil)" and locales.display_name("de") == "Deutsch"
