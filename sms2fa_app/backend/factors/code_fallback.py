"""The same code again, by text, when its WhatsApp message does not arrive ("Send a text instead").

Redis keeps codes only as keyed hashes, so re-sending the same code needs the code itself. As for a voice call
(delivery/voice.py), it is kept encrypted (Fernet, key derived from SECRET_KEY), here inside the code's own record
(otp:code:..., fields `w` = the sealed locale and code, `wt` = when the template went out). Living in the record
binds it to that code: a newer code, a verified one or an expired one takes the sealed copy with it. Taking it is
one atomic call that removes it, so the fallback works once per code. A send writes every field of a new code's
record, `w` and `wt` as '' (no sealed copy: the previous code's cannot survive into the new code's record).

The fallback is ready when the template's delivery report says it was lost (undelivered or failed), or when
`fallback_seconds` passed without a "delivered" (the caller refuses a delivered one before asking).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

import redis
from cryptography.fernet import InvalidToken

from sms2fa_app.backend.delivery.code_text import message_text
from sms2fa_app.backend.delivery.phone import PhoneRejected, parse_phone
from sms2fa_app.backend.delivery.sms import DeliveryFailure, Gateway, SmsDeliveryError
from sms2fa_app.backend.delivery.status import Channel, DeliveryState, DeliveryStatuses
from sms2fa_app.backend.factors.sms_policy import (
    PHONE_REFUSALS,
    CodeSent,
    OtpPolicy,
    Purpose,
    RequestResult,
    SendRefusal,
    SendRefused,
    SendWindows,
    send_windows,
)
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE, supported
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import keyed_fernet
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.limits import whole_seconds
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

log = logging.getLogger("sms2fa.otp")

_KEY_INFO = b"sms2fa whatsapp fallback code v1"

# KEYS: code record. ARGV: code digest, sealed code, sent at. Keeps the sealed copy only in the record of that code.
_KEEP_LUA = """
if redis.call('HGET', KEYS[1], 'h') == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'exp') == 1 then
  redis.call('HSET', KEYS[1], 'w', ARGV[2], 'wt', ARGV[3])
  return 1
end
return 0
"""

# KEYS: code record. ARGV: now, '1' when the template was reported lost, fallback seconds, '1' to take. Returns
# {'ok', sealed, sent at, code digest} (taking removes the sealed copy: once), {'wait', seconds} before the fallback
# is ready, or {'none', '0'}: no pending WhatsApp code (never one, verified, expired, replaced, or its fallback already
# taken).
_TAKE_LUA = """
local now = tonumber(ARGV[1])
local record = redis.call('HMGET', KEYS[1], 'w', 'wt', 'exp', 'h')
if not record[1] or record[1] == '' or not record[3] or tonumber(record[3]) <= now then
  return {'none', '0'}
end
if ARGV[2] ~= '1' then
  local ready = tonumber(record[2]) + tonumber(ARGV[3])
  if ready > now then
    return {'wait', tostring(ready - now)}
  end
end
if ARGV[4] == '1' then
  redis.call('HDEL', KEYS[1], 'w', 'wt')
end
return {'ok', record[1], record[2], record[4]}
"""

# KEYS: code record. ARGV: sealed code, sent at, the digest of the code it seals. A fallback that was not sent
# (refused, provider failure) is kept again only in the record of that same code while it is pending: a newer code
# (a call from another tab while the text was on its way) must never carry the old one.
_GIVE_BACK_LUA = """
if redis.call('HGET', KEYS[1], 'h') == ARGV[3] and redis.call('HEXISTS', KEYS[1], 'exp') == 1
    and (redis.call('HGET', KEYS[1], 'w') or '') == '' then
  redis.call('HSET', KEYS[1], 'w', ARGV[1], 'wt', ARGV[2])
