"""One-time codes by SMS or voice call: request, verify, proof of a verified phone, send limits and lockouts.

Typed results only (no UI strings). Redis holds HMACs, never a code or a phone number, and every
operation that decides something is one atomic Lua call with the clock's time passed in:

- request_code: validate the phone (no Redis) -> one call that checks the resend cooldown, the hourly
  send windows (user, calls, phone, IP, destination country, global; sms_policy.py), the country's block
  and, under pressure, the proof of work, counts them and stores the new code -> send the text or place
  the call -> only if that fails, a second call that removes the code and the cooldown. Quotas stay
  spent on a failed send: the limits bound the calls made to the provider, whatever their outcome. A
  send that reaches a country's cap blocks the country and raises an operator alert.
- verify_code: one call that checks the user's lockout, the code's expiry and the HMAC, counts a wrong
  try (per code and per user), consumes a match and, for enrollment, issues the proof of the phone.
  A code verifies the same way whether it was texted or spoken.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable

import redis

from sms2fa_app.backend.delivery.code_text import message_text
from sms2fa_app.backend.delivery.letters import number_taken_text
from sms2fa_app.backend.delivery.phone import PhoneNumber, PhoneRejected, normalize_e164, parse_phone
from sms2fa_app.backend.delivery.sms import DeliveryFailure, Gateway, SmsDeliveryError
from sms2fa_app.backend.delivery.status import Channel, DeliveryStatuses
from sms2fa_app.backend.delivery.voice import NOTICE
from sms2fa_app.backend.factors import sms_code_scripts as otp_scripts
from sms2fa_app.backend.factors.code_fallback import FallbackCodes, TextInstead
from sms2fa_app.backend.factors.lockout import Lockout, lockout_key, lockout_slots_key, while_settling
from sms2fa_app.backend.factors.results import CODE_LENGTH, Factor, VerifyResult, VerifyStatus, normalize_code
from sms2fa_app.backend.factors.sms_policy import (
    COUNTRY_BLOCK_PREFIX,
    GLOBAL_SENDS_KEY,
    PHONE_REFUSALS,
    SEND_WINDOW_SECONDS,
    CodeSent,
    OtpPolicy,
    Purpose,
    RequestResult,
    SendRefusal,
    SendRefused,
    SendWindows,
    cooldown_counter,
    send_windows,
)
from sms2fa_app.backend.i18n.locales import for_recipient
from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.infra.alerts import OperatorAlerts
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import digests_equal, keyed_digest
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.limits import WindowLimiter, whole_seconds
from sms2fa_app.backend.infra.pow import ProofOfWork
from sms2fa_app.backend.infra.redis_store import redis_fail_closed
from sms2fa_app.config import Settings

__all__ = [
    "GLOBAL_SENDS_KEY",
    "SEND_WINDOW_SECONDS",
    "Channel",
    "CodeSent",
    "OtpPolicy",
    "OtpService",
    "Purpose",
    "RequestResult",
    "SendRefusal",
    "SendRefused",
    "VerifyStatus",
    "new_code",
    "normalize_code",
]

log = logging.getLogger("sms2fa.otp")

_VERIFY_STATUSES = {
    "ok": VerifyStatus.OK,
    "wrong": VerifyStatus.WRONG,
    "too_many": VerifyStatus.TOO_MANY_ATTEMPTS,
    "expired": VerifyStatus.EXPIRED,
    "used": VerifyStatus.ALREADY_USED,  # the right code, accepted before (a replay, a copy that lost the race)
    "locked": VerifyStatus.LOCKED,  # already locked: the code was not tried
    "busy": VerifyStatus.LOCKED,  # still locked after waiting for the slots in flight: the code was not tried
    "locked_now": VerifyStatus.LOCKED,  # this wrong try started a lock
}


def new_code() -> str:
    """Six uniformly random digits from the OS's CSPRNG."""
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


