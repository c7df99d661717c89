"""Lua scripts of the OTP service: each operation is one atomic Redis call.

All times come from the injected clock as ARGV (seconds, float); Redis TTLs only collect garbage.
Records:
  otp:code:{purpose}:{user}:{session}  hash  h = HMAC(code + binding), p = HMAC(phone), a = wrong tries, exp
  otp:fail:{user}                      hash  n = consecutive failed verifies, until = locked until
  otp:proof:{user}:{session}           string "{expires_at}:{HMAC(phone)}"
  otp:cooldown:{user}, otp:sends:*     sliding windows (limits.WINDOW_LUA)
"""

from __future__ import annotations

from sms2fa_app.backend.limits import WINDOW_LUA

# Failure records are forgotten this long after the last failed verify (garbage collection only:
# consecutive failures are reset by a success, not by time).
FAILURE_RECORD_GC_SECONDS = 7 * 24 * 3600
# Extra seconds a record outlives its logical expiry in Redis, so GC never beats the clock's decision.
GC_MARGIN_SECONDS = 5

_LOCKOUT_LUA = """
local function lockout_wait(key, now)
  local locked_until = tonumber(redis.call('HGET', key, 'until')) or 0
  if locked_until > now then
    return locked_until - now
  end
  return 0
end
-- Count one failed verify; lock from the threshold on: min(base * 2^(failures - threshold), cap).
local function lockout_register(key, now, threshold, base, cap, gc)
  local failures = (tonumber(redis.call('HGET', key, 'n')) or 0) + 1
  local lock = 0
  if failures >= threshold then
    local exponent = failures - threshold
    if exponent >= 40 then
      lock = cap
    else
      lock = math.min(base * 2 ^ exponent, cap)
    end
  end
  redis.call('HSET', key, 'n', failures, 'until', tostring(now + lock))
  redis.call('EXPIRE', key, gc)
  return lock
end
"""

# KEYS: code, cooldown, then the send windows (user, phone, ip, global).
# ARGV: now, member, code digest, phone digest, code ttl, gc margin, then limit/window per window key.
# Returns {0, '0'} when the code is stored and every window counted, else {i, wait} for the first full
# window (i = 1 is the cooldown). Nothing is written on refusal. Running it twice with the same member
# (a client retry after a lost reply) is a success, not a cooldown refusal.
REQUEST_SCRIPT = (
    WINDOW_LUA
    + """
local now = tonumber(ARGV[1])
local member = ARGV[2]
local ttl = tonumber(ARGV[5])
local margin = tonumber(ARGV[6])
if redis.call('ZSCORE', KEYS[2], member) then
  return {0, '0'}
end
for i = 2, #KEYS do
  local limit = tonumber(ARGV[3 + 2 * i])
  local window = tonumber(ARGV[4 + 2 * i])
  window_prune(KEYS[i], window, now)
  local wait = window_wait(KEYS[i], limit, window, now)
  if wait then
    return {i - 1, tostring(wait)}
  end
end
for i = 2, #KEYS do
  window_record(KEYS[i], tonumber(ARGV[4 + 2 * i]), now, member)
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'h', ARGV[3], 'p', ARGV[4], 'a', 0, 'exp', tostring(now + ttl))
redis.call('EXPIRE', KEYS[1], math.ceil(ttl) + margin)
return {0, '0'}
"""
)

# A failed send: drop the code (only if it is still ours) and the cooldown entry. Quotas stay spent.
# KEYS: code, cooldown. ARGV: code digest, member.
ROLLBACK_SCRIPT = """
if redis.call('HGET', KEYS[1], 'h') == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
"""

# KEYS: code, failures, proof. ARGV: now, code digest, max attempts, lockout threshold, base, cap,
# failure gc, issue proof ('1' for enrollment), proof ttl, gc margin.
# Returns {status, attempts_left, wait}; status is ok | wrong | too_many | expired | locked (not tried)
# | locked_now (this wrong try started a lock; attempts_left is what remains of the code).
VERIFY_SCRIPT = (
    _LOCKOUT_LUA
    + """
local now = tonumber(ARGV[1])
local wait = lockout_wait(KEYS[2], now)
if wait > 0 then
  return {'locked', 0, tostring(wait)}
end
local record = redis.call('HMGET', KEYS[1], 'h', 'p', 'a', 'exp')
if not record[1] or tonumber(record[4]) <= now then
  redis.call('DEL', KEYS[1])
  return {'expired', 0, '0'}
end
if record[1] == ARGV[2] then
  redis.call('DEL', KEYS[1], KEYS[2])
  if ARGV[8] == '1' then
    local proof_ttl = tonumber(ARGV[9])
    redis.call('SET', KEYS[3], tostring(now + proof_ttl) .. ':' .. record[2],
      'EX', math.ceil(proof_ttl) + tonumber(ARGV[10]))
  end
  return {'ok', 0, '0'}
end
local status = 'wrong'
local left = tonumber(ARGV[3]) - redis.call('HINCRBY', KEYS[1], 'a', 1)
if left <= 0 then
  redis.call('DEL', KEYS[1])
  status = 'too_many'
  left = 0
end
local lock = lockout_register(KEYS[2], now, tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]),
  tonumber(ARGV[7]))
if lock > 0 then
  status = 'locked_now'
end
return {status, left, tostring(lock)}
"""
)

# A failed guess from another path (e.g. recovery codes), sharing the lockout.
# KEYS: failures. ARGV: now, threshold, base, cap, gc. Returns the lock in seconds (0 = none).
REGISTER_FAILURE_SCRIPT = (
    _LOCKOUT_LUA
    + """
return tostring(lockout_register(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
  tonumber(ARGV[4]), tonumber(ARGV[5])))
"""
)
