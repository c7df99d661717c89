"""Mails, texts and calls in the recipient's language: the words come from the catalogs by id, dates and durations
in the locale's own forms, placeholders filled after translation; a call speaks a language only from its table."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from sms2fa_app.backend.delivery import letter_words
from sms2fa_app.backend.delivery.letters import Letter, render_mail, render_text, when
from sms2fa_app.backend.delivery.outbox import DevOutbox
from sms2fa_app.backend.delivery.voice import (
    SPEECH_VOICES,
    SpokenCode,
    SpokenCodes,
    answer_xml,
    refusal_xml,
    spoken_locale,
)
from sms2fa_app.backend.i18n.formats import duration, items, number
from sms2fa_app.backend.i18n.locales import SUPPORTED_LOCALES
from sms2fa_app.backend.vocabulary import EventKind
from tests.conftest import TEST_SECRET
from tests.unit.backend.delivery.test_letters import AT, CONTEXT, SITE


def test_a_mail_in_spanish_has_spanish_words_dates_and_durations() -> None:
    mail = render_mail(
        Letter.RESET_LINK, "ana@example.com", {**CONTEXT, "link": "https://x/r?t=1", "ttl": 1800}, SITE, "es"
    )
    assert mail.subject == "Restablece tu contraseña de sms2fa"
    assert "30 minutos" in mail.text and f"Cuándo: {when(AT, 'es')}" in mail.text
    assert when(AT, "es") == "15 ene 2027, 8:00 UTC" and "https://x/r?t=1" in mail.text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("letter", list(letter_words.NOTICES))
def test_every_notice_renders_in_every_locale(letter: EventKind, locale: str) -> None:
    mail = render_mail(letter, "ada@example.com", {**CONTEXT, "detail": "7"}, SITE, locale)
    assert mail.subject.startswith("sms2fa: ") and "{" not in mail.text and "sms2fa" in mail.text


def test_an_arabic_mail_reads_right_to_left() -> None:
    mail = render_mail(EventKind.TWO_FACTOR_ON, "ada@example.com", CONTEXT, SITE, "ar")
    assert mail.html.startswith('<!doctype html><html lang="ar" dir="rtl">')
    assert render_mail(EventKind.TWO_FACTOR_ON, "a@example.com", CONTEXT, SITE, "pt_BR").html.startswith(
        '<!doctype html><html lang="pt-BR" dir="ltr">'
    )


def test_english_stays_as_it_was() -> None:
    mail = render_mail(EventKind.LOCKOUT_STARTED, "ada@example.com", {**CONTEXT, "detail": "900"}, SITE)
    assert "Sign-in codes are locked for 15 minutes." in mail.text and "When: 2027-01-15 08:00 UTC" in mail.text


def test_a_text_without_a_code_is_in_the_recipients_language() -> None:
    text = render_text(EventKind.PHONE_CHANGED, "ada@example.com", {**CONTEXT, "detail": "2671"}, SITE, "de")
    assert text.startswith("sms2fa: Die Nummer für deine Anmeldecodes wurde am 15.01.2027, 08:00 UTC geändert.")


def test_durations_numbers_and_lists_follow_the_locale() -> None:
    assert [duration(300, locale) for locale in ("en", "es", "de", "hi")] == [
        "5 minutes",
        "5 minutos",
        "5 Minuten",
        "5 मिनट",
    ]
    assert duration(3600, "ar") == "ساعة" and duration(90, "pt_BR") == "90 segundos"
    assert number(1234.5, "de") == "1.234,5" and items(["a", "b", "c"], "es") == "a, b y c"


def test_the_call_speaks_the_users_language_from_the_table_else_english() -> None:
    root = ElementTree.fromstring(answer_xml("sms2fa", "042917", "hi"))
    speaks = root.findall("Speak")
    assert {(speak.get("language"), speak.get("voice")) for speak in speaks} == {("hi-IN", "Polly.Aditi")}
    assert speaks[0].text == "आपका sms2fa कोड है" and [s.text for s in speaks[1:7]] == list("042917")
    assert set(SPEECH_VOICES) == set(SUPPORTED_LOCALES)
    assert (
        spoken_locale("fr") == "en"
        and ElementTree.fromstring(answer_xml("x", "1", "fr")).find("Speak").get("language") == "en-US"
    )
    assert ElementTree.fromstring(refusal_xml()).find("Speak").get("language") == "en-US"


def test_a_kept_code_remembers_its_language(redis_client) -> None:
    spoken = SpokenCodes(redis_client, TEST_SECRET)
    assert spoken.take(spoken.keep("123456", "ar")) == SpokenCode("123456", "ar")
    assert spoken.take(spoken.keep("123456", "fr")) == SpokenCode("123456", "en")  # no voice: English


def test_the_development_outbox_keeps_what_the_call_would_say(redis_client) -> None:
    outbox = DevOutbox(redis_client)
    outbox.call("+16502531212", "12", "es")
    assert outbox.recent()[0].text == "(voice call) Tu código de sms2fa es 1 2. Otra vez, tu código es 1 2."


# Plivo's published lists (checked 2026-12; Plivo cannot be called from the tests):
# - <Speak> XML, plivo.com/docs/voice/xml/audio-output "Supported Languages": the language codes and which of the
#   WOMAN / MAN voices each has (no Arabic and no Hindi there);
# - SSML, docs.plivo.com/docs/voice/concepts/ssml: any Amazon Polly voice as voice="Polly.<Name>" with its language;
#   Plivo's Speak API list (plivo.com/docs/voice/api/call/speak-text-on-calls/speak-text-on-a-call) names Arabic
#   "arb" and Hindi "hi-IN", each with one (woman's) voice: Polly's Zeina (arb) and Aditi (hi-IN).
PLIVO_SPEAK_VOICES = {
    "da-DK": {"WOMAN"}, "nl-NL": {"WOMAN", "MAN"}, "en-AU": {"WOMAN", "MAN"}, "en-GB": {"WOMAN", "MAN"},
    "en-US": {"WOMAN", "MAN"}, "fr-FR": {"WOMAN", "MAN"}, "fr-CA": {"WOMAN"}, "de-DE": {"WOMAN", "MAN"},
    "it-IT": {"WOMAN", "MAN"}, "pl-PL": {"WOMAN", "MAN"}, "pt-PT": {"MAN"}, "pt-BR": {"WOMAN", "MAN"},
    "ru-RU": {"WOMAN"}, "es-ES": {"WOMAN", "MAN"}, "es-US": {"WOMAN", "MAN"}, "sv-SE": {"WOMAN"},
}  # fmt: skip
PLIVO_POLLY_VOICES = {"arb": {"Polly.Zeina"}, "hi-IN": {"Polly.Aditi"}}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_each_locale_is_spoken_by_a_voice_plivo_lists_for_its_language(locale: str) -> None:
    """The table is checked against Plivo's published lists: a locale Plivo cannot speak falls back to English."""
    speech = SPEECH_VOICES[spoken_locale(locale)]
    published = PLIVO_SPEAK_VOICES.get(speech.language, set()) | PLIVO_POLLY_VOICES.get(speech.language, set())
    assert speech.voice in published, f"{locale}: Plivo lists no {speech.voice} voice for {speech.language}"
    assert speech.language.startswith(locale.partition("_")[0])  # its own language ("arb": Arabic), not a guess


