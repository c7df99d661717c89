"""Lua scripts of the OTP service: each operation is one atomic Redis call.

Times come from the injected clock as ARGV (seconds, float); Redis TTLs only collect garbage. The
policy's fixed numbers (TTLs, lockout curve) are written into the script text when the service starts;
the windows of a send depend on its channel and destination country, so each call carries them.

Records:
  otp:code:{purpose}:{user}:{session}  hash  h = HMAC(code + binding), p = HMAC(phone), a = wrong tries, exp,
                                       u = '', w = wt = '' (every field written by a send, so no DEL first; w and
                                       wt: a WhatsApp code's sealed copy, code_fallback.py); once accepted
                                       only h and u = when it would have expired (a copy of the right code that
                                       lost the race is told "already used")
  otp:fail:{user}                      the lockout's record (lockout.py)
  otp:fail:{user}:slots                zset  the lockout's slots in flight (lockout.py)
  otp:proof:{user}:{session}           string "{expires_at}:{HMAC(phone)}"
  otp:cooldown:{purpose}:{user}[:...]  zset  the resend cooldown, an exact sliding window: a failed send takes
                                       its own entry back
  otp:sends:*, otp:calls:*             hash  the hourly windows, bucketed (infra/bucket_windows.py)
  otp:country-block:{region}           string "{blocked_until}" while a country is blocked
  pow:spent:{nonce}                    a spent proof of work (limits.WINDOW_LUA's pow_gate)
"""

from __future__ import annotations

from dataclasses import replace
from string import Template

import redis

from sms2fa_app.backend.factors.sms_policy import OtpPolicy, SendRefused, SendWindows
from sms2fa_app.backend.infra.bucket_windows import BUCKET_LUA, proof_argument, window_spec
from sms2fa_app.backend.infra.limits import WINDOW_LUA
from sms2fa_app.backend.infra.pow import Proof
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

# Extra seconds a record outlives its logical expiry in Redis, so GC never beats the clock's decision.
GC_MARGIN_SECONDS = 5

