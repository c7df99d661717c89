"""Re-authentication grants: single use, bound to the session and to one named factor operation.

Confirming the password grants this session one operation (the ticket, for REAUTH_GRANT_SECONDS) and makes the
password the session's last authentication (its assurance, backend/assurance.py); with 2FA on, a second factor then
adds to that authentication. The operation may run while the ticket is live and the session's assurance shows the
level the operation needs, presented within REAUTH_GRANT_SECONDS: "how recently, and how strongly" is read from the
one value the session carries, never from the client's wizard step. The operation consumes the ticket when it
commits; Cancel drops it; starting another operation replaces it.

Record `reauth:{user}:{session}`: "{operation}|{expires_at}|{password_at}": the ticket names the password confirmation
that started it, so a second factor counts for it only while that is the session's last password (sessions.py).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import redis

from sms2fa_app.backend.assurance import Assurance, Level
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.redis_store import redis_fail_closed
from sms2fa_app.backend.vocabulary import EventKind

REAUTH_GRANT_SECONDS = 600
_GC_MARGIN_SECONDS = 5

# KEYS: grant. ARGV: now, operation. Deletes and returns 1 when the grant names this operation and is unexpired;
# else 0 and leaves it (a grant of an older form is none: fail closed).
_CONSUME_LUA = """
local stored = redis.call('GET', KEYS[1])
if not stored then
  return 0
end
local operation, expires_at = string.match(stored, '^([^|]*)|([^|]*)|([^|]*)$')
if not operation or operation ~= ARGV[2] or (tonumber(expires_at) or 0) <= tonumber(ARGV[1]) then
  return 0
end
redis.call('DEL', KEYS[1])
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
    CHOOSE_WHATSAPP = "choose_whatsapp", EventKind.CODES_BY_WHATSAPP  # codes to the number's WhatsApp account
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


def needed_reauth(operation: Operation, two_factor_on: bool = True) -> Level:
    """The password to add a first factor; the password and a second factor for anything else, whenever
    the account has one. An operation that needs 2FA on (a passkey, the app, the number...) never takes the
    password alone, whatever the account's state is said to be."""
    if operation is Operation.ENABLE_SMS:
        return Level.PASSWORD
    if not two_factor_on and operation.needs_two_factor_on is None:
        return Level.PASSWORD
    return Level.TWO_FACTOR


def reauthenticated(assurance: Assurance, operation: Operation, two_factor_on: bool, now: float) -> bool:
    """Whether the session's last authentication is recent and strong enough for `operation`."""
    two_factor = needed_reauth(operation, two_factor_on) is Level.TWO_FACTOR
    return assurance.presented_within(now, REAUTH_GRANT_SECONDS, two_factor=two_factor)


@dataclass(frozen=True)
class Grant:
    """A live ticket: the operation it allows, and when the password that started it was presented."""

    operation: Operation
    password_at: float


class ReauthGrants:
    """Issues, reads, consumes and drops re-authentication tickets in Redis; `holds` and `consume` also read the
    session's assurance."""

    def __init__(self, client: redis.Redis, clock: Clock):
        self._redis = client
        self._clock = clock
        self._consume_script = client.register_script(_CONSUME_LUA)

    @staticmethod
    def _key(user_id: int, session_id: int) -> str:
        return f"reauth:{int(user_id)}:{int(session_id)}"

    def grant(self, user_id: int, session_id: int, operation: Operation, password_at: float) -> None:
        """Allow this session one `operation` for REAUTH_GRANT_SECONDS (replacing any other grant), started by the
        password presented at `password_at`."""
        expires_at = self._clock.now() + REAUTH_GRANT_SECONDS
        value = f"{Operation(operation).value}|{expires_at!r}|{float(password_at)!r}"
        with redis_fail_closed():
            self._redis.set(self._key(user_id, session_id), value, ex=REAUTH_GRANT_SECONDS + _GC_MARGIN_SECONDS)

    def current(self, user_id: int, session_id: int) -> Grant | None:
        """This session's unexpired grant, or None."""
        with redis_fail_closed():
            stored = self._redis.get(self._key(user_id, session_id))
        fields = [] if stored is None else stored.split("|")
        if len(fields) != 3 or fields[0] not in set(Operation):  # none
            return None
        operation, expires_at, password_at = fields
        try:
            live = float(expires_at) > self._clock.now()
            started = float(password_at)
        except ValueError:  # an older form ("{operation}|{level}|{expires_at}"): none, fail closed
            return None
        return Grant(Operation(operation), started) if live else None

    def holds(
        self, user_id: int, session_id: int, operation: Operation, assurance: Assurance, two_factor_on: bool = True
    ) -> bool:
        """True when this session may perform `operation`: its ticket, and an assurance at the level it needs."""
        if not reauthenticated(assurance, operation, two_factor_on, self._clock.now()):
            return False
        grant = self.current(user_id, session_id)
        return grant is not None and grant.operation is operation

    def consume(
        self, user_id: int, session_id: int, operation: Operation, assurance: Assurance, two_factor_on: bool = True
    ) -> bool:
        """Use the ticket for `operation` once, atomically, when the assurance is enough; False otherwise."""
        if not reauthenticated(assurance, operation, two_factor_on, self._clock.now()):
            return False
        with redis_fail_closed():
            used = self._consume_script(
                keys=[self._key(user_id, session_id)], args=[repr(self._clock.now()), operation.value]
            )
        return int(used) == 1

    def drop(self, user_id: int, session_id: int) -> None:
        """Forget this session's grant (Cancel, or the wizard was left)."""
        with redis_fail_closed():
            self._redis.delete(self._key(user_id, session_id))
