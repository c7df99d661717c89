"""Single-use, short-lived tickets that carry a browser's new credentials from the websocket to its cookies.

A handler that signs the browser in, steps it up or remembers it issues tokens over the websocket, but only a plain
HTTP answer can set an HttpOnly cookie. So the handler's update carries a ticket, which the page posts at once to
the cookie endpoint (api/session_cookie.py); the answer sets the cookies. The ticket is the grant encrypted and
authenticated under a key derived from SECRET_KEY (Fernet: its own timestamp makes it expire after
TICKET_SECONDS), so issuing one needs no store and can happen while Reflex builds the update. Each grant holds a
random 128-bit id; redeeming one records that id in Redis (SET NX) until the ticket has expired anyway, counted from
its own timestamp: a second use is refused. The id, not the ticket's text, is recorded because Fernet's base64
decoding skips characters it does not expect: `ticket + "="` or `"*" + ticket` decrypt to the same grant under
another digest. Nothing raw is kept at rest.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import redis
from cryptography.fernet import InvalidToken

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import keyed_fernet
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

TICKET_SECONDS = 30  # the page posts its ticket within a second; a slow network gets the rest
FERNET_CLOCK_SKEW_SECONDS = 60  # Fernet accepts a timestamp this far ahead of its clock (another worker's clock)
GRANT_ID_BYTES = 16
MAX_TICKET_LENGTH = 1024  # a ticket holding two tokens and a digest is about 400 characters
_USED_KEY = "cookie-ticket-used:"
_FERNET_PURPOSE = b"sms2fa browser cookie ticket"


@dataclass(frozen=True)
class CookieGrant:
    """What a ticket tells the cookie endpoint to do; an empty field changes nothing."""

    session_token: str = ""  # set the session cookie to this new token
    device_token: str = ""  # set the remembered-device cookie to this new token
    clear_session: str = ""  # digest of an ended session's token: drop the session cookie if it still holds it

    def __bool__(self) -> bool:
        return bool(self.session_token or self.device_token or self.clear_session)


class CookieTickets:
    """Issues tickets (no I/O) and redeems each one once."""

    def __init__(self, secret: str, client: redis.Redis, clock: Clock, ttl_seconds: int = TICKET_SECONDS):
        self._fernet = keyed_fernet(secret, _FERNET_PURPOSE)
        self._redis = client
        self._clock = clock
        self._ttl = ttl_seconds

    @property
    def ttl_seconds(self) -> int:
        return self._ttl

    def issue(self, grant: CookieGrant) -> str:
        """A ticket for `grant`, good once for the next TICKET_SECONDS."""
        grant_id = secrets.token_hex(GRANT_ID_BYTES)
        body = json.dumps([grant_id, grant.session_token, grant.device_token, grant.clear_session]).encode()
        return self._fernet.encrypt_at_time(body, int(self._clock.now())).decode()

    def redeem(self, ticket: object) -> CookieGrant | None:
        """The grant of a live ticket seen for the first time; None for anything else (forged, expired, used).
        ServiceUnavailable when Redis cannot record the use: no ticket counts twice."""
        if not isinstance(ticket, str) or not ticket or len(ticket) > MAX_TICKET_LENGTH:
            return None
        now = int(self._clock.now())
        try:
            body = self._fernet.decrypt_at_time(ticket.encode(), self._ttl, now)
            issued_at = self._fernet.extract_timestamp(ticket.encode())
            grant_id, session_token, device_token, clear_session = json.loads(body)
        except (InvalidToken, ValueError):
            return None
        # Until no clock could still take the ticket as live: its own expiry plus Fernet's skew allowance.
        marker_seconds = max(1, issued_at + self._ttl + FERNET_CLOCK_SKEW_SECONDS - now)
        with redis_fail_closed():
            first_use = self._redis.set(_USED_KEY + str(grant_id), "1", nx=True, ex=marker_seconds)
        if not first_use:
            return None
        return CookieGrant(session_token, device_token, clear_session)
