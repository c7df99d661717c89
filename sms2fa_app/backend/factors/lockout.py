"""The per-user lockout that every second factor goes through.

Consecutive failed guesses across all factors (SMS codes, authenticator codes, recovery codes) lock
the user's verifies from the threshold on: min(base * 2^(failures - threshold), cap) seconds; a
success resets the count. An attempt takes its slot atomically *before* any secret is checked: it
is counted as a failure in advance (and starts the lock it would earn), then settled by what the
check found. A success clears the record; a result that was no guess (nothing to check, a right code
that was already used) gives the slot back; a wrong guess keeps it. So N parallel wrong guesses
evaluate exactly `threshold` of them, and N parallel copies of one right code count no failure.

Slots in flight can make a lock for a moment that their settling undoes (N copies of one right code: the
threshold-th slot locks, the success clears it). An attempt that finds a lock while slots are in flight
therefore waits (up to SETTLE_WAIT_SECONDS) for them to settle before it answers LOCKED: the copies that
lost the race are told the code was used, not "locked" while no lock is left. It never checks a secret
while the lock stands.

The Lua functions are shared with scripts that decide a whole verify in one call (SMS codes).

Record `otp:fail:{user}`: hash n = consecutive failures (reserved ones included), until = locked until
(present only while a lock was earned), g = generation (a success starts a new one: slots taken before
it can neither give back nor lose a failure of the new count). Slots in flight (of any generation; SMS
codes decide in one call and take none) are the sorted set `otp:fail:{user}:slots`, slot id -> when it
was taken: a slot is added when taken and removed when settled, and every script first prunes the ones
older than SETTLE_LEASE_SECONDS, so a slot that never settles (a worker killed mid-check, a Redis error
while settling) stops counting after its lease, whatever other slots come and go after it.

A caller about to make an attempt inside an open database transaction waits for settling slots first
(`await_settled`) and attempts without waiting (`wait=False`): no transaction stays open while it sleeps.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from string import Template
from typing import TypeVar

import redis

from sms2fa_app.backend.factors.results import GUESS_FAILURES, VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.verify_outcomes import FailureListener, record_verify
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.limits import whole_seconds
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

# Failure records are dropped this long after the last failed verify (garbage collection only:
# consecutive failures are reset by a success, not by time).
FAILURE_RECORD_GC_SECONDS = 7 * 24 * 3600
# How long an attempt that meets a lock waits for the slots in flight to settle, and how often it looks again.
SETTLE_WAIT_SECONDS = 3.0
SETTLE_POLL_SECONDS = 0.02
SETTLE_LEASE_SECONDS = 30  # slots in flight older than this (a worker died mid-check) no longer count

T = TypeVar("T")

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
-- The wrong guesses a user has left once `failures` are counted, as every factor tells them: those before the
-- lock, or those on the code (`code_left`, SMS; nil or 0 = no such limit) when fewer; never below 1 while the
-- next try would still be checked. The one computation of "tries left" (Python passes it on).
local function lockout_tries_left(failures, code_left)
  local left = math.max($threshold - failures, 0)
  if code_left and code_left > 0 then
    left = math.min(left, code_left)
  end
  return math.max(left, 1)
end
-- Take a slot: returns (wait, lock, written, generation, failures). wait > 0: locked, nothing counted. Else
-- the attempt is counted as a failure in advance; `lock` is what that failure earns, already in force
-- (until = written); `generation` names the count it was taken from (a success starts a new one);
-- `failures` is the count with this attempt in it.
local function lockout_reserve(key, now)
  local record = redis.call('HMGET', key, 'until', 'g')
  local locked_until = tonumber(record[1])
  if locked_until and locked_until > now then
    return locked_until - now, 0, '', '', 0
  end
  local failures = redis.call('HINCRBY', key, 'n', 1)
  local lock = lockout_seconds(failures)
  local written = ''
  if lock > 0 then
    written = tostring(now + lock)
    redis.call('HSET', key, 'until', written)
  end
  redis.call('EXPIRE', key, $gc)
  return 0, lock, written, record[2] or '0', failures
end
-- Give back a slot whose attempt was no guess: uncount it and drop a lock the count no longer earns.
-- A slot from an earlier generation (a success cleared the count since) has nothing left to give back.
local function lockout_release(key, written, generation)
  if (redis.call('HGET', key, 'g') or '0') ~= generation then
    return
  end
  local failures = tonumber(redis.call('HGET', key, 'n'))
  if not failures then
    return
  end
  failures = failures - 1
  if failures <= 0 then
    redis.call('HDEL', key, 'n')
  else
    redis.call('HSET', key, 'n', failures)
  end
  local locked_until = redis.call('HGET', key, 'until')
  if locked_until and (locked_until == written or lockout_seconds(failures) == 0) then
    redis.call('HDEL', key, 'until')
  end
end
-- The slots in flight (`slots`: slot id -> when taken), after dropping those whose lease is over.
local function lockout_in_flight(slots, now)
  redis.call('ZREMRANGEBYSCORE', slots, '-inf', now - $lease)
  return redis.call('ZCARD', slots)
end
-- True while slots taken by other attempts are in flight: a lock found now may be undone by their settling.
local function lockout_settling(slots, now)
  return lockout_in_flight(slots, now) > 0
end
-- A slot taken by `lockout_reserve` for a check outside this script (Lockout.attempt): in flight until settled.
local function lockout_hold(slots, now, slot_id)
  lockout_in_flight(slots, now)
  redis.call('ZADD', slots, now, slot_id)
  redis.call('EXPIRE', slots, $lease)
end
-- That slot settled (whatever the outcome): no longer in flight ('': no slot was taken).
local function lockout_unhold(slots, now, slot_id)
  if slot_id ~= '' then
    redis.call('ZREM', slots, slot_id)
  end
  lockout_in_flight(slots, now)
end
-- A success: the count starts over in a new generation (so older slots cannot touch the new count).
local function lockout_clear(key)
  redis.call('HDEL', key, 'n', 'until')
  redis.call('HINCRBY', key, 'g', 1)
  redis.call('EXPIRE', key, $gc)
end
-- A wrong guess, settled: the lock now in force for the user. Its slot counted it already, unless a
-- success started a new count since the slot was taken: then it is counted in the new one.
local function lockout_recount(key, now, generation)
  if (redis.call('HGET', key, 'g') or '0') == generation then
    local locked_until = tonumber(redis.call('HGET', key, 'until'))
    if locked_until and locked_until > now then
      return locked_until - now
    end
    return 0
  end
  local failures = redis.call('HINCRBY', key, 'n', 1)
  local lock = lockout_seconds(failures)
  if lock > 0 then
    redis.call('HSET', key, 'until', tostring(now + lock))
  end
  redis.call('EXPIRE', key, $gc)
  return lock
end
""")

