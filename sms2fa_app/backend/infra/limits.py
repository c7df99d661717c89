"""Sliding-window limits in Redis, checked and counted atomically in one Lua call.

Each counter is a sorted set of event times. A call either only checks the counters,
only records an event in all of them, or does both at once: when any counter is full,
nothing is recorded anywhere, so a request refused by one limit spends no quota of the others.

A counter may also have a proof-of-work threshold (`pow_at`): once it holds that many events, the next
one is recorded only with a proof of work (infra/pow.py), spent in the same call. A counter whose
`limit` is 0 never refuses by itself: it only measures pressure.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Literal

import redis

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.network import ip_scope
from sms2fa_app.backend.infra.pow import Proof
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

Mode = Literal["check", "hit", "check_and_hit"]

# Lua helpers shared by every script that keeps sliding windows (this module's and the OTP scripts),
# so there is one limiter implementation. Times are seconds from the injected clock, passed in as ARGV.
WINDOW_LUA = """
-- The events in the window (newer than now - window): counted once per call, for every check below. Older ones
-- may linger until window_record trims them: every read here counts by score, never by rank.
local function window_start(window, now)
  return string.format('(%.17g', now - window)  -- exclusive; all the digits Redis gives a number argument
end
local function window_count(key, window, now)
  return redis.call('ZCOUNT', key, window_start(window, now), '+inf')
