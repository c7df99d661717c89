"""Requests from Plivo to the app (delivery reports, voice answers): their URLs, and the check of each one.

Plivo signs every request to a URL we gave it with `X-Plivo-Signature-V3` (HMAC-SHA256 under the auth
token of the URL, the POST parameters and `X-Plivo-Signature-V3-Nonce`); the SDK's
`validate_v3_signature` checks it. The scheme carries no timestamp, so freshness comes from us: every
URL we hand to Plivo holds its issue time `t`, covered by the signature like the rest of the URL. A
request is refused when it is

- unsigned: either header missing;
- forged: the signature does not match the URL, the parameters and the nonce (or an altered `t`);
- stale: `t` is more than PLIVO_CALLBACK_MAX_AGE_SECONDS old (or in the future);
- replayed: its nonce was seen before. Nonces are kept (SET NX) exactly as long as `t` stays fresh, so
  every replay is either caught by the nonce or too old.

The URL is rebuilt from APP_URL, never from the request's Host header: it is what Plivo signed.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Mapping
from urllib.parse import parse_qs, urlencode

import redis
from plivo import exceptions as plivo_errors
from plivo.utils.signature_v3 import validate_v3_signature

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

log = logging.getLogger("sms2fa.callbacks")

MESSAGE_STATUS_PATH = "/api/plivo/message-status"
VOICE_ANSWER_PATH = "/api/plivo/voice-answer"
SIGNATURE_HEADER = "x-plivo-signature-v3"
NONCE_HEADER = "x-plivo-signature-v3-nonce"
NONCE_PREFIX = "plivo:nonce:"
FUTURE_SKEW_SECONDS = 60  # a `t` this far ahead of our clock is still accepted (clock drift between workers)
_NONCE = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_SIGNATURE_LENGTH = 512


class CallbackCheck(enum.Enum):
    """The verdict on one request from Plivo."""

    OK = "ok"
    UNSIGNED = "unsigned"
    FORGED = "forged"
    STALE = "stale"
    REPLAYED = "replayed"


class PlivoCallbacks:
    """Makes the URLs Plivo calls back and checks the requests that arrive on them."""

    def __init__(self, client: redis.Redis, clock: Clock, auth_token: str, base_url: str, max_age_seconds: int):
        self._redis = client
        self._clock = clock
        self._auth_token = auth_token
        self._base_url = base_url.rstrip("/")
        self.max_age_seconds = int(max_age_seconds)

    def url(self, path: str, **params: str) -> str:
        """The absolute URL of `path` with these query parameters and the issue time `t`."""
        query = urlencode(sorted({**params, "t": str(int(self._clock.now()))}.items()))
        return f"{self._base_url}{path}?{query}"

    def check(
        self, method: str, path: str, query: str, headers: Mapping[str, str], params: Mapping[str, str]
    ) -> CallbackCheck:
        """Whether a request to `path?query` with these headers and form parameters really comes from Plivo,
        now, for the first time (see the module doc). Only an OK request spends its nonce."""
        verdict = self._verdict(method.upper(), path, query, headers, params)
        if verdict is not CallbackCheck.OK:
            log_event(log, logging.WARNING, "plivo_callback_refused", path=path, reason=verdict.value)
        return verdict

    def _verdict(
        self, method: str, path: str, query: str, headers: Mapping[str, str], params: Mapping[str, str]
    ) -> CallbackCheck:
        signature = headers.get(SIGNATURE_HEADER, "")
        nonce = headers.get(NONCE_HEADER, "")
        if not signature or not nonce:
            return CallbackCheck.UNSIGNED
        if len(signature) > MAX_SIGNATURE_LENGTH or not _NONCE.fullmatch(nonce) or method not in ("GET", "POST"):
            return CallbackCheck.FORGED
        url = f"{self._base_url}{path}" + (f"?{query}" if query else "")
        try:
            valid = validate_v3_signature(method, url, nonce, self._auth_token, signature, dict(params))
        except (plivo_errors.ValidationError, TypeError, ValueError):
            valid = False
        if not valid:
            return CallbackCheck.FORGED
        if not self._fresh(query):
            return CallbackCheck.STALE
        with redis_fail_closed():
            first = self._redis.set(NONCE_PREFIX + nonce, "1", nx=True, ex=self.max_age_seconds + FUTURE_SKEW_SECONDS)
        return CallbackCheck.OK if first else CallbackCheck.REPLAYED

    def _fresh(self, query: str) -> bool:
        issued = parse_qs(query).get("t", [""])
        try:
            age = self._clock.now() - int(issued[-1])
        except ValueError:
            return False
        return -FUTURE_SKEW_SECONDS <= age <= self.max_age_seconds