class OtpService(TextInstead):
    """Sends and checks one-time codes for a user's login session (a WhatsApp code's text instead: TextInstead)."""

    def __init__(
        self,
        redis_client: redis.Redis,
        gateway: Gateway,
        clock: Clock,
        settings: Settings | OtpPolicy,
        *,
        secret_key: str | None = None,
        lockout: Lockout | None = None,
        deliveries: DeliveryStatuses | None = None,
        alerts: OperatorAlerts | None = None,
        pow: ProofOfWork | None = None,
    ):
        """Give Settings, or an OtpPolicy plus the secret_key that keys the HMACs; `lockout` is shared
        with the other factors (one is made from the policy when none is given). `deliveries` follows the
        provider's delivery reports, `alerts` hears about blocked countries, `pow` checks proofs of work."""
        if isinstance(settings, Settings):
            self.policy = OtpPolicy.from_settings(settings)
            secret_key = secret_key or settings.secret_key
        else:
            self.policy = settings
        if not secret_key:
            raise ValueError("OtpService needs a secret_key")
        self._secret = secret_key
        self._redis = redis_client
        self._gateway = gateway
        self._clock = clock
        self._deliveries = deliveries
        self._alerts = alerts or OperatorAlerts(self.policy.app_name)
        self._pow = pow
        self._limiter = WindowLimiter(redis_client, clock)
        self._fallbacks = FallbackCodes(redis_client, secret_key)
        self.lockout = lockout or Lockout(redis_client, clock, self.policy.lockout)
        # Told of every text or call asked for: (channel, country, outcome, provider's message id); the admin
        # console's stored operations events (admin/ops_events.py).
        self.on_text: Callable[[Channel, str, str, str], None] | None = None
        policy = self.policy
        self._scripts = otp_scripts.SendScripts(redis_client, policy)
        self._verify_script = redis_client.register_script(
            self.lockout.policy.lua()
            + otp_scripts.verify_script(max_attempts=policy.max_attempts, proof_ttl=policy.phone_proof_ttl_seconds)
        )

    # ---- sending -------------------------------------------------------------------------------

    def request_code(
        self,
        *,
        purpose: Purpose,
        user_id: int,
        session_id: int,
        phone: str,
        client_ip: str,
        channel: Channel = Channel.SMS,
        proof: str = "",
        taken: bool = False,
        user_locale: str | None = None,
        replacing_number: bool = False,
        prepaid: bool = False,
    ) -> RequestResult:
        """Send a new code to `phone` (raw input or stored E.164) by text or call, replacing any pending one
        for this binding. `proof` is a posted proof-of-work payload (needed under pressure). `taken` (a
        number another account uses) costs the same and answers the same, but the text is a notice
        without the code. `user_locale` is the user's stored choice (users.locale, from the row the caller
        holds): a send runs no SQL. `replacing_number` marks a lost phone's number change (a setup code with 2FA
        on, re-authenticated with a factor): its own window, up to the account's hard ceiling (sms_policy.py).
        `prepaid`: this request's line check just spent a proof of work (line_checks.py), so the pressure gate is
        passed this once (the limits still hold)."""
        purpose, user_id, session_id, channel = Purpose(purpose), int(user_id), int(session_id), Channel(channel)
        context = {"purpose": purpose.value, "user": user_id, "session": session_id, "channel": channel.value}
        parsed = parse_phone(phone, self.policy.phone, by_call=channel is Channel.VOICE)
        if isinstance(parsed, PhoneRejected):
            refusal = PHONE_REFUSALS[parsed.problem]
            log_event(log, logging.INFO, "otp_refused", **context, reason=refusal.value)
            self._count(channel, parsed.region, refusal.value)
            return SendRefused(refusal)

        code = new_code()
        code_digest = self._code_digest(purpose, user_id, session_id, code)
        code_key = self._code_key(purpose, user_id, session_id)
        phone_digest = self._phone_digest(parsed.e164)
        windows = send_windows(
            self.policy,
            self._secret,
            user_id=user_id,
            purpose=purpose,
            channel=channel,
            phone_digest=phone_digest,
            client_ip=client_ip,
            region=parsed.region,
            replacing_number=replacing_number,
        )
        member = secrets.token_hex(8)  # this send's entry in every window
        now = self._clock.now()
        where = {"phone": parsed.masked, "region": parsed.region, "ip": client_ip}
        code_record = (code_key, code_digest, phone_digest)
        refused = self._spend(windows, code_record, proof, member, now, channel, context, where, prepaid)
        if refused is not None:
            return refused
        try:
            locale = _recipient_locale(user_locale, parsed, taken)
            message_id = self._deliver(channel, parsed.e164, code, taken, locale)
        except SmsDeliveryError as error:
            self._scripts.rollback(code_key, windows.cooldown.key, code_digest, member)
            if channel is Channel.WHATSAPP and not taken:  # template paused, sender down: this request goes by text
                log_event(log, logging.WARNING, "otp_texted_instead", **context, reason=error.kind.value, **where)
                self._count(channel, parsed.region, SendRefusal.DELIVERY_FAILED.value)
                return self.request_code(
                    purpose=purpose, user_id=user_id, session_id=session_id, phone=phone, client_ip=client_ip,
                    proof=proof, user_locale=user_locale, replacing_number=replacing_number, prepaid=True,
                )  # fmt: skip
            reason = (
                SendRefusal.UNDELIVERABLE
                if error.kind is DeliveryFailure.INVALID_DESTINATION
                else SendRefusal.DELIVERY_FAILED
            )
            log_event(log, logging.WARNING, "otp_refused", **context, reason=reason.value, **where)
            self._count(channel, parsed.region, reason.value)
            return SendRefused(reason)
        except BaseException:
            self._scripts.rollback(code_key, windows.cooldown.key, code_digest, member)
            raise
        if channel is Channel.WHATSAPP and not taken:  # kept for one "Send a text instead"
            self._fallbacks.keep(code_key, code_digest, code, locale, now)
        self._track(message_id, channel, purpose, user_id, session_id, (windows.cooldown.key, member))
        log_event(log, logging.INFO, "otp_sent", **context, **where, taken=taken, message_id=message_id or "-")
        self._count(channel, parsed.region, "sent", message_id or "")
        expires_at = now + self.policy.ttl_seconds
        return CodeSent(self.policy.resend_cooldown_seconds, parsed.masked, parsed.e164, channel, expires_at)

    def _count(
        self, channel: Channel, region: str | None, outcome: str, message_id: str = "", metric: bool = True
    ) -> None:
        """One text or call asked for, by outcome: the metric, and the listener's stored event."""
        if metric:
            metrics.count_text(region, outcome)
        if self.on_text is not None:
            self.on_text(channel, region or "", outcome, message_id)

    def _deliver(self, channel: Channel, e164: str, code: str, taken: bool, locale: str) -> str:
        """Hand the code (or, for a taken number, the notice) to the gateway in the recipient's language; the
        provider's id."""
        if channel is Channel.VOICE:
            return self._gateway.call(e164, NOTICE if taken else code, locale)
        if channel is Channel.WHATSAPP and not taken:  # a taken number's notice is free text: a text, never a template
            return self._gateway.send_whatsapp(e164, code, locale)
        if taken:
            return self._gateway.send(e164, number_taken_text(self.policy.app_name, locale))
        policy = self.policy
        text = message_text(policy.app_name, code, policy.ttl_seconds, policy.site_host, locale)
        return self._gateway.send(e164, text)

    def _spend(
        self,
        windows: SendWindows,
        code: tuple[str, str, str],
        proof: str,
        member: str,
        now: float,
        channel: Channel,
        context: dict,
        where: dict,
        prepaid: bool = False,
    ) -> SendRefused | None:
        """Check and count one send in every window in one script call, storing the new code (`code`: its key,
        digest ("" keeps the pending code) and the phone's digest); the refusal, logged and counted, or None.
        `prepaid` passes the pressure gate once (the line check spent this request's proof)."""
        checked = self._pow.check(proof) if self._pow is not None and proof else None
        refused, blocked = self._scripts.spend(windows, code, checked, member, now, prepaid=prepaid)
        if refused is not None:
            log_event(
                log, logging.INFO, "otp_refused", **context, reason=refused.reason.value,
                retry_after=refused.retry_after_seconds, **where,
            )  # fmt: skip
            self._count(channel, where["region"], refused.reason.value)
            metrics.count_refusal(f"otp_{refused.reason.value}")
            return refused
        if blocked:  # this send reached the country's cap: the country is blocked from now on
            cap = self.policy.country_cap(where["region"])
            self._alerts.country_blocked(where["region"], cap, self.policy.country_block_seconds)
            self._count(channel, where["region"], "blocked", metric=False)
        return None

    def resend_wait(self, *, user_id: int, purpose: Purpose, phone: str = "") -> int:
        """Seconds left on the user's resend cooldown for a purpose (0 = may send now); a setup code's
        cooldown is per number (`phone`, E.164)."""
        digest = self._phone_digest(phone) if phone else ""
        reached = self._limiter.check([cooldown_counter(self.policy, int(user_id), Purpose(purpose), digest)])
        return 0 if reached is None else reached.retry_after_seconds

    def country_block_wait(self, region: str) -> int:
        """Seconds left on the destination country's block (0: not blocked), as the send script reads it."""
        with redis_fail_closed():
            blocked_until = self._redis.get(COUNTRY_BLOCK_PREFIX + region)
        return whole_seconds(max(0.0, float(blocked_until or 0) - self._clock.now()))

    def code_expires_at(self, *, purpose: Purpose, user_id: int, session_id: int) -> float:
        """When the pending code for this binding stops working (the clock's seconds), 0 when none is pending."""
        key = self._code_key(Purpose(purpose), int(user_id), int(session_id))
        with redis_fail_closed():
            expires_at = self._redis.hget(key, "exp")
        if expires_at is None or float(expires_at) <= self._clock.now():
            return 0.0
        return float(expires_at)

    def has_pending_code(self, *, purpose: Purpose, user_id: int, session_id: int) -> bool:
        """True while a sent code for this binding can still be verified."""
        return self.code_expires_at(purpose=purpose, user_id=user_id, session_id=session_id) > 0

    def discard(self, *, purpose: Purpose, user_id: int, session_id: int) -> None:
        """Drop the pending code for this binding (e.g. the wizard was cancelled); limits are unchanged."""
        key = self._code_key(Purpose(purpose), int(user_id), int(session_id))
        with redis_fail_closed():
            self._redis.delete(key)

    # ---- verifying -----------------------------------------------------------------------------

    def verify_code(self, *, purpose: Purpose, user_id: int, session_id: int, code: str) -> VerifyResult:
        """Check a typed code in one atomic Redis call; a match is consumed (single use). Recorded (metrics, log
        line, activity) by the lockout like every factor's verify."""
        purpose, user_id, session_id = Purpose(purpose), int(user_id), int(session_id)
        context = {"purpose": purpose.value, "session": session_id}  # the log lines' fields beside user and factor
        normalized = normalize_code(code)
        if normalized is None:  # not a try: logged like a malformed recovery code, not counted
            log_event(
                log, logging.INFO, "verify_failed", user=user_id, factor=Factor.SMS, status="malformed", **context
            )
            return VerifyResult(VerifyStatus.MALFORMED)
        keys = [
            self._code_key(purpose, user_id, session_id),
            lockout_key(user_id),
            self._proof_key(user_id, session_id),
            lockout_slots_key(user_id),
        ]
        args = [
            repr(self._clock.now()),
            self._code_digest(purpose, user_id, session_id, normalized),
            "1" if purpose is Purpose.ENROLL else "0",
        ]
        status, left, wait = while_settling(lambda: self._verify_once(keys, args), lambda answer: answer[0] == "busy")
        result = VerifyResult(_VERIFY_STATUSES[status], int(left), whole_seconds(wait))
        judged = result.status
        if status == "locked_now":  # a wrong try that started the lock (the code's last one when none is left)
            judged = VerifyStatus.WRONG if result.attempts_left else VerifyStatus.TOO_MANY_ATTEMPTS
        self.lockout.record(
            user_id,
            Factor.SMS,
            judged,
            lock_seconds=result.retry_after_seconds,
            lock_started=status == "locked_now",
            **context,
        )
        return result

    def consume_phone_proof(self, *, user_id: int, session_id: int, phone_e164: str) -> bool:
        """True once, if this user and session just verified an enrollment code sent to exactly this number.

        The proof is deleted by any attempt to consume it (GETDEL), matching or not.
        """
        key = self._proof_key(int(user_id), int(session_id))
        with redis_fail_closed():
            stored = self._redis.getdel(key)
        e164 = normalize_e164(phone_e164, self.policy.phone.default_region)
        if stored is None or e164 is None:
            return False
        stored = stored.decode() if isinstance(stored, bytes) else stored
        expires_at, _, phone_digest = stored.partition(":")
        return float(expires_at) > self._clock.now() and digests_equal(phone_digest, self._phone_digest(e164))

    # ---- internals -----------------------------------------------------------------------------

    def _verify_once(self, keys: list[str], args: list[str]) -> list:
        with redis_fail_closed():
            return list(self._verify_script(keys=keys, args=args))

    def _code_digest(self, purpose: Purpose, user_id: int, session_id: int, code: str) -> str:
        return keyed_digest(self._secret, "otp-code", purpose.value, str(user_id), str(session_id), code)

    def _phone_digest(self, e164: str) -> str:
        return keyed_digest(self._secret, "otp-phone", e164)

    @staticmethod
    def _code_key(purpose: Purpose, user_id: int, session_id: int) -> str:
        return f"otp:code:{purpose.value}:{user_id}:{session_id}"

    @staticmethod
    def _proof_key(user_id: int, session_id: int) -> str:
        return f"otp:proof:{user_id}:{session_id}"


def _recipient_locale(user_locale: str | None, number: PhoneNumber, taken: bool) -> str:
    """The language of whoever holds the number: the asking user's (stored choice, else the number's country),
    or, for a number another account holds, its country's (the asking user's choice says nothing of them)."""
    return _locale_for(None if taken else user_locale, number.region)


@functools.lru_cache(maxsize=4096)
def _locale_for(user_locale: str | None, region: str | None) -> str:
    """for_recipient, remembered (a pure function of a few hundred possible pairs): negotiating it anew took a send
    more CPU than its whole Redis script (bench/otp_bench.py)."""
    return for_recipient(user_locale, region)