# KEYS: code, country block, then the windows (sms_policy.send_windows: the cooldown first, a sorted set, unless
# the send has none; the others bucketed, bucket_windows.py). ARGV: now, member, code digest ('' = count the send,
# keep the pending code: a WhatsApp code's text instead), phone digest, proof ('' = none, else "{ttl}:{key}"),
# position of the country window, the windows' "limit,window seconds,pow_at" joined by ';' (window_spec), and the
# first bucketed window (2: window 1 is the cooldown; 1: no cooldown). Few arguments on purpose: the client encodes
# each one (redis-py, about 1.3 µs each), and this call used to carry 34. Nothing is written on a refusal. Returns
#   {'ok', '0', blocked}  the send is counted everywhere and the code stored; blocked = 1 when this send
#                         reached the country's cap and blocked the country (raise the alert once)
#   {'full', wait, i}     window i (1 = the cooldown) is full
#   {'blocked', wait, 0}  the destination country is blocked (or its window is still full after a block)
#   {'proof', '0', i}     window i is under pressure and no unspent proof of work came with the request
# Running it twice with the same member (a client retry after a lost reply) is a success.
# Its work, per send: one read per window (the cooldown's whole set, which also answers the retry and its wait;
# a bucketed window's hash), the country's block, one write per window (an EXPIRE only with a new bucket), and
# the code's HSET + EXPIRE (every field is written, the WhatsApp fallback's emptied, so no DEL): no ZADD into
# hour-long sets, no TIME, no cjson. The bucketed windows' check and count are bucket_windows' (lookups use them).
_REQUEST_LUA = Template("""
local now = tonumber(ARGV[1])
local member = ARGV[2]
local proof_ttl, proof_key = string.match(ARGV[5], '^(%d+):(.+)$$')
local country = tonumber(ARGV[6])
local limits, windows, pow_ats = window_specs(ARGV[7])
local first = tonumber(ARGV[8])
local counts, stales, entries, live = {}, {}, {}, {}
if first == 2 then
  entries = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES') -- by time, oldest first
  for j = 1, #entries, 2 do
    if entries[j] == member then
      return {'ok', '0', 0}
    end
    local at = tonumber(entries[j + 1])
    if at > now - windows[1] then
      live[#live + 1] = at
    end
  end
end
local blocked_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked_until > now then
  return {'blocked', tostring(blocked_until - now), 0}
end
if first == 2 then
  if #live >= limits[1] then -- room once all but limit - 1 of them are older than the cooldown
    return {'full', tostring(live[#live - limits[1] + 1] + windows[1] - now), 1}
  end
  counts[1] = #live
end
local full, wait = buckets_check(first, 2, limits, windows, now, counts, stales)
if full == country then
  return {'blocked', tostring(wait), 0}
elseif full then
  return {'full', tostring(wait), full}
end
local pressed = pow_gate(counts, pow_ats, proof_key or '', tonumber(proof_ttl))
if pressed > 0 then
  return {'proof', '0', pressed}
end
if first == 2 then
  redis.call('ZADD', KEYS[3], now, member)
  redis.call('EXPIRE', KEYS[3], math.ceil(windows[1]) + 1)
  if #entries > 2 * #live then -- entries older than the cooldown: drop them
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - windows[1])
  end
end
buckets_record_all(first, 2, windows, now, stales)
if ARGV[3] ~= '' then -- a new code: every field written, the previous code's WhatsApp fallback ('w', 'wt') emptied
  redis.call('HSET', KEYS[1], 'h', ARGV[3], 'p', ARGV[4], 'a', 0, 'exp', tostring(now + $ttl), 'u', '',
    'w', '', 'wt', '')
  redis.call('EXPIRE', KEYS[1], $code_gc)
end
if counts[country] + 1 >= limits[country] then -- this send is in the country's window now
  redis.call('SET', KEYS[2], tostring(now + $block_seconds), 'EX', $block_gc)
  return {'ok', '0', 1}
end
return {'ok', '0', 0}
""")

# A failed send: drop the code (only if it is still ours) and the cooldown entry. Quotas stay spent.
# KEYS: code, cooldown. ARGV: code digest, member.
ROLLBACK_SCRIPT = """
if redis.call('HGET', KEYS[1], 'h') == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
"""

# KEYS: code, failures, proof, the lockout's slots in flight. ARGV: now, code digest, '1' to issue the
# enrollment proof on success.
# Needs the lockout's Lua functions (lockout.LockoutPolicy.lua) before it; deciding is one atomic call, so only
# a wrong guess takes its lockout slot (counted as a failure), after the lock was checked: a right, used or expired
# code writes nothing to the lockout, and a success clears it only when it holds a count or a lock (a slot in
# flight holds a count: with none, clearing would change nothing). Before, every try took a slot first and gave
# it back, and every success cleared: a right code's check ran 9 commands, now 4.
# Returns {status, attempts_left, wait}; status is ok | wrong |
# too_many | expired | used (the right code, accepted before: a replay or a parallel copy that lost the race;
# no guess, nothing counted) | busy (locked while another factor's slots are in flight: ask again) |
# locked (the code was not tried) | locked_now (this wrong try started a lock;
# attempts_left is what the code has left). For `wrong`, attempts_left is the tries the user really has:
# those on the code or those before the lockout, whichever run out first.
_VERIFY_LUA = Template("""
local now = tonumber(ARGV[1])
local lockout = redis.call('HMGET', KEYS[2], 'until', 'n')
local locked_until = tonumber(lockout[1])
if locked_until and locked_until > now then
  if lockout_settling(KEYS[4], now) then
    return {'busy', 0, tostring(locked_until - now)}
  end
  return {'locked', 0, tostring(locked_until - now)}
end
local record = redis.call('HMGET', KEYS[1], 'h', 'p', 'a', 'exp', 'u')
if record[5] and record[5] ~= '' then
  if record[1] == ARGV[2] and tonumber(record[5]) > now then
    return {'used', 0, '0'}
  end
  return {'expired', 0, '0'}
end
if not record[1] or tonumber(record[4]) <= now then
  redis.call('DEL', KEYS[1])
  return {'expired', 0, '0'}
end
if record[1] == ARGV[2] then
  redis.call('HDEL', KEYS[1], 'p', 'a', 'exp', 'w', 'wt')
  redis.call('HSET', KEYS[1], 'u', record[4])
  if lockout[1] or lockout[2] then -- no count and no lock: no slot of this generation is in flight, nothing to clear
    lockout_clear(KEYS[2])
  end
  if ARGV[3] == '1' then
    redis.call('SET', KEYS[3], tostring(now + $proof_ttl) .. ':' .. record[2], 'EX', $proof_gc)
  end
  return {'ok', 0, '0'}
end
local _, lock, _, _, failures = lockout_reserve(KEYS[2], now) -- not locked: checked above, in this same call
local status = 'wrong'
local left = $max_attempts - redis.call('HINCRBY', KEYS[1], 'a', 1)
if left <= 0 then
  redis.call('DEL', KEYS[1])
  status = 'too_many'
  left = 0
end
if lock > 0 then
  return {'locked_now', left, tostring(lock)}
end
if status == 'wrong' then
  left = lockout_tries_left(failures, left)
end
return {status, left, '0'}
""")


