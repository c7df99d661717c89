"""Proof of work with ALTCHA (self-hosted: the `altcha` library makes and checks challenges, the widget
solves them in the browser; no third-party service).

A challenge is PBKDF2/SHA-256 in ALTCHA's deterministic mode: the server picks the counter, the browser
finds it by trying counters from 0, so the work is about `difficulty` key derivations while checking a
solution costs one HMAC (the derived key's signature). Both HMAC keys are derived from SECRET_KEY.
Expiry is signed into the challenge's data and read with the injected clock; a solution is single use:
the limits' Lua spends `pow:spent:{nonce}` (SET NX) in the same atomic call that decides what it pays for.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
from dataclasses import dataclass

import altcha

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import keyed_digest

ALGORITHM = "PBKDF2/SHA-256"
KDF_COST = 1000  # PBKDF2 iterations per try: the difficulty setting scales the number of tries
CHALLENGE_TTL_SECONDS = 600
MAX_PAYLOAD_LENGTH = 2048
SPENT_PREFIX = "pow:spent:"


@dataclass(frozen=True)
class Proof:
    """A checked, unexpired solution; spending `key` (for `ttl_seconds`) is what makes it single use."""

    key: str
    ttl_seconds: int


class ProofOfWork:
    """Makes challenges for the widget and checks the solutions it posts back."""

    def __init__(self, secret_key: str, clock: Clock, difficulty: int):
        self._challenge_key = keyed_digest(secret_key, "altcha-challenge")
        self._derived_key = keyed_digest(secret_key, "altcha-derived-key")
        self._clock = clock
        self.difficulty = max(1, int(difficulty))

    def challenge(self) -> str:
        """A fresh signed challenge as the JSON the widget's `challenge` attribute takes."""
        low = self.difficulty // 2
        expires_at = math.floor(self._clock.now()) + CHALLENGE_TTL_SECONDS
        made = altcha.create_challenge(
            ALGORITHM,
            KDF_COST,
            counter=low + secrets.randbelow(self.difficulty - low + 1),
            data={"exp": expires_at},
            hmac_secret=self._challenge_key,
            hmac_key_secret=self._derived_key,
        )
        return json.dumps(made.to_dict(), separators=(",", ":"))

    def check(self, payload: object) -> Proof | None:
        """The proof in a posted payload (the widget's base64 JSON), or None when it is missing, malformed,
        forged, wrong or expired. Whether it was already spent is decided where it is spent."""
        if not isinstance(payload, str) or not payload or len(payload) > MAX_PAYLOAD_LENGTH:
            return None
        try:
            decoded = json.loads(base64.b64decode(payload, validate=True))
            solved = altcha.Payload.from_dict(decoded)
        except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None
        result = altcha.verify_solution(solved, self._challenge_key, hmac_key_secret=self._derived_key)
        if not result.verified:
            return None
        data = solved.challenge.parameters.data
        expires_at = data.get("exp") if isinstance(data, dict) else None
        left = expires_at - self._clock.now() if isinstance(expires_at, int) else 0
        if left <= 0:
            return None
        return Proof(SPENT_PREFIX + str(solved.challenge.parameters.nonce), math.ceil(left) + 5)


def solve(challenge_json: str) -> str:
    """The payload a browser would post for a challenge (tests and tools; real clients solve in the widget)."""
    challenge = altcha.Challenge.from_dict(json.loads(challenge_json))
    solution = altcha.solve_challenge(challenge)
    if solution is None:
        raise RuntimeError("no solution found")
    return altcha.Payload(challenge, solution).to_base64()
