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

import redis
from cryptography.fernet import InvalidToken
from plivo import plivoxml

from sms2fa_app.backend.infra.crypto import keyed_digest, keyed_fernet
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

SPOKEN_PREFIX = "voice:code:"
SPOKEN_TTL_SECONDS = 180  # the call is placed, rings (up to 2 minutes), and is answered within this
REPEATS = 2
PAUSE_SECONDS = 1  # between digits: slowly, one digit at a time
_KEY_INFO = b"sms2fa spoken code encryption v1"


class SpokenCodes:
    """Keeps a code for the one call that will read it out."""

    def __init__(self, client: redis.Redis, secret_key: str, ttl_seconds: int = SPOKEN_TTL_SECONDS):
        self._redis = client
        self._secret = secret_key
        self._fernet = keyed_fernet(secret_key, _KEY_INFO)
        self._ttl = ttl_seconds

    def keep(self, code: str) -> str:
        """Store the code for a call; returns the token that goes into the answer URL."""
        token = secrets.token_urlsafe(24)
        with redis_fail_closed():
            self._redis.set(self._key(token), self._fernet.encrypt(code.encode()).decode(), ex=self._ttl)
        return token

    def take(self, token: str) -> str | None:
        """The code for this token, once; None when unknown, expired or already taken."""
        if not isinstance(token, str) or not 16 <= len(token) <= 64:
            return None
        with redis_fail_closed():
            stored = self._redis.getdel(self._key(token))
        if stored is None:
            return None
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            return None

    def discard(self, token: str) -> None:
        """Forget a code whose call could not be placed."""
        with redis_fail_closed():
            self._redis.delete(self._key(token))

    def _key(self, token: str) -> str:
        return SPOKEN_PREFIX + keyed_digest(self._secret, "voice-call", token)


def answer_xml(app_name: str, code: str) -> str:
    """Plivo XML that says the code twice, one digit at a time with a pause after each."""
    response = plivoxml.ResponseElement()
    for repeat in range(REPEATS):
        intro = f"Your {app_name} code is" if repeat == 0 else "Again, your code is"
        response.add(plivoxml.SpeakElement(intro, language="en-US"))
        response.add(plivoxml.WaitElement(None).set_length(PAUSE_SECONDS))
        for digit in code:
            response.add(plivoxml.SpeakElement(digit, language="en-US"))
            response.add(plivoxml.WaitElement(None).set_length(PAUSE_SECONDS))
    response.add(plivoxml.SpeakElement("Goodbye.", language="en-US"))
    return response.to_string(pretty=False)


def refusal_xml() -> str:
    """What an answer request without a live code gets: a polite hang-up (nothing secret)."""
    response = plivoxml.ResponseElement()
    response.add(plivoxml.SpeakElement("This code is no longer available. Goodbye.", language="en-US"))
    response.add(plivoxml.HangupElement())
    return response.to_string(pretty=False)