def request_script(ttl: int, block_seconds: int) -> str:
    """The request script for this code TTL and country block (the windows come with each call)."""
    body = _REQUEST_LUA.substitute(
        ttl=int(ttl),
        code_gc=int(ttl) + GC_MARGIN_SECONDS,
        block_seconds=int(block_seconds),
        block_gc=int(block_seconds) + GC_MARGIN_SECONDS,
    )
    return WINDOW_LUA + BUCKET_LUA + body


def verify_script(*, max_attempts: int, proof_ttl: int) -> str:
    """The verify script's body for this attempt limit and proof TTL (prefix it with the lockout's Lua)."""
    return _VERIFY_LUA.substitute(
        max_attempts=int(max_attempts), proof_ttl=int(proof_ttl), proof_gc=int(proof_ttl) + GC_MARGIN_SECONDS
    )


class SendScripts:
    """The send's two scripts, registered once, with their arguments encoded as the Lua reads them."""

    def __init__(self, client: redis.Redis, policy: OtpPolicy):
        self._request = client.register_script(request_script(policy.ttl_seconds, policy.country_block_seconds))
        self._rollback = client.register_script(ROLLBACK_SCRIPT)

    def spend(
        self,
        windows: SendWindows,
        code: tuple[str, str, str],
        proof: Proof | None,
        member: str,
        now: float,
        *,
        prepaid: bool = False,
    ) -> tuple[SendRefused | None, bool]:
        """Check and count one send in every window and store its code (`code`: key, digest ('' keeps the pending
        code), phone digest): the refusal or None, and whether this send blocked the country. `prepaid` passes the
        pressure gate once (the request's line check spent its proof); `proof` is checked already."""
        counters = [replace(c, pow_at=0) for c in windows.counters] if prepaid else windows.counters
        args: list[str | int] = [
            repr(now),
            member,
            code[1],
            code[2],
            proof_argument(proof),
            windows.country_index + 1,
            window_spec(counters),
            2 if windows.has_cooldown else 1,  # the first bucketed window
        ]
        keys = [code[0], windows.country_block_key, *[counter.key for counter in counters]]
        with redis_fail_closed():
            verdict, wait, detail = self._request(keys=keys, args=args)
        return windows.refusal(verdict, wait, int(detail)), verdict == "ok" and int(detail) == 1

    def rollback(self, code_key: str, cooldown_key: str, code_digest: str, member: str) -> None:
        """A failed send: drop its code (if still this one) and its cooldown entry; quotas stay spent."""
        with redis_fail_closed():
            self._rollback(keys=[code_key, cooldown_key], args=[code_digest, member])
