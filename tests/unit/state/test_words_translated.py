"""The words catalogue in other languages: a Text renders from its locale's catalog by id and still knows its id
(data-message-id stays the same in every language); a Plural takes the locale's form for the count."""

from __future__ import annotations

from sms2fa_app.state import words


def test_a_text_renders_in_a_locale_and_keeps_its_id() -> None:
    text = words.login.INVALID_CREDENTIALS
    spanish = text.translated("es")
    assert spanish == "Correo o contraseña incorrectos." and words.message_id(spanish) == text.id
    assert text.translated("en") == text and text.translated("fr") == text  # English, and for what does not ship


def test_a_text_with_parameters_fills_them_after_translation() -> None:
    sent = words.challenge.CODE_SENT.translated("hi", ending="1212")
    assert sent == "हमने 1212 पर खत्म होने वाले नंबर पर नया कोड भेजा है।" and words.message_id(sent) == "challenge.code_sent"


def test_a_plural_takes_the_locales_form() -> None:
    minutes = words.common._MINUTES
    assert [minutes(count, "ar") for count in (1, 2, 3, 11, 100)] == [
        "دقيقة واحدة",
        "دقيقتان",
        "3 دقائق",
        "11 دقيقةً",
        "100 دقيقة",
    ]
    assert minutes(1, "de") == "1 Minute" and minutes(5) == "5 minutes"
    assert words.message_id(minutes(5, "pt_BR")) == "common.minutes"
