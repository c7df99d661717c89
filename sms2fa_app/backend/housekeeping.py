"""The periodic purge of SQL rows nothing will ever read again: expired login sessions, used or expired links,
expired or voided remembered devices, pending accounts nobody confirmed in time, and OpenID tokens that can never
work again.

Without it these tables only grow: a session is deleted when it is presented after expiring, never if its browser
does not come back. Audit history is not touched here: security events and the operations events have their own
retention purge (audit/activity.py, admin/ops_events.py); admin actions and 2FA resets are kept.

Every process's job worker calls `run` every CHECK_SECONDS; a Redis key taken with SET NX EX lets one worker purge
per INTERVAL_SECONDS, whichever comes first, and the others skip. Tests call `purge_expired(now)` directly.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass

import redis

from sms2fa_app.backend.factors.devices import RememberedDevices
from sms2fa_app.backend.identity.link_tokens import LinkTokens
from sms2fa_app.backend.identity.sessions import SessionStore
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.redis_store import redis_fail_closed
from sms2fa_app.backend.oidc.tokens import TokenStore

log = logging.getLogger("sms2fa.housekeeping")


@dataclass(frozen=True)
class PurgeCounts:
    """How many rows one purge deleted, per table."""

    login_sessions: int = 0
    link_tokens: int = 0
    remembered_devices: int = 0
    unverified_accounts: int = 0
    oidc_tokens: int = 0


class Housekeeping:
    """Deletes the dead rows, once per period across all the workers."""

    INTERVAL_SECONDS = 3600  # one purge per hour, by whichever worker takes the lock
    CHECK_SECONDS = 600  # how often each worker tries to take it
    LOCK_KEY = "housekeeping:purge"

    def __init__(
        self,
        database: Database,
        client: redis.Redis,
        clock: Clock,
        sessions: SessionStore,
        purge_unverified: Callable[[float], int] = lambda now: 0,
    ):
        self._db = database
        self._redis = client
        self._clock = clock
        self._sessions = sessions
        self._purge_unverified = purge_unverified  # EmailVerification.purge_expired_unverified (its own transaction)

    def run(self) -> PurgeCounts | None:
        """Purge, unless another worker (or this one) already did in this period: then None. The lock is not
        released after the purge: it marks the period as done, and Redis ends it."""
        with redis_fail_closed():
            taken = self._redis.set(self.LOCK_KEY, str(os.getpid()), nx=True, ex=self.INTERVAL_SECONDS)
        if not taken:
            return None
        return self.purge_expired(self._clock.now())

    def purge_expired(self, now: float) -> PurgeCounts:
        """Delete the rows dead at `now` (the expired pending accounts first, then the rest in one transaction);
        the counts are logged."""
        unverified = self._purge_unverified(now)
        with self._db.session() as tx:
            counts = PurgeCounts(
                login_sessions=self._sessions.purge_expired(tx, now),
                link_tokens=LinkTokens.purge_dead(tx, now),
                remembered_devices=RememberedDevices.purge_expired(tx, now),
                unverified_accounts=unverified,
                oidc_tokens=TokenStore.purge_dead(tx, now),  # after the sessions: theirs go with them
            )
        log_event(log, logging.INFO, "housekeeping_purged", **asdict(counts))
        return counts
