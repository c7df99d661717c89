"""Bucketed send windows: an hour's sends per user, number, IP, country or in total, as counts per sub-window.

A sorted set per window (limits.WINDOW_LUA) holds one entry per event: exact, but every send paid a ZADD into
windows that grow with the traffic (the global and country windows hold every send of the hour) and an EXPIRE
each. The send windows never give one send back (quotas stay spent, sms_codes.py), so they need no entry per
event: a window is one hash, field = bucket number (floor(now / bucket), a bucket being window / BUCKETS
seconds), value = the events in that bucket. A read is one HGETALL, a record one HINCRBY (plus an EXPIRE and the
HDEL of stale buckets only when a new bucket starts).

How exact it is. At time `now`, in bucket K, a window counts buckets K - BUCKETS .. K: the span
[(K - BUCKETS) * bucket, now], which always contains the exact sliding span (now - window, now], because
K * bucket <= now. So the count never misses an event of the last `window` seconds, and a cap is never exceeded
over ANY span of `window` seconds: the margin over the cap is 0, and no timing of bucket edges helps an attacker
(a burst at the end of a bucket is counted in full until window + bucket seconds after that bucket started).
It errs the strict way only: it also counts the events of the oldest bucket that are already older than
`window`, at most one bucket's worth (bucket = window / 12: 5 minutes of an hour). So a client refused at a cap
waits at most one bucket longer than with an exact sliding window; the wait the script answers is exact for
this model (when enough of the oldest buckets stop being counted). Thresholds (pow_at) are counted the same way.

The resend cooldown stays a sorted set (limits.WINDOW_LUA): a failed send gives its own entry back.

A billed Plivo Lookup counts in the same windows as a send (factors/line_checks.py): BucketLimiter runs the same
check (buckets_check), pressure gate (limits.WINDOW_LUA's pow_gate) and count (buckets_record_all) as the send
script, in one atomic call, so lookups and sends add up under one rule and parallel requests cannot pass a cap.
"""

from __future__ import annotations

import math
from typing import Literal

import redis

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.limits import WINDOW_LUA, Counter, LimitReached, Refusal, window_verdict
from sms2fa_app.backend.infra.pow import Proof
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

# Buckets per window: one bucket of over-count at most (5 minutes of an hour) for 13 hash fields to read.
BUCKETS = 12

# Lua helpers of the bucketed windows (times: seconds from the injected clock, as ARGV).
BUCKET_LUA = (
    f"""
local BUCKETS = {BUCKETS}
-- A window still kept as a sorted set of event times (the layout before the buckets: an upgrade within the hour)
-- becomes its hash, each event counted in its own bucket, so no send of the last hour is forgotten.
-- A window's lifetime only ever grows: a worker whose clock lags (skew, an NTP step) may create an older bucket, and
-- must not cut short the life the newest bucket needs (its sends would be forgotten early).
local function buckets_keep_until(key, seconds)
  if redis.call('TTL', key) < seconds then
    redis.call('EXPIRE', key, seconds)
  end
end
local function buckets_from_sorted_set(key, window, now)
  local size = window / BUCKETS
  local events = redis.call('ZRANGEBYSCORE', key, string.format('(%.17g', now - window), '+inf', 'WITHSCORES')
  redis.call('DEL', key)
  local newest = nil
  for j = 2, #events, 2 do
    newest = math.floor(tonumber(events[j]) / size)
    redis.call('HINCRBY', key, newest, 1)
  end
  if newest then
    buckets_keep_until(key, math.ceil((newest + BUCKETS + 1) * size - now) + 1)
  end
  return redis.call('HGETALL', key)
end
-- The window's events and the hash as read ({{field, count, ...}}), plus the fields too old to count.
local function buckets_count(key, window, now)
  local oldest = math.floor(now / (window / BUCKETS)) - BUCKETS
  local flat = redis.pcall('HGETALL', key)
  if flat.err then
    flat = buckets_from_sorted_set(key, window, now)
  end
  local count, stale = 0, {{}}
  for j = 1, #flat, 2 do
    if tonumber(flat[j]) >= oldest then
      count = count + tonumber(flat[j + 1])
    else
      stale[#stale + 1] = flat[j]
    end
  end
  return count, flat, stale
end
-- Seconds until the window holds fewer than `limit` events (nil: it does now; a limit of 0: no limit).
-- The oldest counted buckets drop out first, each when its own start is window + bucket seconds past.
local function buckets_wait(flat, count, limit, window, now)
  if limit <= 0 or count < limit then
    return nil
  end
  local size = window / BUCKETS
  local oldest = math.floor(now / size) - BUCKETS
  local live = {{}}
  for j = 1, #flat, 2 do
    local bucket = tonumber(flat[j])
    if bucket >= oldest then
      live[#live + 1] = {{bucket, tonumber(flat[j + 1])}}
    end
  end
  table.sort(live, function(a, b) return a[1] < b[1] end)
  for _, entry in ipairs(live) do
    count = count - entry[2]
    if count < limit then
      return (entry[1] + BUCKETS + 1) * size - now
    end
  end
  return window
end
-- Records one event. A new bucket also sets the hash's lifetime (until its newest bucket stops counting)
-- and drops the buckets too old to count (`stale`, from buckets_count in the same call).
local function buckets_record(key, window, now, stale)
  local size = window / BUCKETS
  local current = math.floor(now / size)
  if redis.call('HINCRBY', key, current, 1) == 1 then
    buckets_keep_until(key, math.ceil((current + BUCKETS + 1) * size - now) + 1)
    if #stale > 0 then
      redis.call('HDEL', key, unpack(stale))
    end
  end
end
"""
    + """
-- The windows of one call, from their spec (window_spec): limit, window seconds and pow_at per window.
local function window_specs(spec)
  local limits, windows, pow_ats = {}, {}, {}
  for limit, window, pow_at in string.gmatch(spec, '(%d+),(%d+),(%d+)') do
    local i = #limits + 1
    limits[i], windows[i], pow_ats[i] = tonumber(limit), tonumber(window), tonumber(pow_at)
  end
  return limits, windows, pow_ats
end
-- The one check of the bucketed windows first..#limits (window i's key: KEYS[i + offset]): fills counts and
-- stales, and stops at the first full window: its index and wait (nil when none is full).
local function buckets_check(first, offset, limits, windows, now, counts, stales)
  for i = first, #limits do
    local flat
    counts[i], flat, stales[i] = buckets_count(KEYS[i + offset], windows[i], now)
    local wait = buckets_wait(flat, counts[i], limits[i], windows[i], now)
    if wait then
      return i, wait
    end
  end
  return nil, nil
end
-- Counts one event in the windows buckets_check read (first..#windows), dropping their stale buckets.
local function buckets_record_all(first, offset, windows, now, stales)
  for i = first, #windows do
    buckets_record(KEYS[i + offset], windows[i], now, stales[i])
  end
end
"""
)

