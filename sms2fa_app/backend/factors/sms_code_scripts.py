"""Lua scripts of the OTP service: each operation is one atomic Redis call.

Times come from the injected clock as ARGV (seconds, float); Redis TTLs only collect garbage. The
policy's fixed numbers (TTLs, lockout curve) are written into the script text when the service starts;
the windows of a send depend on its channel and destination country, so each call carries them.

Records:
  otp:code:{purpose}:{user}:{session}  hash  h = HMAC(code + binding), p = HMAC(phone), a = wrong tries, exp;
                                       once accepted only h and u = when it would have expired (a copy of
                                       the right code that lost the race is told "already used")
  otp:fail:{user}                      the lockout's record (lockout.py)
  otp:fail:{user}:slots                zset  the lockout's slots in flight (lockout.py)
  otp:proof:{user}:{session}           string "{expires_at}:{HMAC(phone)}"
  otp:cooldown:{user}, otp:sends:*,    sliding windows (limits.WINDOW_LUA)
  otp:calls:*
  otp:country-block:{region}           string "{blocked_until}" while a country is blocked
  pow:spent:{nonce}                    a spent proof of work (limits.WINDOW_LUA's pow_gate)
"""

from __future__ import annotations

from string import Template

from sms2fa_app.backend.infra.limits import WINDOW_LUA

# Extra seconds a record outlives its logical expiry in Redis, so GC never beats the clock's decision.
GC_MARGIN_SECONDS = 5

# KEYS: code, country block, then the windows (sms_policy.send_windows: cooldown first). ARGV: now, member,
# code digest ('' = count the send, keep the pending code), phone digest, proof key ('' = none), proof TTL,
# position of the country window, block seconds,
# then (limit, window seconds, pow_at) per window. Nothing is written on a refusal. Returns
#   {'ok', '0', blocked}  the send is counted everywhere and the code stored; blocked = 1 when this send
#                         reached the country's cap and blocked the country (raise the alert once)
#   {'full', wait, i}     window i (1 = the cooldown) is full
#   {'blocked', wait, 0}  the destination country is blocked (or its window is still full after a block)
#   {'proof', '0', i}     window i is under pressure and no unspent proof of work came with the request
# Running it twice with the same member (a client retry after a lost reply) is a success.
_REQUEST_LUA = Template("""
local now = tonumber(ARGV[1])
local member = ARGV[2]
local country = tonumber(ARGV[7])
local block_seconds = tonumber(ARGV[8])
local limits, windows, pow_ats, counts = {}, {}, {}, {}
for i = 1, #KEYS - 2 do
  limits[i] = tonumber(ARGV[6 + 3 * i])
  windows[i] = tonumber(ARGV[7 + 3 * i])
  pow_ats[i] = tonumber(ARGV[8 + 3 * i])
end
if redis.call('ZSCORE', KEYS[3], member) then
  return {'ok', '0', 0}
end
local blocked_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked_until > now then
  return {'blocked', tostring(blocked_until - now), 0}
end
for i = 1, #limits do
  local key = KEYS[i + 2]
  counts[i] = window_count(key, windows[i], now)
  local wait = window_wait(key, counts[i], limits[i], windows[i], now)
  if wait then
    if i == country then
      return {'blocked', tostring(wait), 0}
    end
    return {'full', tostring(wait), i}
  end
end
local pressed = pow_gate(counts, pow_ats, ARGV[5], tonumber(ARGV[6]))
if pressed > 0 then
  return {'proof', '0', pressed}
end
for i = 1, #limits do
  window_record(KEYS[i + 2], windows[i], now, member)
end
if ARGV[3] ~= '' then -- no code digest: a fallback text of the pending code (code_fallback.py), nothing to store
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'h', ARGV[3], 'p', ARGV[4], 'a', 0, 'exp', tostring(now + $ttl))
  redis.call('EXPIRE', KEYS[1], $code_gc)
end
if counts[country] + 1 >= limits[country] then -- this send is in the country's window now
  redis.call('SET', KEYS[2], tostring(now + block_seconds), 'EX', math.ceil(block_seconds) + $gc)
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
# Needs the lockout's Lua functions (lockout.LockoutPolicy.lua) before it: the attempt takes its lockout
# slot first, so deciding is one atomic call. Returns {status, attempts_left, wait}; status is ok | wrong |
# too_many | expired | used (the right code, accepted before: a replay or a parallel copy that lost the race;
# no guess, the slot is given back) | busy (locked while another factor's slots are in flight: ask again) |
# locked (the code was not tried) | locked_now (this wrong try started a lock;
# attempts_left is what the code has left). For `wrong`, attempts_left is the tries the user really has:
# those on the code or those before the lockout, whichever run out first.
_VERIFY_LUA = Template("""
local now = tonumber(ARGV[1])
local wait, lock, written, generation, failures = lockout_reserve(KEYS[2], now)
if wait > 0 then
  if lockout_settling(KEYS[4], now) then
    return {'busy', 0, tostring(wait)}
  end
  return {'locked', 0, tostring(wait)}
end
local record = redis.call('HMGET', KEYS[1], 'h', 'p', 'a', 'exp', 'u')
if record[5] then
  lockout_release(KEYS[2], written, generation)
  if record[1] == ARGV[2] and tonumber(record[5]) > now then
    return {'used', 0, '0'}
  end
  return {'expired', 0, '0'}
end
if not record[1] or tonumber(record[4]) <= now then
  redis.call('DEL', KEYS[1])
  lockout_release(KEYS[2], written, generation)
  return {'expired', 0, '0'}
end
if record[1] == ARGV[2] then
  redis.call('HDEL', KEYS[1], 'p', 'a', 'exp', 'w', 'wt')
  redis.call('HSET', KEYS[1], 'u', record[4])
  lockout_clear(KEYS[2])
  if ARGV[3] == '1' then
    redis.call('SET', KEYS[3], tostring(now + $proof_ttl) .. ':' .. record[2], 'EX', $proof_gc)
  end
  return {'ok', 0, '0'}
end
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


def request_script(ttl: int) -> str:
    """The request script for this code TTL (the windows come with each call)."""
    body = _REQUEST_LUA.substitute(ttl=int(ttl), code_gc=int(ttl) + GC_MARGIN_SECONDS, gc=GC_MARGIN_SECONDS)
    return WINDOW_LUA + body


def verify_script(*, max_attempts: int, proof_ttl: int) -> str:
    """The verify script's body for this attempt limit and proof TTL (prefix it with the lockout's Lua)."""
    return _VERIFY_LUA.substitute(
        max_attempts=int(max_attempts), proof_ttl=int(proof_ttl), proof_gc=int(proof_ttl) + GC_MARGIN_SECONDS
    )