# KEYS: record, slots. ARGV: now, slot id. Returns {wait, lock, written, generation, tries left before a lock,
# settling}: settling = '1' when locked while other slots are in flight (try again shortly), else '0'.
_RESERVE_LUA = """
local now = tonumber(ARGV[1])
local wait, lock, written, generation, failures = lockout_reserve(KEYS[1], now)
if wait > 0 then
  return {tostring(wait), '0', '', '', '0', lockout_settling(KEYS[2], now) and '1' or '0'}
end
lockout_hold(KEYS[2], now, ARGV[2])
return {tostring(wait), tostring(lock), written, generation, tostring(lockout_tries_left(failures)), '0'}
"""
# KEYS: record, slots. ARGV: operation (release | clear | recount), now, written, generation, the id of the
# reserved slot that settles (no longer in flight; '': a clear with no slot, by an admin or a deletion).
# Returns a lock.
_SETTLE_LUA = """
lockout_unhold(KEYS[2], tonumber(ARGV[2]), ARGV[5])
if ARGV[1] == 'release' then
  lockout_release(KEYS[1], ARGV[3], ARGV[4])
elseif ARGV[1] == 'clear' then
  lockout_clear(KEYS[1])
else
  return tostring(lockout_recount(KEYS[1], tonumber(ARGV[2]), ARGV[4]))
end
return '0'
"""

