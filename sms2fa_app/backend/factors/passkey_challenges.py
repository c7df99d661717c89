"""WebAuthn challenges: single use, short-lived, kept on the server and bound to one ceremony of one session.

Record `passkey:challenge:{purpose}:{binding}`: "{challenge, base64url}|{expires_at}|{user handle}". The binding
is the user and login session (registration, the second factor) or, on /login where no session exists yet, a
random handle that the page's server-side state keeps. Issuing replaces the binding's earlier challenge;
consuming is one GETDEL, so a challenge is checked at most once, whatever the answer; an expired one is gone.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import redis
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

PASSKEY_CHALLENGE_SECONDS = 120
_GC_MARGIN_SECONDS = 5
_HANDLE = re.compile(r"[A-Za-z0-9_-]{16,64}")


class Ceremony(enum.StrEnum):
    """What a challenge is for."""

    REGISTER = "register"  # adding a passkey in settings
    VERIFY = "verify"  # the second factor at the challenge
    SIGN_IN = "sign_in"  # the one-step sign-in on /login


@dataclass(frozen=True)
class Challenge:
    """A live challenge and, for a registration, the user handle the new credential gets."""

    value: bytes
    user_handle: str = ""


def session_binding(user_id: int, session_id: int) -> str:
    """The binding of a ceremony run by a login session."""
    return f"{int(user_id)}:{int(session_id)}"


def valid_handle(handle: object) -> bool:
    """True for a sign-in handle as new_token() makes them (the binding of a ceremony without a session)."""
    return isinstance(handle, str) and _HANDLE.fullmatch(handle) is not None


class PasskeyChallenges:
    """Issues and consumes challenges in Redis, with the injected clock deciding expiry."""

    def __init__(self, client: redis.Redis, clock: Clock, ttl_seconds: int = PASSKEY_CHALLENGE_SECONDS):
        self._redis = client
        self._clock = clock
        self.ttl_seconds = ttl_seconds

    @staticmethod
    def _key(ceremony: Ceremony, binding: str) -> str:
        return f"passkey:challenge:{Ceremony(ceremony).value}:{binding}"

    def issue(self, ceremony: Ceremony, binding: str, challenge: Challenge) -> None:
        """Keep `challenge` for this ceremony and binding (replacing the one before) for ttl_seconds."""
        expires_at = self._clock.now() + self.ttl_seconds
        value = f"{bytes_to_base64url(challenge.value)}|{expires_at!r}|{challenge.user_handle}"
        with redis_fail_closed():
            self._redis.set(self._key(ceremony, binding), value, ex=self.ttl_seconds + _GC_MARGIN_SECONDS)

    def consume(self, ceremony: Ceremony, binding: str) -> Challenge | None:
        """The live challenge, deleted in the same step (GETDEL); None when there is none or it expired."""
        with redis_fail_closed():
            stored = self._redis.getdel(self._key(ceremony, binding))
        if stored is None:
            return None
        value, expires_at, user_handle = str(stored).split("|")
        if float(expires_at) <= self._clock.now():
            return None
        return Challenge(base64url_to_bytes(value), user_handle)