end
local function window_wait(key, count, limit, window, now)
  if count < limit then
    return nil
  end
  local from = window_start(window, now)
  local blocking = redis.call('ZRANGEBYSCORE', key, from, '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
  return tonumber(blocking[2]) + window - now
end
-- Records one event. One record in eight (by the member's last character, random hex) also drops the events
-- older than the window: a window keeps a few stale events at most, and a send does six ZADDs, not twelve calls.
local function window_record(key, window, now, member)
  redis.call('ZADD', key, now, member)
  redis.call('EXPIRE', key, math.ceil(window) + 1)
  if string.byte(member, -1) % 8 == 0 then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  end
end
-- The first window (1-based) whose count holds at least its pow_at events (0 = none), unless a proof is given
-- and not yet spent; then whether this call spent the proof. A given proof is spent either way: a solution pays
-- for one request.
local function pow_gate(counts, pow_ats, proof_key, proof_ttl)
  local pressed = 0
  for i = 1, #pow_ats do
    if pow_ats[i] > 0 and counts[i] >= pow_ats[i] then
      pressed = i
      break
    end
  end
  local paid = false
  if proof_key ~= '' then
    paid = redis.call('SET', proof_key, '1', 'NX', 'EX', proof_ttl) and true or false
  end
  if paid then
    return 0, true
  end
  return pressed, false
end
"""

_WINDOW_SCRIPT = (
    WINDOW_LUA
    + """
local now = tonumber(ARGV[1])
local mode = ARGV[2]
local member = ARGV[3]
local pow_ats, counts = {}, {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 + 3 * i])
  local window = tonumber(ARGV[4 + 3 * i])
  pow_ats[i] = tonumber(ARGV[5 + 3 * i])
  counts[i] = window_count(key, window, now)
  if mode ~= 'hit' and limit > 0 then
    local wait = window_wait(key, counts[i], limit, window, now)
    if wait then
      return {i, tostring(wait)}
    end
  end
end
local paid = false
if mode == 'check_and_hit' then
  local pressed
  pressed, paid = pow_gate(counts, pow_ats, ARGV[4], tonumber(ARGV[5]))
  if pressed > 0 then
    return {-pressed, '0'}
  end
end
if mode ~= 'check' then
  for i, key in ipairs(KEYS) do
    window_record(key, tonumber(ARGV[4 + 3 * i]), now, member)
  end
end
return {0, paid and '1' or '0'}  -- '1': the given proof was spent by this call
"""
)


@dataclass(frozen=True)
class Counter:
    """One limit: at most `limit` events per `window_seconds` under `key` (0: no limit), and from `pow_at`
    events on (0: never), a proof of work for each further one."""

    key: str
    limit: int
    window_seconds: int
    pow_at: int = 0


def per_ip_and_address(
    scope: str, client_ip: str, address_key: str, per_ip: int, per_address: int, window_seconds: int
) -> list[Counter]:
    """The two counters of a request limited per client IP and per address (`address_key`: a keyed digest of
    the address, never the address), IP first."""
    return [
        Counter(f"{scope}:ip:{ip_scope(client_ip)}", per_ip, window_seconds),
        Counter(f"{scope}:addr:{address_key}", per_address, window_seconds),
    ]


@dataclass(frozen=True)
class LimitReached:
    """The first full counter and how long until it has room."""

    counter: Counter
    retry_after_seconds: int


@dataclass(frozen=True)
class ProofNeeded:
    """Nothing was recorded: `counter` is under pressure and no unspent proof of work came with the event."""

    counter: Counter


Refusal = LimitReached | ProofNeeded


class WindowLimiter:
    """Runs the sliding-window script against a Redis client with an injected clock."""

    def __init__(self, client: redis.Redis, clock: Clock):
        self._client = client
        self._clock = clock
        self._script = client.register_script(_WINDOW_SCRIPT)

    def apply(
        self, counters: list[Counter], mode: Mode, event_id: str | None = None, proof: Proof | None = None
    ) -> Refusal | None:
        """Check and/or record one event (named `event_id`, random by default) in every counter, atomically;
        with check_and_hit, a counter under pressure also needs `proof` (spent here)."""
        args: list[str | int | float] = [
            repr(self._clock.now()),
            mode,
            event_id or uuid.uuid4().hex,
            proof.key if proof else "",
            proof.ttl_seconds if proof else 0,
        ]
        for counter in counters:
            args += [counter.limit, counter.window_seconds, counter.pow_at]
        with redis_fail_closed():
            index, wait = self._script(keys=[c.key for c in counters], args=args)
        return window_verdict(counters, int(index), wait)[0]

    def check(self, counters: list[Counter]) -> LimitReached | None:
        """The first full counter, recording nothing (pressure is not checked)."""
        reached = self.apply(counters, "check")
        return reached if isinstance(reached, LimitReached) else None

    def hit(self, counters: list[Counter]) -> None:
        """Record one event in every counter, whatever their state."""
        self.apply(counters, "hit")

    def check_and_hit(self, counters: list[Counter], proof: Proof | None = None) -> Refusal | None:
        """Record one event in every counter only if none is full (and pressure is paid for)."""
        return self.apply(counters, "check_and_hit", proof=proof)

    def reserve(self, counters: list[Counter], proof: Proof | None = None) -> tuple[Refusal | None, str]:
        """Take a slot in every counter before doing the work they limit; `release` gives it back.

        Counting first closes the race where parallel attempts all pass a check before any is counted.
        """
        event_id = uuid.uuid4().hex
        return self.apply(counters, "check_and_hit", event_id, proof), event_id

    def release(self, counters: list[Counter], event_id: str) -> None:
        """Give back a slot taken by `reserve` (the limited thing turned out fine)."""
        with redis_fail_closed():
            for counter in counters:
                self._client.zrem(counter.key, event_id)

    def clear(self, counters: list[Counter]) -> None:
        """Forget the events of these counters."""
        with redis_fail_closed():
            self._client.delete(*[c.key for c in counters])

    def clear_and_release(self, cleared: list[Counter], released: list[Counter], event_id: str) -> None:
        """`clear(cleared)` and `release(released, event_id)` in one round trip (a right password does both)."""
        with redis_fail_closed():
            pipeline = self._client.pipeline(transaction=False)
            pipeline.delete(*[c.key for c in cleared])
            for counter in released:
                pipeline.zrem(counter.key, event_id)
            pipeline.execute()


def window_verdict(counters: list[Counter], index: int, detail: object) -> tuple[Refusal | None, bool]:
    """A window script's answer {index, detail} (this module's and bucket_windows'): 0 and whether the proof was
    spent ('1'), i > 0 and the wait of full counter i, or -i for counter i under pressure without a proof."""
    text = detail.decode() if isinstance(detail, bytes) else str(detail)
    if index == 0:
        return None, text == "1"
    if index < 0:
        return ProofNeeded(counters[-index - 1]), False
    return LimitReached(counters[index - 1], max(1, math.ceil(float(text)))), False


def whole_seconds(value: object) -> int:
    """A wait from Lua (a number, maybe as text) rounded up to whole seconds; 0 when nothing is left."""
    wait = float(value)  # type: ignore[arg-type]
    return max(1, math.ceil(wait)) if wait > 0 else 0