# KEYS: record, slots. ARGV: now. Returns '1' while the user is locked and slots in flight may undo the lock.
_SETTLING_LUA = """
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'until'))
if locked_until and locked_until > tonumber(ARGV[1]) and lockout_settling(KEYS[2], tonumber(ARGV[1])) then
  return '1'
end
return '0'
"""


@dataclass(frozen=True)
class LockoutPolicy:
    """The lockout curve (its defaults live in the settings). Only the Lua (`lockout_seconds`) computes it: the
    tests call that function, so no copy can drift from what Redis enforces."""

    threshold: int
    base_seconds: int
    max_seconds: int

    def lua(self) -> str:
        """The shared Lua functions (lockout_seconds, lockout_reserve, lockout_release) for this curve."""
        gc = max(FAILURE_RECORD_GC_SECONDS, 4 * self.max_seconds)
        return _LOCKOUT_LUA.substitute(
            threshold=int(self.threshold),
            base=int(self.base_seconds),
            cap=int(self.max_seconds),
            gc=int(gc),
            lease=SETTLE_LEASE_SECONDS,
        )


@dataclass(frozen=True)
class Slot:
    """A reserved attempt: the lock its failure earns (0 = none), the `until` it wrote, its generation, and the
    wrong guesses the user has left once this one is counted (the Lua's `lockout_tries_left`)."""

    lock_seconds: int
    written: str
    generation: str = "0"
    tries_left: int = 0
    slot_id: str = ""  # its entry among the slots in flight ("": none, as for an admin's clear)


def while_settling(call: Callable[[], T], settling: Callable[[T], bool]) -> T:
    """`call()`, made again while its answer is a lock that slots in flight may still undo (`settling`), for up to
    SETTLE_WAIT_SECONDS; then the answer as it is (a lock that stays is a lock)."""
    deadline = time.monotonic() + SETTLE_WAIT_SECONDS
    answer = call()
    while settling(answer) and time.monotonic() < deadline:
        time.sleep(SETTLE_POLL_SECONDS)
        answer = call()
    return answer


def lockout_key(user_id: int) -> str:
    """The user's failure record."""
    return f"otp:fail:{int(user_id)}"


def lockout_slots_key(user_id: int) -> str:
    """The user's slots in flight (sorted set: slot id -> when taken)."""
    return f"{lockout_key(user_id)}:slots"


