"""The forward-auth decision: a proxy's description of a request and the browser's cookies in, one of Allow,
LogIn (send the browser to the login, with `rd` when allowed) or Forbidden out.

No argon2, no Reflex state: the rule is matched in memory and the session is one Redis read (facts.py), SQL only
on a miss. Every refusal is logged with its reason, the host and the user when known; never a token or a URL
(its query may hold anything).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

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
from sms2fa_app.config_fields import AccessPolicy

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

    def verify(self, cookie_header: str | None, original_url: str | None) -> Decision:
        """The decision for the request at `original_url` by a browser sending `cookie_header`."""
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
        facts = None if digest is None else self._facts(digest.hex)
        if facts is not None and facts.level.rank >= _NEEDED[policy].rank:
            return Allow(facts)
        reason = "no_session" if facts is None else "level_too_low"
        user = "" if facts is None else facts.user_id
        log_event(
            log, logging.INFO, "forward_auth_refused", reason=reason, host=original.host, policy=policy, user=user
        )
        return LogIn(self._targets.login_url(original.url))

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
