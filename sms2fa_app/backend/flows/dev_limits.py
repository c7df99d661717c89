"""Development only: forget every limit, cooldown and lockout, so a developer trying the flows on this machine is
never locked out for an hour (/dev/outbox's "Clear limits for this machine").

Why all of them: in development every request comes from this machine (the servers listen on loopback), so the
per-address, per-account and per-number counters are all this developer's. Codes, sessions, links and the outbox
stay. Services builds it only outside production, and the page also refuses a client that is not on loopback.
"""

from __future__ import annotations

import redis

from sms2fa_app.backend.factors.lockout import Lockout, lockout_key, lockout_slots_key
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

# The sliding-window counters of every limit (infra/limits.py's users): login failures, sign-ups, reset and
# verification mails, texts and calls per user, number, address and country, and the resend cooldowns.
LIMIT_KEY_PATTERNS = (
    "login:fail:*",
    "signup:*",
    "reset:*",
    "verify:mail:*",
    "otp:sends:*",
    "otp:calls:*",
    "otp:cooldown:*",
)
_LOCKOUT_PREFIX = lockout_key(0).removesuffix("0")


class DevLimits:
    """Clears the development Redis's limit counters, and each lockout through the lockout's own clear."""

    def __init__(self, client: redis.Redis, lockout: Lockout):
        self._client = client
        self._lockout = lockout

    def clear(self) -> int:
        """Forget every limit counter and lock; returns how many were there."""
        with redis_fail_closed():
            keys = [str(key) for pattern in LIMIT_KEY_PATTERNS for key in self._client.scan_iter(match=pattern)]
            locked = [
                int(user_id)
                for key in self._client.scan_iter(match=f"{_LOCKOUT_PREFIX}*")
                if (user_id := str(key).removeprefix(_LOCKOUT_PREFIX)).isdigit()
            ]
            if keys:
                self._client.delete(*keys)
            for user_id in locked:
                self._client.delete(lockout_slots_key(user_id))
        for user_id in locked:
            self._lockout.clear(user_id)
        return len(keys) + len(locked)
