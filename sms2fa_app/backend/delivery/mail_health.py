"""Whether mail is running late: the notice worker's last send failed (and is being retried).

The signed-in settings pages say so, since a change's notice mail is part of what the change promises; pages that
strangers see keep their one neutral answer ("if an account uses that address, we sent ..."), which must not depend
on anything about an address. One Redis key, no address in it: set when a send fails with a retry to come, removed
by the next mail that goes out, and forgotten after REMEMBER_SECONDS (a worker that stopped trying says nothing).
"""

from __future__ import annotations

import redis

from sms2fa_app.backend.infra.redis_store import redis_fail_closed

FAILING_KEY = "mail:failing"
REMEMBER_SECONDS = 3600


class MailHealth:
    """The notice worker's last word on the mail server."""

    def __init__(self, redis_client: redis.Redis, remember_seconds: int = REMEMBER_SECONDS):
        self._redis = redis_client
        self._remember_seconds = remember_seconds

    def failed(self) -> None:
        """A mail could not be sent (it will be retried)."""
        with redis_fail_closed():
            self._redis.set(FAILING_KEY, "1", ex=self._remember_seconds)

    def delivered(self) -> None:
        """A mail went out: mail is on time again."""
        with redis_fail_closed():
            self._redis.delete(FAILING_KEY)

    def delayed(self) -> bool:
        """True while the last send failed and no mail went out since."""
        with redis_fail_closed():
            return bool(self._redis.exists(FAILING_KEY))