end
return 1
"""


@dataclass(frozen=True)
class SealedCode:
    """A pending code taken for its fallback text: the code, its language, and what to give back if unsent."""

    code: str
    locale: str
    sealed: str
    sent_at: str
    code_digest: str  # the record's `h` when taken: given back only to that same code


@dataclass(frozen=True)
class FallbackWait:
    """The fallback is not ready yet: `seconds` until it is (no report of a loss came)."""

    seconds: float


class FallbackCodes:
    """Keeps a WhatsApp code for its one fallback text."""

    def __init__(self, client: redis.Redis, secret_key: str):
        self._fernet = keyed_fernet(secret_key, _KEY_INFO)
        self._keep = client.register_script(_KEEP_LUA)
        self._take = client.register_script(_TAKE_LUA)
        self._give_back = client.register_script(_GIVE_BACK_LUA)

    def keep(self, code_key: str, code_digest: str, code: str, locale: str, sent_at: float) -> None:
        """Seal the code (just sent by WhatsApp) into its record, for one fallback text."""
        sealed = self._fernet.encrypt(f"{locale} {code}".encode()).decode()
        with redis_fail_closed():
            self._keep(keys=[code_key], args=[code_digest, sealed, repr(sent_at)])

    def take(
        self, code_key: str, now: float, lost: bool, fallback_seconds: int, *, peek: bool = False
    ) -> SealedCode | FallbackWait | None:
        """The pending code for its fallback text, once (`peek`: only look); a wait before it is ready; None when
        there is none."""
        args = [repr(now), "1" if lost else "0", int(fallback_seconds), "0" if peek else "1"]
        with redis_fail_closed():
            answer = self._take(keys=[code_key], args=args)
        verdict = answer[0].decode() if isinstance(answer[0], bytes) else answer[0]
        if verdict == "wait":
            return FallbackWait(float(answer[1]))
        if verdict != "ok":
            return None
        sealed, sent_at, code_digest = (part.decode() if isinstance(part, bytes) else part for part in answer[1:4])
        try:
            locale, _, code = self._fernet.decrypt(sealed.encode()).decode().partition(" ")
        except InvalidToken:  # another SECRET_KEY sealed it: no fallback for this code
            return None
        return SealedCode(code, supported(locale) or DEFAULT_LOCALE, sealed, sent_at, code_digest)

    def give_back(self, code_key: str, taken: SealedCode) -> None:
        """Keep a taken code again: its fallback text did not go out."""
        with redis_fail_closed():
            self._give_back(keys=[code_key], args=[taken.sealed, taken.sent_at, taken.code_digest])


class TextInstead:
    """OtpService's "Send a text instead" of a WhatsApp code (a part of the service, kept apart by responsibility:
    it uses the service's one send rule, `_spend`, and its gateway)."""

    policy: OtpPolicy
    _secret: str
    _clock: Clock
    _gateway: Gateway
    _deliveries: DeliveryStatuses | None
    _fallbacks: FallbackCodes

    def text_instead(
        self, *, purpose: Purpose, user_id: int, session_id: int, phone: str, client_ip: str, proof: str = ""
    ) -> RequestResult:
        """Text the pending WhatsApp code (the same code), once, when its template was reported lost or is not
        delivered after WHATSAPP_FALLBACK_SECONDS. No second send for the resend cooldown, but a paid text in
        every other window (user, number, IP, country, global) and under the same proof of work."""
        purpose, user_id, session_id = Purpose(purpose), int(user_id), int(session_id)
        context = {"purpose": purpose.value, "user": user_id, "session": session_id, "channel": Channel.SMS.value}
        parsed = parse_phone(phone, self.policy.phone)
        if isinstance(parsed, PhoneRejected):
            return SendRefused(PHONE_REFUSALS[parsed.problem])
        code_key, now = self._code_key(purpose, user_id, session_id), self._clock.now()
        taken = self._fallback(purpose, user_id, session_id, now, peek=False)
        if not isinstance(taken, SealedCode):
            wait = whole_seconds(taken.seconds) if isinstance(taken, FallbackWait) else 0
            return SendRefused(SendRefusal.FALLBACK_NOT_YET if wait else SendRefusal.NO_FALLBACK, wait)
        phone_digest = self._phone_digest(parsed.e164)
        windows = send_windows(
            self.policy, self._secret, user_id=user_id, purpose=purpose, channel=Channel.SMS,
            phone_digest=phone_digest, client_ip=client_ip, region=parsed.region,
        ).without_cooldown()  # fmt: skip
        where = {"phone": parsed.masked, "region": parsed.region, "ip": client_ip}
        code = (code_key, "", phone_digest)  # no digest: the script counts the text and keeps the pending code
        refused = self._spend(windows, code, proof, secrets.token_hex(8), now, Channel.SMS, context, where)
        message_id = ""
        if refused is None:
            policy = self.policy
            text = message_text(policy.app_name, taken.code, policy.ttl_seconds, policy.site_host, taken.locale)
            try:
                message_id = self._gateway.send(parsed.e164, text)
            except SmsDeliveryError as error:
                invalid = error.kind is DeliveryFailure.INVALID_DESTINATION
                refused = SendRefused(SendRefusal.UNDELIVERABLE if invalid else SendRefusal.DELIVERY_FAILED)
                log_event(log, logging.WARNING, "otp_refused", **context, reason=refused.reason.value, **where)
                self._count(Channel.SMS, parsed.region, refused.reason.value)
        if refused is not None:
            self._fallbacks.give_back(code_key, taken)  # the one fallback is still owed
            return refused
        self._track(message_id, Channel.SMS, purpose, user_id, session_id, None)
        log_event(log, logging.INFO, "otp_fallback_sent", **context, **where, message_id=message_id or "-")
        self._count(Channel.SMS, parsed.region, "sent", message_id)
        wait = self.resend_wait(user_id=user_id, purpose=purpose)
        expires_at = self.code_expires_at(purpose=purpose, user_id=user_id, session_id=session_id)
        return CodeSent(wait, parsed.masked, parsed.e164, Channel.SMS, expires_at)

    def _track(
        self,
        message_id: str,
        channel: Channel,
        purpose: Purpose,
        user_id: int,
        session_id: int,
        cooldown: tuple[str, str] | None,
    ) -> None:
        """Follow the provider's reports of a message just sent, as the binding's newest."""
        if self._deliveries is not None and message_id and getattr(self._gateway, "reports_status", False):
            self._deliveries.track(message_id, channel, f"{purpose.value}:{user_id}:{session_id}", cooldown)

    def text_instead_wait(self, *, purpose: Purpose, user_id: int, session_id: int) -> int | None:
        """Seconds until the pending WhatsApp code may be texted instead (0: now), None when it may not (no such
        code, delivered, or texted already): what the challenge shows, polled."""
        found = self._fallback(Purpose(purpose), int(user_id), int(session_id), self._clock.now(), peek=True)
        if isinstance(found, FallbackWait):
            return max(1, whole_seconds(found.seconds))
        return 0 if isinstance(found, SealedCode) else None

    def _fallback(
        self, purpose: Purpose, user_id: int, session_id: int, now: float, *, peek: bool
    ) -> SealedCode | FallbackWait | None:
        """The binding's WhatsApp code for its text instead (taken, or only looked at), by its delivery reports: none
        once delivered, at once once lost, else after the fallback delay."""
        latest = self._deliveries.latest(f"{purpose.value}:{user_id}:{session_id}") if self._deliveries else None
        if latest is not None and latest.channel is not Channel.WHATSAPP:
            latest = None  # the newest message is a text or a call: nothing said about the template
        if latest is not None and latest.state is DeliveryState.DELIVERED:
            return None
        lost = latest is not None and latest.state.lost
        code_key = self._code_key(purpose, user_id, session_id)
        return self._fallbacks.take(code_key, now, lost, self.policy.whatsapp_fallback_seconds, peek=peek)

    # The service's own parts this one uses (sms_codes.OtpService defines them).
    def _spend(
        self, windows: SendWindows, code: tuple[str, str, str], proof: str, member: str, now: float,
        channel: Channel, context: dict[str, Any], where: dict[str, Any],
    ) -> SendRefused | None:  # fmt: skip
        raise NotImplementedError

    def _count(self, channel: Channel, region: str | None, outcome: str, message_id: str = "") -> None:
        raise NotImplementedError

    def _code_key(self, purpose: Purpose, user_id: int, session_id: int) -> str:
        raise NotImplementedError

    def _phone_digest(self, e164: str) -> str:
        raise NotImplementedError

    def resend_wait(self, *, user_id: int, purpose: Purpose, phone: str = "") -> int:
        raise NotImplementedError

    def code_expires_at(self, *, purpose: Purpose, user_id: int, session_id: int) -> float:
        raise NotImplementedError
