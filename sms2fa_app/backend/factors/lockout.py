"""The per-user lockout that every second factor goes through.

Consecutive failed guesses across all factors (SMS codes, authenticator codes, recovery codes) lock
the user's verifies from the threshold on: min(base * 2^(failures - threshold), cap) seconds; a
success resets the count. An attempt takes its slot atomically *before* any secret is checked: it
is counted as a failure in advance (and starts the lock it would earn), then settled by what the
check found. A success clears the record; a result that was no guess (nothing to check, a right code
that was already used) gives the slot back; a wrong guess keeps it. So N parallel wrong guesses
evaluate exactly `threshold` of them, and N parallel copies of one right code count no failure.

The Lua functions are shared with scripts that decide a whole verify in one call (SMS codes).

Record `otp:fail:{user}`: hash n = consecutive failures (reserved ones included), until = locked until
(present only while a lock was earned).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from string import Template

import redis

from sms2fa_app.backend.factors.results import GUESS_FAILURES, VerifyResult, VerifyStatus
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.limits import whole_seconds
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

log = logging.getLogger("sms2fa.lockout")

# Failure records are dropped this long after the last failed verify (garbage collection only:
# consecutive failures are reset by a success, not by time).
FAILURE_RECORD_GC_SECONDS = 7 * 24 * 3600

_LOCKOUT_LUA = Template("""
local function lockout_seconds(failures)
  if failures < $threshold then
    return 0
  end
  local exponent = failures - $threshold
  if exponent >= 40 then
    return $cap
  end
  return math.min($base * 2 ^ exponent, $cap)
end
-- Take a slot: returns (wait, lock, written). wait > 0: locked, nothing counted. Else the attempt is
-- counted as a failure in advance; `lock` is what that failure earns, already in force (until = written).
local function lockout_reserve(key, now)
  local locked_until = tonumber(redis.call('HGET', key, 'until'))
  if locked_until and locked_until > now then
    return locked_until - now, 0, ''
  end
  local failures = redis.call('HINCRBY', key, 'n', 1)
  local lock = lockout_seconds(failures)
  local written = ''
  if lock > 0 then
    written = tostring(now + lock)
    redis.call('HSET', key, 'until', written)
  end
  redis.call('EXPIRE', key, $gc)
  return 0, lock, written
end
-- Give back a slot whose attempt was no guess, with the lock it started (unless a later one replaced it).
local function lockout_release(key, written)
  local failures = tonumber(redis.call('HGET', key, 'n'))
  if not failures then
    return
  end
  if failures <= 1 then
    redis.call('HDEL', key, 'n')
  else
    redis.call('HINCRBY', key, 'n', -1)
  end
  if written ~= '' and redis.call('HGET', key, 'until') == written then
    redis.call('HDEL', key, 'until')
  end
end
""")

# KEYS: record. ARGV: now. Returns {wait, lock, written}.
_RESERVE_LUA = """
local wait, lock, written = lockout_reserve(KEYS[1], tonumber(ARGV[1]))
return {tostring(wait), tostring(lock), written}
"""
# KEYS: record. ARGV: written.
_RELEASE_LUA = """
lockout_release(KEYS[1], ARGV[1])
return 1
"""


@dataclass(frozen=True)
class LockoutPolicy:
    """The lockout curve (its defaults live in the settings)."""

    threshold: int
    base_seconds: int
    max_seconds: int

    def seconds(self, failures: int) -> int:
        """The lock that `failures` consecutive failures earn (0 below the threshold)."""
        if failures < self.threshold:
            return 0
        exponent = failures - self.threshold
        return self.max_seconds if exponent >= 40 else min(self.base_seconds * 2**exponent, self.max_seconds)

    def lua(self) -> str:
        """The shared Lua functions (lockout_seconds, lockout_reserve, lockout_release) for this curve."""
        gc = max(FAILURE_RECORD_GC_SECONDS, 4 * self.max_seconds)
        return _LOCKOUT_LUA.substitute(
            threshold=int(self.threshold), base=int(self.base_seconds), cap=int(self.max_seconds), gc=int(gc)
        )


@dataclass(frozen=True)
class Slot:
    """A reserved attempt: the lock its failure earns (0 = none) and the `until` it wrote."""

    lock_seconds: int
    written: str


def lockout_key(user_id: int) -> str:
    """The user's failure record."""
    return f"otp:fail:{int(user_id)}"