def test_the_scheduled_reset_mail_names_the_identity_check_in_the_recipients_language() -> None:
    """The admin's identity check travels as its id ("video_call") and is said in the recipient's language."""
    fields = {**CONTEXT, "check": "video_call", "due_at": AT, "link": "https://x/c?t=1"}
    spanish = render_mail(EventKind.TWO_FACTOR_RESET_SCHEDULED, "ana@example.com", fields, SITE, "es")
    assert "videollamada" in spanish.text and "video_call" not in spanish.text
    english = render_mail(EventKind.TWO_FACTOR_RESET_SCHEDULED, "ana@example.com", fields, SITE)
    assert "(a video call)" in english.text
    queued_earlier = {**fields, "check": "a video call"}  # a job queued by the previous release: its words kept
    assert "(a video call)" in render_mail(EventKind.TWO_FACTOR_RESET_SCHEDULED, "a@x.org", queued_earlier, SITE).text


@pytest.mark.parametrize(
    ("stored", "spanish", "arabic"),
    [
        ("Chrome|Linux", "Navegador: Chrome en Linux", "المتصفح: Chrome على Linux"),
        ("Chrome on Linux", "Navegador: Chrome en Linux", "المتصفح: Chrome على Linux"),  # queued before the change
        ("|Windows", "Navegador: Un navegador en Windows", "المتصفح: متصفح على Windows"),
        ("", "Navegador: Navegador desconocido", "المتصفح: متصفح غير معروف"),
    ],
)
def test_the_browser_in_a_notice_is_said_in_the_recipients_language(stored: str, spanish: str, arabic: str) -> None:
    """The label is a pair of names said by one phrase per shape in the recipient's language, never English glue."""
    for locale, line in (("es", spanish), ("ar", arabic)):
        mail = render_mail(EventKind.TWO_FACTOR_ON, "ana@example.com", {**CONTEXT, "browser": stored}, SITE, locale)
        assert line in mail.text.splitlines(), mail.text
