"""Codes read out by a voice call: the answer Plivo fetches when the person picks up.

Plivo places the call, then asks the app what to say (the answer URL). The code cannot be in that URL
(Plivo and proxies log URLs), and Redis keeps codes only as keyed hashes. So, for the minutes between
placing a call and its answer, the code is kept encrypted (Fernet, key derived from SECRET_KEY) under a
random token that is the only thing in the URL; the first signed request for the token takes it
(GETDEL), so the code is spoken for that call only. The same code, stored as a hash like a texted one,
is what the person then types: it verifies either way.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import redis
from cryptography.fernet import InvalidToken
from plivo import plivoxml

from sms2fa_app.backend.delivery.letter_words import TEXT_NUMBER_TAKEN
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE, supported
from sms2fa_app.backend.i18n.phrases import Phrase
from sms2fa_app.backend.infra.crypto import keyed_digest, keyed_fernet
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

SPOKEN_PREFIX = "voice:code:"
SPOKEN_TTL_SECONDS = 180  # the call is placed, rings (up to 2 minutes), and is answered within this
REPEATS = 2
PAUSE_SECONDS = 1  # between digits: slowly, one digit at a time
_KEY_INFO = b"sms2fa spoken code encryption v1"
# Kept and said instead of a code: a number another account holds is told someone tried to use it (the request
# costs and answers the same as a code's), as a text to such a number is (letters.number_taken_text).
NOTICE = "notice"

INTRO = Phrase("voice.intro", "Your {app} code is")
AGAIN = Phrase("voice.again", "Again, your code is")
GOODBYE = Phrase("voice.goodbye", "Goodbye.")
NO_LONGER_AVAILABLE = Phrase("voice.refusal", "This code is no longer available. Goodbye.")


@dataclass(frozen=True)
class SpeechVoice:
    """What Plivo's <Speak> is given: its `language` and `voice` attributes."""

    language: str
    voice: str


# Each locale's voice, from Plivo's published lists (Plivo cannot be called from the tests; the unit test
# test_each_locale_is_spoken_by_a_voice_plivo_lists_for_its_language holds the lists and checks this table):
# - <Speak> languages and their WOMAN/MAN voices: plivo.com/docs/voice/xml/audio-output ("Supported Languages"):
#   en-US, es-ES, pt-BR and de-DE have both; neither Arabic nor Hindi is there;
# - Amazon Polly voices as voice="Polly.<Name>" (docs.plivo.com/docs/voice/concepts/ssml); Plivo's Speak API list
#   names Arabic "arb" and Hindi "hi-IN", a woman's voice each: Polly's Zeina and Aditi.
# A locale missing here is spoken in English: a call never guesses a voice.
SPEECH_VOICES: dict[str, SpeechVoice] = {
    "en": SpeechVoice("en-US", "WOMAN"),
    "es": SpeechVoice("es-ES", "WOMAN"),
    "pt_BR": SpeechVoice("pt-BR", "WOMAN"),
    "de": SpeechVoice("de-DE", "WOMAN"),
    "ar": SpeechVoice("arb", "Polly.Zeina"),
    "hi": SpeechVoice("hi-IN", "Polly.Aditi"),
}


def spoken_locale(locale: str) -> str:
    """The locale a call speaks for a user of `locale`: theirs when the table has a voice for it, else English."""
    return locale if locale in SPEECH_VOICES else DEFAULT_LOCALE


@dataclass(frozen=True)
class SpokenCode:
    """A code to read out, and the language to read it in."""

    code: str
    locale: str = DEFAULT_LOCALE


class SpokenCodes:
    """Keeps a code for the one call that will read it out."""

    def __init__(self, client: redis.Redis, secret_key: str, ttl_seconds: int = SPOKEN_TTL_SECONDS):
        self._redis = client
        self._secret = secret_key
        self._fernet = keyed_fernet(secret_key, _KEY_INFO)
        self._ttl = ttl_seconds

    def keep(self, code: str, locale: str = DEFAULT_LOCALE) -> str:
        """Store the code (and the language to speak it in) for a call; returns the token for the answer URL."""
        token = secrets.token_urlsafe(24)
        sealed = self._fernet.encrypt(f"{spoken_locale(locale)} {code}".encode()).decode()
        with redis_fail_closed():
            self._redis.set(self._key(token), sealed, ex=self._ttl)
        return token

    def take(self, token: str) -> SpokenCode | None:
        """The code for this token, once; None when unknown, expired or already taken."""
        if not isinstance(token, str) or not 16 <= len(token) <= 64:
            return None
        with redis_fail_closed():
            stored = self._redis.getdel(self._key(token))
        if stored is None:
            return None
        try:
            plain = self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            return None
        locale, _, code = plain.rpartition(" ")  # a code kept before languages has no locale: English
        return SpokenCode(code, supported(locale) or DEFAULT_LOCALE)

    def discard(self, token: str) -> None:
        """Forget a code whose call could not be placed."""
        with redis_fail_closed():
            self._redis.delete(self._key(token))

    def _key(self, token: str) -> str:
        return SPOKEN_PREFIX + keyed_digest(self._secret, "voice-call", token)


def _speak(words: str, locale: str) -> plivoxml.SpeakElement:
    speech = SPEECH_VOICES[spoken_locale(locale)]
    return plivoxml.SpeakElement(words, voice=speech.voice, language=speech.language)


def answer_xml(app_name: str, code: str, locale: str = DEFAULT_LOCALE) -> str:
    """Plivo XML that says the code twice in the user's language (English where Plivo has no voice for it), one
    digit at a time with a pause after each; for NOTICE, the taken number's notice instead."""
    locale = spoken_locale(locale)
    response = plivoxml.ResponseElement()
    if code == NOTICE:
        response.add(_speak(TEXT_NUMBER_TAKEN(locale, app=app_name), locale))  # letters.number_taken_text's words
        response.add(plivoxml.HangupElement())
        return response.to_string(pretty=False)
    for repeat in range(REPEATS):
        intro = INTRO(locale, app=app_name) if repeat == 0 else AGAIN(locale)
        response.add(_speak(intro, locale))
        response.add(plivoxml.WaitElement(None).set_length(PAUSE_SECONDS))
        for digit in code:
            response.add(_speak(digit, locale))
            response.add(plivoxml.WaitElement(None).set_length(PAUSE_SECONDS))
    response.add(_speak(GOODBYE(locale), locale))
    return response.to_string(pretty=False)


def refusal_xml() -> str:
    """What an answer request without a live code gets: a polite hang-up (nothing secret; the call's language
    went with the code, so English)."""
    response = plivoxml.ResponseElement()
    response.add(_speak(NO_LONGER_AVAILABLE(DEFAULT_LOCALE), DEFAULT_LOCALE))
    response.add(plivoxml.HangupElement())
    return response.to_string(pretty=False)
