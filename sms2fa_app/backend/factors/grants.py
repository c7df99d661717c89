"""Re-authentication grants: single use, bound to the session and to one named factor operation.

Confirming the password (and, with 2FA on, a second factor) grants this session one operation for
REAUTH_GRANT_SECONDS. The operation consumes the grant when it commits; Cancel drops it; starting
another operation replaces it. Every check reads the operation from the stored grant, never from the
client's wizard step.

Record `reauth:{user}:{session}`: "{operation}|{level}|{expires_at}".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import redis

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.redis_store import redis_fail_closed
from sms2fa_app.backend.vocabulary import EventKind

REAUTH_GRANT_SECONDS = 600
_GC_MARGIN_SECONDS = 5

# KEYS: grant. ARGV: now, operation, accepted levels (comma-separated). Deletes and returns 1 when the
# grant names this operation at an accepted level and is unexpired; else 0 and leaves it.
_CONSUME_LUA = """
local stored = redis.call('GET', KEYS[1])
if not stored then
  return 0
end
local operation, level, expires_at = string.match(stored, '^([^|]*)|([^|]*)|(.*)$')
if operation ~= ARGV[2] or tonumber(expires_at) <= tonumber(ARGV[1]) then
  return 0
end
for accepted in string.gmatch(ARGV[3], '[^,]+') do
  if accepted == level then
    redis.call('DEL', KEYS[1])
    return 1
  end
end
return 0
"""

# KEYS: grant. ARGV: now, operation, new value. Replaces the grant only while it still names this
# operation and is unexpired (a Cancel or another operation in between wins); returns 1 when replaced.
_RAISE_LUA = """
local stored = redis.call('GET', KEYS[1])
if not stored then
  return 0
end
local operation, _level, expires_at = string.match(stored, '^([^|]*)|([^|]*)|(.*)$')
if operation ~= ARGV[2] or tonumber(expires_at) <= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
return 1
"""


class Operation(enum.StrEnum):
    """A change of the account that needs re-authentication, and the event it records (the one vocabulary:
    vocabulary.py). Values are stored in grants: never rename one."""

    event: EventKind

    def __new__(cls, value: str, event: EventKind) -> Operation:
        member = str.__new__(cls, value)
        member._value_ = value
        member.event = event
        return member

    ENABLE_SMS = "enable_sms", EventKind.TWO_FACTOR_ON
    CHANGE_NUMBER = "change_number", EventKind.PHONE_CHANGED
    DISABLE = "disable", EventKind.TWO_FACTOR_OFF
    REGENERATE_CODES = "regenerate_codes", EventKind.RECOVERY_CODES_REGENERATED
    ADD_TOTP = "add_totp", EventKind.TOTP_ADDED
    REMOVE_TOTP = "remove_totp", EventKind.TOTP_REMOVED
    ADD_PASSKEY = "add_passkey", EventKind.PASSKEY_ADDED
    REMOVE_PASSKEY = "remove_passkey", EventKind.PASSKEY_REMOVED
    CHANGE_PASSWORD = "change_password", EventKind.PASSWORD_CHANGED
    DELETE_ACCOUNT = "delete_account", EventKind.ACCOUNT_DELETED

    @property
    def needs_two_factor_on(self) -> bool | None:
        """Whether the operation needs 2FA on (True), off (False, the first enrollment) or either (None)."""
        if self in (Operation.CHANGE_PASSWORD, Operation.DELETE_ACCOUNT):
            return None
        return self is not Operation.ENABLE_SMS


class Reauth(enum.StrEnum):
    """How far a session re-authenticated."""

    PASSWORD = "password"
    PASSWORD_AND_CODE = "password_and_code"


def needed_reauth(operation: Operation, two_factor_on: bool = True) -> Reauth:
    """The password to add a first factor; the password and a second factor for anything else, whenever
    the account has one. An operation that needs 2FA on (a passkey, the app, the number...) never takes the
    password alone, whatever the account's state is said to be."""
    if operation is Operation.ENABLE_SMS:
        return Reauth.PASSWORD
    if not two_factor_on and operation.needs_two_factor_on is None:
        return Reauth.PASSWORD
    return Reauth.PASSWORD_AND_CODE


def _accepted(needed: Reauth) -> tuple[Reauth, ...]:
    return (Reauth.PASSWORD, Reauth.PASSWORD_AND_CODE) if needed is Reauth.PASSWORD else (Reauth.PASSWORD_AND_CODE,)


@dataclass(frozen=True)
class Grant:
    """A live grant: the operation it allows and how far the session re-authenticated."""

    operation: Operation
    level: Reauth


class ReauthGrants:
    """Issues, reads, consumes and drops re-authentication grants in Redis."""

    def __init__(self, client: redis.Redis, clock: Clock):
        self._redis = client
        self._clock = clock
        self._consume_script = client.register_script(_CONSUME_LUA)
        self._raise_script = client.register_script(_RAISE_LUA)

    @staticmethod
    def _key(user_id: int, session_id: int) -> str:
        return f"reauth:{int(user_id)}:{int(session_id)}"

    def grant(self, user_id: int, session_id: int, operation: Operation, level: Reauth) -> None:
        """Allow this session one `operation` for REAUTH_GRANT_SECONDS (replacing any other grant)."""
        value = f"{Operation(operation).value}|{Reauth(level).value}|{self._clock.now() + REAUTH_GRANT_SECONDS!r}"
        with redis_fail_closed():
            self._redis.set(self._key(user_id, session_id), value, ex=REAUTH_GRANT_SECONDS + _GC_MARGIN_SECONDS)

    def raise_to_code(self, user_id: int, session_id: int, operation: Operation) -> bool:
        """After a second factor: the session's grant for `operation` becomes password-and-code, atomically
        (False when it was cancelled, expired or replaced by another operation in the meantime)."""
        value = f"{operation.value}|{Reauth.PASSWORD_AND_CODE.value}|{self._clock.now() + REAUTH_GRANT_SECONDS!r}"
        with redis_fail_closed():
            raised = self._raise_script(
                keys=[self._key(user_id, session_id)], args=[repr(self._clock.now()), operation.value, value]
            )
        return int(raised) == 1

    def current(self, user_id: int, session_id: int) -> Grant | None:
        """This session's unexpired grant, or None."""
        with redis_fail_closed():
            stored = self._redis.get(self._key(user_id, session_id))
        if stored is None:
            return None
        operation, level, expires_at = stored.split("|")
        if float(expires_at) <= self._clock.now():
            return None
        return Grant(Operation(operation), Reauth(level))

    def holds(self, user_id: int, session_id: int, operation: Operation, two_factor_on: bool = True) -> bool:
        """True when this session may perform `operation` at the level it needs (given the account's 2FA)."""
        grant = self.current(user_id, session_id)
        needed = needed_reauth(operation, two_factor_on)
        return grant is not None and grant.operation is operation and grant.level in _accepted(needed)

    def consume(self, user_id: int, session_id: int, operation: Operation, two_factor_on: bool = True) -> bool:
        """Use the grant for `operation` once, atomically; False when there is none to use."""
        accepted = ",".join(level.value for level in _accepted(needed_reauth(operation, two_factor_on)))
        with redis_fail_closed():
            used = self._consume_script(
                keys=[self._key(user_id, session_id)], args=[repr(self._clock.now()), operation.value, accepted]
            )
        return int(used) == 1

    def drop(self, user_id: int, session_id: int) -> None:
        """Forget this session's grant (Cancel, or the wizard was left)."""
        with redis_fail_closed():
            self._redis.delete(self._key(user_id, session_id))