# KEYS: the windows. ARGV: now, 'check' (read only, no pressure) or 'spend' (check, pressure gate, count), the proof
# (proof_argument), the windows' spec (window_spec). Returns {0, paid} (paid = '1': this call spent the proof),
# {i, wait} when window i is full, {-i, '0'} when window i is under pressure and no unspent proof came.
_LIMITER_SCRIPT = (
    WINDOW_LUA
    + BUCKET_LUA
    + """
local now = tonumber(ARGV[1])
local limits, windows, pow_ats = window_specs(ARGV[4])
local counts, stales = {}, {}
local full, wait = buckets_check(1, 0, limits, windows, now, counts, stales)
if full then
  return {full, tostring(wait)}
end
if ARGV[2] == 'check' then
  return {0, '0'}
end
local proof_ttl, proof_key = string.match(ARGV[3], '^(%d+):(.+)$')
local pressed, paid = pow_gate(counts, pow_ats, proof_key or '', tonumber(proof_ttl))
if pressed > 0 then
  return {-pressed, '0'}
end
buckets_record_all(1, 0, windows, now, stales)
return {0, paid and '1' or '0'}
"""
)


def window_spec(counters: list[Counter]) -> str:
    """Windows as the bucketed scripts read them: "limit,window,pow_at" per window, ';' between (one argument:
    redis-py encodes each argument, about 1.3 µs apiece)."""
    return ";".join(f"{c.limit},{c.window_seconds},{c.pow_at}" for c in counters)


def proof_argument(proof: Proof | None) -> str:
    """A checked proof of work as the bucketed scripts read it: "{ttl}:{key}", '' for none."""
    return f"{proof.ttl_seconds}:{proof.key}" if proof else ""


class BucketLimiter:
    """Checks, or checks and counts, one event (a billed lookup) in bucketed send windows, atomically: the send
    script's rule for the windows it shares with sends (sms_policy.pressure_windows)."""

    def __init__(self, client: redis.Redis, clock: Clock):
        self._clock = clock
        self._script = client.register_script(_LIMITER_SCRIPT)

    def check(self, counters: list[Counter]) -> LimitReached | None:
        """The first full window, counting nothing (pressure is not checked)."""
        reached, _paid = self._run(counters, "check", None)
        return reached if isinstance(reached, LimitReached) else None

    def check_and_spend(self, counters: list[Counter], proof: Proof | None) -> tuple[Refusal | None, bool]:
        """Count one event in every window unless one is full or under pressure without an unspent `proof`, and
        whether this call spent `proof` (it then pays for the send that follows in the same request, once)."""
        return self._run(counters, "spend", proof)

    def _run(self, counters: list[Counter], mode: Literal["check", "spend"], proof: Proof | None):
        args = [repr(self._clock.now()), mode, proof_argument(proof), window_spec(counters)]
        with redis_fail_closed():
            index, detail = self._script(keys=[c.key for c in counters], args=args)
        return window_verdict(counters, int(index), detail)


def bucket_of(now: float, window_seconds: float) -> int:
    """The bucket (hash field) an event at `now` is counted in: the one definition beside the Lua's."""
    return math.floor(now / (window_seconds / BUCKETS))
