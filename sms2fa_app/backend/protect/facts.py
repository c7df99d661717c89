"""What a verify needs to know about a session, cached in Redis by the session token's digest.

Every request to every protected app is verified, so one Redis read answers it; SQL is read on a miss only. An
entry lives at most CACHE_SECONDS and never past the session's own expiry. Whenever a session ends (logout, "sign
out everywhere", a password change or reset, an admin's reset, the cap on sessions, expiry, account deletion) or
its token is replaced, SessionStore calls `ended` once the change is committed: the entry is overwritten by a
tombstone, and a fill from a read that raced the change only ever writes where no entry is (SET NX), so it cannot
bring the session back. A token that names no session is remembered the same way, so junk cookies cost no SQL.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import redis
import redis.asyncio

from sms2fa_app.backend.assurance import Level
from sms2fa_app.backend.infra.events import log_event

log = logging.getLogger("sms2fa.forward_auth")

CACHE_SECONDS = 30  # how stale a session's level or address may be at a protected app (its end is at once)
KEY_PREFIX = "verify:session:"
NO_SESSION_VALUE = "-"


@dataclass(frozen=True)
class SessionFacts:
    """A live session as a protected app sees it: who, how strongly, by which methods (RFC 8176)."""

    user_id: int
    email: str
    level: Level
    amr: tuple[str, ...]

    @property
    def name(self) -> str:
        """A display name: accounts have none, so the address's local part."""
        return self.email.partition("@")[0]

    def encoded(self) -> str:
        return json.dumps([self.user_id, self.email, self.level.value, list(self.amr)], separators=(",", ":"))

    @classmethod
    def decoded(cls, text: str) -> SessionFacts | None:
        try:
            user_id, email, level, amr = json.loads(text)
            return cls(int(user_id), str(email), Level(level), tuple(str(method) for method in amr))
        except (ValueError, TypeError):  # an entry of another version: read SQL again
            return None


class NoSession:
    """The cache's answer for a digest known to name no live session."""


NO_SESSION = NoSession()
Cached = SessionFacts | NoSession | None  # None: not cached


def _key(digest: str) -> str:
    return KEY_PREFIX + digest


# The asyncio twin of each kind of connection the app's client may use (not the tests' fakeredis: no twin).
_ASYNC_CONNECTIONS: dict[type, type] = {
    redis.connection.Connection: redis.asyncio.connection.Connection,
    redis.connection.UnixDomainSocketConnection: redis.asyncio.connection.UnixDomainSocketConnection,
    redis.connection.SSLConnection: redis.asyncio.connection.SSLConnection,
}


def _decoded(value: object) -> Cached:
    if value is None:
        return None
    if value == NO_SESSION_VALUE:
        return NO_SESSION
    return SessionFacts.decoded(str(value))


class FactsCache:
    """The Redis side: read one entry, fill it once, forget sessions that ended (SessionStore's `ends`)."""

    def __init__(self, client: redis.Redis, ttl_seconds: int = CACHE_SECONDS):
        self._redis = client
        self._ttl = ttl_seconds
        pool = getattr(client, "connection_pool", None)
        self._async_connection = _ASYNC_CONNECTIONS.get(getattr(pool, "connection_class", None))  # type: ignore[arg-type]
        self._async: tuple[asyncio.AbstractEventLoop, redis.asyncio.Redis] | None = None

    def get(self, digest: str) -> Cached:
        """The cached answer for a digest (raises redis.RedisError when Redis is down)."""
        return _decoded(self._redis.get(_key(digest)))

    @property
    def reads_async(self) -> bool:
        """Whether `aget` can read without a thread (an asyncio client on the same server)."""
        return self._async_connection is not None

    async def aget(self, digest: str) -> Cached:
        """`get` on the event loop: a cache hit needs no worker thread (raises redis.RedisError when Redis is down)."""
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:  # a client belongs to the loop it first ran on
            kwargs = self._redis.connection_pool.connection_kwargs
            pool = redis.asyncio.ConnectionPool(connection_class=self._async_connection, **kwargs)
            self._async = (loop, redis.asyncio.Redis(connection_pool=pool))
        return _decoded(await self._async[1].get(_key(digest)))

    def fill(self, digest: str, facts: SessionFacts | None, seconds_left: float) -> None:
        """Remember what SQL said, unless an entry (a tombstone written since) is there already."""
        ttl = min(self._ttl, int(seconds_left))
        if ttl <= 0:
            return
        value = NO_SESSION_VALUE if facts is None else facts.encoded()
        self._redis.set(_key(digest), value, ex=ttl, nx=True)

    def ended(self, digests: Sequence[str]) -> None:
        """These digests name no session any more (after the commit that ended or replaced them)."""
        if not digests:
            return
        try:
            pipeline = self._redis.pipeline(transaction=False)
            for digest in digests:
                pipeline.set(_key(digest), NO_SESSION_VALUE, ex=self._ttl)
            pipeline.execute()
        except redis.RedisError as error:  # an entry may outlive its session by CACHE_SECONDS at most
            log_event(log, logging.ERROR, "forward_auth_cache_not_invalidated", error=type(error).__name__)

    def changed(self, digests: Sequence[str]) -> None:
        """These sessions live on with other facts (a re-authentication): read them from SQL next time."""
        if not digests:
            return
        try:
            self._redis.delete(*[_key(digest) for digest in digests])
        except redis.RedisError as error:
            log_event(log, logging.ERROR, "forward_auth_cache_not_invalidated", error=type(error).__name__)
