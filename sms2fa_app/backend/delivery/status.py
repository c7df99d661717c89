"""What happened to each text (and call) after it left: the provider's delivery reports, kept in Redis.

Records:
  delivery:msg:{message id}   hash  s = state, c = channel, e = error code, b = binding, ck/cm = cooldown entry
  delivery:latest:{binding}   string  the message id of the newest code sent for a binding
                                      (purpose:user:session, the binding of the code itself)

Reports may arrive out of order (Plivo numbers them, but retries reorder them): a state only moves forward
(queued < sent < a final one), and the first final state wins. A text reported undelivered or failed gives
back its resend cooldown at once, so the person can ask for a call instead of waiting. WhatsApp also reports "read",
sometimes without a "delivered" before it: it is kept as delivered (the person has the code: no text instead, and
the charts count it delivered).
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass

import redis

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

log = logging.getLogger("sms2fa.delivery")

MESSAGE_PREFIX = "delivery:msg:"
LATEST_PREFIX = "delivery:latest:"
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ERROR_CODE = re.compile(r"[0-9A-Za-z_-]{0,16}")
_READ = "read"  # WhatsApp's last report of a message: recorded as delivered


class DeliveryState(enum.StrEnum):
    """Plivo's message states we keep (a call is queued until it is answered, then delivered)."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        """True once nothing more will happen to the message."""
        return self in (DeliveryState.DELIVERED, DeliveryState.UNDELIVERED, DeliveryState.FAILED)

    @property
    def rank(self) -> int:
        """Queued < sent < a final state: a message's state only moves up the ranks."""
        return _RANKS[self]

    @property
    def lost(self) -> bool:
        """True when the message will not arrive."""
        return self in (DeliveryState.UNDELIVERED, DeliveryState.FAILED)


class Channel(enum.StrEnum):
    """How a code travels."""

    SMS = "sms"
    VOICE = "voice"
    WHATSAPP = "whatsapp"


def stored_channel(phone_channel: str | None) -> Channel:
    """How codes reach a user's number (users.phone_channel: "voice" for a landline Lookup found); a text for
    anything else."""
    return Channel.VOICE if phone_channel == Channel.VOICE.value else Channel.SMS


@dataclass(frozen=True)
class Delivery:
    """The newest known state of one message."""

    channel: Channel
    state: DeliveryState
    error_code: str = ""


# KEYS: message record[, journal]. ARGV: state, rank of the state, error code, message id. Returns 1 when the state
# moved; then the journal (a hash: message id -> newest state), when given, holds the new state too.
_RECORD_LUA = """
local stored = redis.call('HMGET', KEYS[1], 's', 'ck', 'cm')
if not stored[1] then
  return 0
end
local ranks = {queued = 1, sent = 2, delivered = 3, undelivered = 3, failed = 3}
if ranks[stored[1]] >= tonumber(ARGV[2]) then
  return 0
end
redis.call('HSET', KEYS[1], 's', ARGV[1], 'e', ARGV[3])
if KEYS[2] then
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[1])
end
if (ARGV[1] == 'undelivered' or ARGV[1] == 'failed') and stored[2] then
  redis.call('ZREM', stored[2], stored[3])
end
return 1
"""
_RANKS: dict[DeliveryState, int] = {
    DeliveryState.QUEUED: 1,
    DeliveryState.SENT: 2,
    DeliveryState.DELIVERED: 3,
    DeliveryState.UNDELIVERED: 3,
    DeliveryState.FAILED: 3,
}


class DeliveryStatuses:
    """Tracks messages by id; `ttl_seconds` bounds how long a report is worth keeping."""

    def __init__(self, client: redis.Redis, clock: Clock, ttl_seconds: int):
        self._redis = client
        self._clock = clock
        self._ttl = int(ttl_seconds)
        self._record = client.register_script(_RECORD_LUA)
        # A hash the same script writes each moved state into (message id -> state), for a reader that applies
        # them in batches (the operations charts): no work of its own per report.
        self.journal_key: str | None = None

    def track(self, message_id: str, channel: Channel, binding: str, cooldown: tuple[str, str] | None = None) -> None:
        """Start following a message just handed to the provider (queued), as the newest of its binding;
        `cooldown` is the (key, member) of the resend cooldown entry that a lost text gives back."""
        if not _MESSAGE_ID.fullmatch(message_id):
            return
        record = {"s": DeliveryState.QUEUED.value, "c": Channel(channel).value, "e": "", "b": binding}
        if cooldown is not None:
            record.update(ck=cooldown[0], cm=cooldown[1])
        with redis_fail_closed():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(MESSAGE_PREFIX + message_id, mapping=record)
            pipe.expire(MESSAGE_PREFIX + message_id, self._ttl)
            pipe.set(LATEST_PREFIX + binding, message_id, ex=self._ttl)
            pipe.execute()

    def record(self, message_id: str, state: str, error_code: str = "") -> bool:
        """Apply a report; False for an unknown message, an unknown state or a state that is no news."""
        try:
            parsed = DeliveryState.DELIVERED if state == _READ else DeliveryState(state)
        except ValueError:
            return False
        if not _MESSAGE_ID.fullmatch(message_id or "") or not _ERROR_CODE.fullmatch(error_code or ""):
            return False
        keys = [MESSAGE_PREFIX + message_id, *([self.journal_key] if self.journal_key else [])]
        with redis_fail_closed():
            moved = bool(self._record(keys=keys, args=[parsed.value, parsed.rank, error_code, message_id]))
        if moved:
            log_event(
                log, logging.INFO, "delivery_report", message_id=message_id, state=parsed.value, error=error_code or "-"
            )
        return moved

    def latest(self, binding: str) -> Delivery | None:
        """The newest message of a binding and its state, while it is tracked."""
        with redis_fail_closed():
            message_id = self._redis.get(LATEST_PREFIX + binding)
            stored = self._redis.hmget(MESSAGE_PREFIX + message_id, "c", "s", "e") if message_id else None
        if not stored or stored[0] is None:
            return None
        channel, state, error = stored
        return Delivery(Channel(channel), DeliveryState(state), error or "")
