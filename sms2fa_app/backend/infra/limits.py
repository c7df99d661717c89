"""Sliding-window limits in Redis, checked and counted atomically in one Lua call.

Each counter is a sorted set of event times. A call either only checks the counters,
only records an event in all of them, or does both at once: when any counter is full,
nothing is recorded anywhere, so a request refused by one limit spends no quota of the others.
"""

from __future__ import annotations

import ipaddress
import math
import uuid
from dataclasses import dataclass
from typing import Literal

import redis

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

Mode = Literal["check", "hit", "check_and_hit"]

# Lua helpers shared by every script that keeps sliding windows (this module's and the OTP scripts),
# so there is one limiter implementation. Times are seconds from the injected clock, passed in as ARGV.
WINDOW_LUA = """
local function window_prune(key, window, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
end
local function window_wait(key, limit, window, now)
  local count = redis.call('ZCARD', key)
  if count < limit then
    return nil
  end
  local blocking = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  return tonumber(blocking[2]) + window - now
end
local function window_record(key, window, now, member)
  redis.call('ZADD', key, now, member)
  redis.call('EXPIRE', key, math.ceil(window) + 1)
end
"""

_WINDOW_SCRIPT = (
    WINDOW_LUA
    + """
local now = tonumber(ARGV[1])
local mode = ARGV[2]
local member = ARGV[3]
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 + 2 * i])
  local window = tonumber(ARGV[3 + 2 * i])
  window_prune(key, window, now)
  if mode ~= 'hit' then
    local wait = window_wait(key, limit, window, now)
    if wait then
      return {i, tostring(wait)}
    end
  end
end
if mode ~= 'check' then
  for i, key in ipairs(KEYS) do
    window_record(key, tonumber(ARGV[3 + 2 * i]), now, member)
  end
end
return {0, '0'}
"""
)


def ip_scope(client_ip: str) -> str:
    """What a per-IP limit counts by: an IPv4 address, or the /64 network of an IPv6 one (a subscriber gets a
    whole /64, so counting single addresses would give one client 2**64 buckets); "unknown" without an address."""
    try:
        address = ipaddress.ip_address((client_ip or "").strip())
    except ValueError:
        return (client_ip or "").strip()[:64] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(frozen=True)
class Counter:
    """One limit: at most `limit` events per `window_seconds` under `key`."""

    key: str
    limit: int
    window_seconds: int


@dataclass(frozen=True)
class LimitReached:
    """The first full counter and how long until it has room."""

    counter: Counter
    retry_after_seconds: int


class WindowLimiter:
    """Runs the sliding-window script against a Redis client with an injected clock."""

    def __init__(self, client: redis.Redis, clock: Clock):
        self._client = client
        self._clock = clock
        self._script = client.register_script(_WINDOW_SCRIPT)

    def apply(self, counters: list[Counter], mode: Mode, event_id: str | None = None) -> LimitReached | None:
        """Check and/or record one event (named `event_id`, random by default) in every counter, atomically."""
        args: list[str | int | float] = [repr(self._clock.now()), mode, event_id or uuid.uuid4().hex]
        for counter in counters:
            args += [counter.limit, counter.window_seconds]
        with redis_fail_closed():
            index, wait = self._script(keys=[c.key for c in counters], args=args)
        if int(index) == 0:
            return None
        return LimitReached(counters[int(index) - 1], max(1, math.ceil(float(wait))))

    def check(self, counters: list[Counter]) -> LimitReached | None:
        """The first full counter, recording nothing."""
        return self.apply(counters, "check")

    def hit(self, counters: list[Counter]) -> None:
        """Record one event in every counter, whatever their state."""
        self.apply(counters, "hit")

    def check_and_hit(self, counters: list[Counter]) -> LimitReached | None:
        """Record one event in every counter only if none is full."""
        return self.apply(counters, "check_and_hit")

    def reserve(self, counters: list[Counter]) -> tuple[LimitReached | None, str]:
        """Take a slot in every counter before doing the work they limit; `release` gives it back.

        Counting first closes the race where parallel attempts all pass a check before any is counted.
        """
        event_id = uuid.uuid4().hex
        return self.apply(counters, "check_and_hit", event_id), event_id

    def release(self, counters: list[Counter], event_id: str) -> None:
        """Give back a slot taken by `reserve` (the limited thing turned out fine)."""
        with redis_fail_closed():
            for counter in counters:
                self._client.zrem(counter.key, event_id)

    def clear(self, counters: list[Counter]) -> None:
        """Forget the events of these counters."""
        with redis_fail_closed():
            self._client.delete(*[c.key for c in counters])


def whole_seconds(value: object) -> int:
    """A wait from Lua (a number, maybe as text) rounded up to whole seconds; 0 when nothing is left."""
    wait = float(value)  # type: ignore[arg-type]
    return max(1, math.ceil(wait)) if wait > 0 else 0