class Lockout:
    """Reserve, check, settle: the one way any factor's guess is counted."""

    def __init__(self, client: redis.Redis, clock: Clock, policy: LockoutPolicy):
        self.policy = policy
        # Told of every counted wrong guess (the activity log): see verify_outcomes.FailureListener.
        self.on_failure: FailureListener | None = None
        self._redis = client
        self._clock = clock
        lua = policy.lua()
        self._reserve_script = client.register_script(lua + _RESERVE_LUA)
        self._settle_script = client.register_script(lua + _SETTLE_LUA)
        self._settling_script = client.register_script(lua + _SETTLING_LUA)

    def attempt(
        self, user_id: int, factor: str, check: Callable[[], VerifyResult], *, wait: bool = True
    ) -> VerifyResult:
        """Run `check` inside a reserved slot; LOCKED without calling it while the user is locked. `wait=False`
        answers a lock at once even while slots in flight may undo it (inside a database transaction: the caller
        ran `await_settled` before opening it)."""
        user_id = int(user_id)
        reserved = self.reserve(user_id, wait=wait)
        if isinstance(reserved, VerifyResult):
            self.record(user_id, factor, reserved.status, lock_seconds=reserved.retry_after_seconds)
            return reserved
        try:
            result = check()
        except BaseException:
            self.release(user_id, reserved)
            raise
        return self.settle(user_id, factor, reserved, result)

    def reserve(self, user_id: int, *, wait: bool = True) -> Slot | VerifyResult:
        """Take a slot before checking a secret, or LOCKED (with the wait) while locked; with `wait`, a lock that
        slots in flight may still undo is asked again (up to SETTLE_WAIT_SECONDS) before it is answered."""
        slot_id = secrets.token_hex(8)
        settling = (lambda answer: answer[5] == "1") if wait else (lambda answer: False)
        locked, lock, written, generation, tries_left, _settling = while_settling(
            lambda: self._reserve_once(user_id, slot_id), settling
        )
        if whole_seconds(locked):
            return VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=whole_seconds(locked))
        return Slot(whole_seconds(lock), written or "", str(generation), whole_seconds(tries_left), slot_id)

    def _reserve_once(self, user_id: int, slot_id: str) -> list:
        keys = [lockout_key(user_id), lockout_slots_key(user_id)]
        with redis_fail_closed():
            return list(self._reserve_script(keys=keys, args=[repr(self._clock.now()), slot_id]))

    def await_settled(self, user_id: int) -> None:
        """Wait (up to SETTLE_WAIT_SECONDS) while the user is locked and slots in flight may still undo the lock:
        for a caller about to attempt inside a database transaction (`attempt(wait=False)`), so that it never
        sleeps with the transaction open."""
        keys = [lockout_key(user_id), lockout_slots_key(user_id)]

        def settling_once() -> bool:
            with redis_fail_closed():
                return str(self._settling_script(keys=keys, args=[repr(self._clock.now())])) == "1"

        while_settling(settling_once, bool)

    def settle(self, user_id: int, factor: str, slot: Slot, result: VerifyResult) -> VerifyResult:
        """Clear on success, keep a wrong guess (LOCKED when it earned a lock), give back anything else; then
        record the verify as judged (a later lock does not change what the guess was)."""
        settled, lock = self._settled(user_id, slot, result)
        # this failure earned the lock (parallel failures may only find it in force)
        started = bool(lock and slot.lock_seconds)
        self.record(user_id, factor, result.status, lock_seconds=lock, lock_started=started)
        return settled

    def _settled(self, user_id: int, slot: Slot, result: VerifyResult) -> tuple[VerifyResult, int]:
        """The result to answer, and the lock in force after a counted failure (0 for none)."""
        if result.ok:
            self._settle(user_id, "clear", slot)
            return result, 0
        if result.status not in GUESS_FAILURES:
            self.release(user_id, slot)
            return result, 0
        # the lock in force now (a release may have undone one)
        lock = self._settle(user_id, "recount", slot)
        if lock:
            return VerifyResult(VerifyStatus.LOCKED, result.attempts_left, lock), lock
        if result.status is VerifyStatus.WRONG:
            return replace(result, attempts_left=slot.tries_left), 0
        return result, 0

    def record(
        self,
        user_id: int,
        factor: str,
        status: VerifyStatus,
        *,
        lock_seconds: int = 0,
        lock_started: bool = False,
        **context: object,
    ) -> None:
        """Count and log one verify and tell the listener of a counted failure, the same for every factor
        (verify_outcomes.record_verify)."""
        record_verify(
            user_id,
            factor,
            status,
            lock_seconds=lock_seconds,
            lock_started=lock_started,
            on_failure=self.on_failure,
            **context,
        )

    def release(self, user_id: int, slot: Slot) -> None:
        """Give back a slot whose attempt turned out to be no guess."""
        self._settle(user_id, "release", slot)

    def _settle(self, user_id: int, operation: str, slot: Slot) -> int:
        """Run one settle operation (the slot, if reserved, is no longer in flight); returns the lock in force
        after a recount (whole seconds), else 0."""
        args = [operation, repr(self._clock.now()), slot.written, slot.generation, slot.slot_id]
        keys = [lockout_key(user_id), lockout_slots_key(user_id)]
        with redis_fail_closed():
            return whole_seconds(self._settle_script(keys=keys, args=args))

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
        """Reset the user's consecutive failures and lock (after a success): a new generation begins."""
        self._settle(user_id, "clear", Slot(0, ""))