class Lockout:
    """Reserve, check, settle: the one way any factor's guess is counted."""

    def __init__(self, client: redis.Redis, clock: Clock, policy: LockoutPolicy):
        self.policy = policy
        # Told of every counted wrong guess: (user, factor, seconds of the lock it started, 0 for none).
        self.on_failure: Callable[[int, str, int], None] | None = None
        self._redis = client
        self._clock = clock
        lua = policy.lua()
        self._reserve_script = client.register_script(lua + _RESERVE_LUA)
        self._release_script = client.register_script(lua + _RELEASE_LUA)

    def attempt(self, user_id: int, factor: str, check: Callable[[], VerifyResult]) -> VerifyResult:
        """Run `check` inside a reserved slot; LOCKED without calling it while the user is locked."""
        user_id = int(user_id)
        reserved = self.reserve(user_id)
        if isinstance(reserved, VerifyResult):
            log_event(log, logging.INFO, "verify_refused", user=user_id, factor=factor, status="locked")
            return reserved
        try:
            result = check()
        except BaseException:
            self.release(user_id, reserved)
            raise
        return self.settle(user_id, factor, reserved, result)

    def reserve(self, user_id: int) -> Slot | VerifyResult:
        """Take a slot before checking a secret, or LOCKED (with the wait) while locked."""
        with redis_fail_closed():
            wait, lock, written = self._reserve_script(keys=[lockout_key(user_id)], args=[repr(self._clock.now())])
        if whole_seconds(wait):
            return VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=whole_seconds(wait))
        return Slot(whole_seconds(lock), written or "")

    def settle(self, user_id: int, factor: str, slot: Slot, result: VerifyResult) -> VerifyResult:
        """Clear on success, keep a wrong guess (LOCKED when it earned a lock), give back anything else."""
        if result.ok:
            self.clear(user_id)
            log_event(log, logging.INFO, "verify_ok", user=user_id, factor=factor)
            return result
        if result.status not in GUESS_FAILURES:
            self.release(user_id, slot)
            log_event(log, logging.INFO, "verify_failed", user=user_id, factor=factor, status=result.status.value)
            return result
        self.report_failure(user_id, factor, slot.lock_seconds)
        if slot.lock_seconds:
            log_event(
                log, logging.WARNING, "lockout_started", user=user_id, factor=factor, retry_after=slot.lock_seconds
            )
            return VerifyResult(VerifyStatus.LOCKED, result.attempts_left, slot.lock_seconds)
        log_event(log, logging.INFO, "verify_failed", user=user_id, factor=factor, status=result.status.value)
        return result

    def report_failure(self, user_id: int, factor: str, lock_seconds: int) -> None:
        """Tell the listener (the activity log) of a counted wrong guess, and of the lock it started."""
        if self.on_failure is not None:
            self.on_failure(int(user_id), str(factor), int(lock_seconds))

    def release(self, user_id: int, slot: Slot) -> None:
        """Give back a slot whose attempt turned out to be no guess."""
        with redis_fail_closed():
            self._release_script(keys=[lockout_key(user_id)], args=[slot.written])

    def register_failure(self, user_id: int, factor: str = "other") -> VerifyResult:
        """Count one wrong guess made elsewhere: WRONG, or LOCKED once it earns a lock (or while locked)."""
        return self.attempt(user_id, factor, lambda: VerifyResult(VerifyStatus.WRONG))

    def wait(self, user_id: int) -> int:
        """Seconds the user's verifies are locked (0 = not locked)."""
        with redis_fail_closed():
            locked_until = self._redis.hget(lockout_key(user_id), "until")
        return 0 if locked_until is None else whole_seconds(float(locked_until) - self._clock.now())

    def check(self, user_id: int) -> VerifyResult | None:
        """LOCKED (with the wait) while the user is locked, else None; counts nothing."""
        wait = self.wait(user_id)
        return VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=wait) if wait else None

    def clear(self, user_id: int) -> None:
        """Reset the user's consecutive failures and lock (after a success)."""
        with redis_fail_closed():
            self._redis.delete(lockout_key(user_id))
