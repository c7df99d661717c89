"""The forward-auth decision: a proxy's description of a request and the browser's cookies in, one of Allow,
LogIn (send the browser to the login, with `rd` when allowed) or Forbidden out.

No argon2, no Reflex state: the rule is matched in memory and the session is one Redis read (facts.py), SQL only
on a miss. Every refusal is logged with its reason, the host and the user when known; never a token or a URL
(its query may hold anything).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis

from sms2fa_app.backend.assurance import Level
from sms2fa_app.backend.identity.session_cookie import CookiePolicy, session_digest
from sms2fa_app.backend.identity.sessions import SessionStore
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import TokenDigest
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.protect.facts import CACHE_SECONDS, NO_SESSION, FactsCache, SessionFacts
from sms2fa_app.backend.protect.rules import AccessRules
from sms2fa_app.backend.protect.targets import ReturnTargets, original_request
from sms2fa_app.config_rules import AccessPolicy

log = logging.getLogger("sms2fa.forward_auth")

_NEEDED = {AccessPolicy.ONE_FACTOR: Level.PASSWORD, AccessPolicy.TWO_FACTOR: Level.TWO_FACTOR}


@dataclass(frozen=True)
class Allow:
    """Let the request through; `who` is None on a bypass rule (nobody is named to the upstream)."""

    who: SessionFacts | None = None


@dataclass(frozen=True)
class LogIn:
    """Not signed in strongly enough for the rule: the browser goes to `login_url` (which carries `rd`)."""

    login_url: str


@dataclass(frozen=True)
class Forbidden:
    """Nobody may pass (a deny rule, no rule at all, or a request no proxy would describe)."""


Decision = Allow | LogIn | Forbidden
InThread = Callable[..., Awaitable[Any]]  # runs a blocking call in a worker thread (the HTTP layer's threadpool)


@dataclass(frozen=True)
class _Lookup:
    """A request whose rule needs a session: the cookie's digest (None: no cookie) and what to log and return to."""

    digest: str | None
    host: str
    url: str
    policy: AccessPolicy


class Verifier:
    """Decides each request of each protected app."""

    def __init__(
        self,
        sessions: SessionStore,
        cache: FactsCache,
        rules: AccessRules,
        targets: ReturnTargets,
        cookies: CookiePolicy,
        clock: Clock,
    ):
        self._sessions = sessions
        self._cache = cache
        self._rules = rules
        self._targets = targets
        self._cookies = cookies
        self._clock = clock

    def _start(self, cookie_header: str | None, original_url: str | None) -> Decision | _Lookup:
        """Everything before the session: the URL, the rule, the cookie's digest."""
        original = original_request(original_url)
        if original is None:
            log_event(log, logging.INFO, "forward_auth_refused", reason="bad_original_url")
            return Forbidden()
        policy = self._rules.policy_for(original.host, original.path)
        if policy is AccessPolicy.BYPASS:
            return Allow()
        if policy is AccessPolicy.DENY:
            log_event(log, logging.INFO, "forward_auth_refused", reason="denied", host=original.host)
            return Forbidden()
        digest = session_digest(cookie_header, self._cookies)
        return _Lookup(None if digest is None else digest.hex, original.host, original.url, policy)

    def _finish(self, lookup: _Lookup, facts: SessionFacts | None) -> Decision:
        """The session's level against the rule's."""
        if facts is not None and facts.level.rank >= _NEEDED[lookup.policy].rank:
            return Allow(facts)
        reason = "no_session" if facts is None else "level_too_low"
        user = "" if facts is None else facts.user_id
        log_event(
            log, logging.INFO, "forward_auth_refused", reason=reason, host=lookup.host, policy=lookup.policy, user=user
        )
        return LogIn(self._targets.login_url(lookup.url))

    def admits(self, level: Level, url: str) -> bool:
        """Whether a session at `level` passes the rule of `url` (a bypass or deny rule asks no level). The login
        does not send a session back to an `rd` it cannot pass: that app's proxy would send it straight back."""
        original = original_request(url.partition("#")[0])
        needed = None if original is None else _NEEDED.get(self._rules.policy_for(original.host, original.path))
        return needed is None or level.rank >= needed.rank

    def verify(self, cookie_header: str | None, original_url: str | None) -> Decision:
        """The decision for the request at `original_url` by a browser sending `cookie_header`."""
        step = self._start(cookie_header, original_url)
        if not isinstance(step, _Lookup):
            return step
        return self._finish(step, None if step.digest is None else self._facts(step.digest))

    async def verify_async(self, cookie_header: str | None, original_url: str | None, in_thread: InThread) -> Decision:
        """`verify` for an event loop: a cached session is read on the loop; SQL (a miss) runs via `in_thread`."""
        step = self._start(cookie_header, original_url)
        if not isinstance(step, _Lookup):
            return step
        if step.digest is None:
            return self._finish(step, None)
        if not self._cache.reads_async:
            return self._finish(step, await in_thread(self._facts, step.digest))
        try:
            cached = await self._cache.aget(step.digest)
        except redis.RedisError:
            return self._finish(step, await in_thread(self._facts, step.digest))  # logs it, reads SQL alone
        if cached is NO_SESSION:
            return self._finish(step, None)
        if isinstance(cached, SessionFacts):
            return self._finish(step, cached)
        return self._finish(step, await in_thread(self._from_sql, step.digest, cache=True))

    def _facts(self, digest: str) -> SessionFacts | None:
        """The session's facts: from Redis, else from SQL (then cached). Redis down: SQL alone, still right."""
        try:
            cached = self._cache.get(digest)
        except redis.RedisError as error:
            log_event(log, logging.WARNING, "forward_auth_cache_unavailable", error=type(error).__name__)
            return self._from_sql(digest, cache=False)
        if cached is NO_SESSION:
            return None
        if isinstance(cached, SessionFacts):
            return cached
        return self._from_sql(digest, cache=True)

    def _from_sql(self, digest: str, *, cache: bool) -> SessionFacts | None:
        """The facts SQL holds (resolving also keeps the session alive and deletes it once expired)."""
        found = self._sessions.resolve_with_user(TokenDigest(digest))
        facts, seconds_left = None, float(CACHE_SECONDS)
        if found is not None and found[1] is not None:
            session, user = found
            assurance = session.assurance
            facts = SessionFacts(session.user_id, user.email, assurance.level, tuple(m.value for m in assurance.amr))
            seconds_left = self._sessions.expires_at(session) - self._clock.now()
        if cache:
            with contextlib.suppress(redis.RedisError):  # the answer stands; the next request reads SQL again
                self._cache.fill(digest, facts, seconds_left)
        return facts
