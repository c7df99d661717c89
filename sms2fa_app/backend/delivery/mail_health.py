"""Whether mail to one address is running late: the notice worker's last send to it failed (and is being retried).

The signed-in settings pages say so about the signed-in user's own address, since a change's notice mail is part of
what the change promises. The flag is per recipient, never global: a global one would be cleared by any mail that
goes out, so a stranger could learn from their own banner whether "forgot password" mailed an address (an account
exists), and one refused address would tell every user their mail is late. The key is a keyed digest of the address
(no address in Redis), set when a send to it fails with a retry to come, removed by the next mail to it that goes
out, and forgotten after REMEMBER_SECONDS (a worker that stopped trying says nothing).

Telling is best effort: the mail's job must not fail (and send the mail again) because Redis blinked afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis

from sms2fa_app.backend.infra.crypto import keyed_digest
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

FAILING_PREFIX = "mail:failing:"
REMEMBER_SECONDS = 3600

log = logging.getLogger("sms2fa.mail_health")


class MailHealth:
    """The notice worker's last word on the mail to each address."""

    def __init__(self, redis_client: redis.Redis, secret: str, remember_seconds: int = REMEMBER_SECONDS):
        self._redis = redis_client
        self._secret = secret
        self._remember_seconds = remember_seconds

    def failed(self, address: str) -> None:
        """A mail to `address` could not be sent (it will be retried)."""
        self._tell("failed", lambda key: self._redis.set(key, "1", ex=self._remember_seconds), address)

    def delivered(self, address: str) -> None:
        """A mail to `address` went out: its mail is on time again."""
        self._tell("delivered", self._redis.delete, address)

    def delayed(self, address: str) -> bool:
        """True while the last send to `address` failed and no mail to it went out since."""
        with redis_fail_closed():
            return bool(self._redis.exists(self._key(address)))

    def _tell(self, outcome: str, write: Callable[[str], object], address: str) -> None:
        try:
            write(self._key(address))
        except redis.RedisError as error:
            log_event(log, logging.WARNING, "mail_health_unsaved", outcome=outcome, error=type(error).__name__)

    def _key(self, address: str) -> str:
        return FAILING_PREFIX + keyed_digest(self._secret, "mail-health", address.strip().lower())
