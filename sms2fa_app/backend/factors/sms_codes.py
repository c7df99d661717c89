"""One-time codes by SMS: request, verify, proof of a verified phone, send limits and lockouts.

Typed results only (no UI strings). Redis holds HMACs, never a code or a phone number, and every
operation that decides something is one atomic Lua call with the clock's time passed in:

- request_code: validate the phone (no Redis) -> one call that checks the resend cooldown and the
  hourly send windows (user, phone, IP, global), counts them and stores the new code -> send the SMS ->
  only if sending fails, a second call that removes the code and the cooldown. Quotas stay spent on a
  failed send: the limits bound the calls made to the SMS provider, whatever their outcome.
- verify_code: one call that checks the user's lockout, the code's expiry and the HMAC, counts a wrong
  try (per code and per user), consumes a match and, for enrollment, issues the proof of the phone.
"""

from __future__ import annotations

import enum
import logging
import secrets
from dataclasses import dataclass

import redis

from sms2fa_app.backend.delivery.phone import PhonePolicy, PhoneProblem, PhoneRejected, normalize_e164, parse_phone
from sms2fa_app.backend.delivery.sms import DeliveryFailure, SmsDeliveryError, SmsGateway, message_text
from sms2fa_app.backend.factors import sms_code_scripts as otp_scripts
from sms2fa_app.backend.factors.lockout import Lockout, LockoutPolicy, lockout_key
from sms2fa_app.backend.factors.results import CODE_LENGTH, VerifyResult, VerifyStatus, normalize_code
from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import digests_equal, keyed_digest
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.limits import Counter, WindowLimiter, ip_scope, whole_seconds
from sms2fa_app.backend.infra.redis_store import redis_fail_closed
from sms2fa_app.config import Settings

log = logging.getLogger("sms2fa.otp")

SEND_WINDOW_SECONDS = 3600
GLOBAL_SENDS_KEY = "otp:sends:global"


class Purpose(enum.StrEnum):
    """What a code is for; a code only verifies for the purpose it was sent for."""

    LOGIN = "login"
    ENROLL = "enroll"
    REAUTH = "reauth"


@dataclass(frozen=True)
class CodeSent:
    """The code is on its way; the next send is possible after `resend_after_seconds`."""

    resend_after_seconds: int
    masked_phone: str
    phone_e164: str = ""  # the normalized destination (enrollment stores it once the proof is consumed)


class SendRefusal(enum.Enum):
    """Why no code was sent."""

    COOLDOWN = "cooldown"
    USER_LIMIT = "user_limit"
    PHONE_LIMIT = "phone_limit"
    IP_LIMIT = "ip_limit"
    GLOBAL_BUDGET = "global_budget"
    COUNTRY_NOT_ALLOWED = "country_not_allowed"
    INVALID_NUMBER = "invalid_number"
    NUMBER_TYPE_NOT_ALLOWED = "number_type_not_allowed"
    UNDELIVERABLE = "undeliverable"  # the provider refused the number (Plivo 400)
    DELIVERY_FAILED = "delivery_failed"  # temporary provider or network failure; may retry now


@dataclass(frozen=True)
class SendRefused:
    """No code was sent; `retry_after_seconds` > 0 for the cooldown and the limits."""

    reason: SendRefusal
    retry_after_seconds: int = 0


RequestResult = CodeSent | SendRefused


_PHONE_REFUSALS = {
    PhoneProblem.INVALID_NUMBER: SendRefusal.INVALID_NUMBER,
    PhoneProblem.COUNTRY_NOT_ALLOWED: SendRefusal.COUNTRY_NOT_ALLOWED,
    PhoneProblem.NUMBER_TYPE_NOT_ALLOWED: SendRefusal.NUMBER_TYPE_NOT_ALLOWED,
}
# Order of the windows in the request script: its answer `i` names the first full one.
_WINDOW_REFUSALS = (
    SendRefusal.COOLDOWN,
    SendRefusal.USER_LIMIT,
    SendRefusal.PHONE_LIMIT,
    SendRefusal.IP_LIMIT,
    SendRefusal.GLOBAL_BUDGET,
)
_VERIFY_STATUSES = {
    "ok": VerifyStatus.OK,
    "wrong": VerifyStatus.WRONG,
    "too_many": VerifyStatus.TOO_MANY_ATTEMPTS,
    "expired": VerifyStatus.EXPIRED,
    "locked": VerifyStatus.LOCKED,  # already locked: the code was not tried
    "locked_now": VerifyStatus.LOCKED,  # this wrong try started a lock
}


@dataclass(frozen=True)
class OtpPolicy:
    """The OTP settings, gathered from Settings (the one place their defaults live)."""

    app_name: str
    ttl_seconds: int
    max_attempts: int
    resend_cooldown_seconds: int
    sends_per_hour_per_user: int
    sends_per_hour_per_phone: int
    sends_per_hour_per_ip: int
    sends_per_hour_global: int
    lockout: LockoutPolicy
    phone_proof_ttl_seconds: int
    phone: PhonePolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> OtpPolicy:
        """The policy the settings describe."""
        return cls(
            app_name=settings.app_name,
            ttl_seconds=settings.otp_ttl_seconds,
            max_attempts=settings.otp_max_attempts,
            resend_cooldown_seconds=settings.otp_resend_cooldown_seconds,
            sends_per_hour_per_user=settings.otp_sends_per_hour_per_user,
            sends_per_hour_per_phone=settings.otp_sends_per_hour_per_phone,
            sends_per_hour_per_ip=settings.otp_sends_per_hour_per_ip,
            sends_per_hour_global=settings.otp_sends_per_hour_global,
            lockout=LockoutPolicy(
                settings.otp_lockout_threshold, settings.otp_lockout_base_seconds, settings.otp_lockout_max_seconds
            ),
            phone_proof_ttl_seconds=settings.phone_proof_ttl_seconds,
            phone=PhonePolicy(
                default_region=settings.otp_default_region,
                allowed_countries=frozenset(settings.otp_allowed_countries or ()),
                allow_voip=settings.otp_allow_voip,
            ),
        )


def new_code() -> str:
    """Six uniformly random digits from the OS's CSPRNG."""
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


class OtpService:
    """Sends and checks one-time codes for a user's login session."""

    def __init__(
        self,
        redis_client: redis.Redis,
        gateway: SmsGateway,
        clock: Clock,
        settings: Settings | OtpPolicy,
        *,
        secret_key: str | None = None,
        lockout: Lockout | None = None,
    ):
        """Give Settings, or an OtpPolicy plus the secret_key that keys the HMACs; `lockout` is shared
        with the other factors (one is made from the policy when none is given)."""
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
        self._limiter = WindowLimiter(redis_client, clock)
        self.lockout = lockout or Lockout(redis_client, clock, self.policy.lockout)
        policy = self.policy
        windows = [(window.limit, window.window_seconds) for window in self._send_windows(0, Purpose.LOGIN, "", "")]
        self._request_script = redis_client.register_script(otp_scripts.request_script(windows, policy.ttl_seconds))
        self._rollback_script = redis_client.register_script(otp_scripts.ROLLBACK_SCRIPT)
        self._verify_script = redis_client.register_script(
            self.lockout.policy.lua()
            + otp_scripts.verify_script(max_attempts=policy.max_attempts, proof_ttl=policy.phone_proof_ttl_seconds)
        )

    # ---- sending -------------------------------------------------------------------------------

    def request_code(
        self, *, purpose: Purpose, user_id: int, session_id: int, phone: str, client_ip: str
    ) -> RequestResult:
        """Send a new code to `phone` (raw input or stored E.164), replacing any pending one for this binding."""
        purpose, user_id, session_id = Purpose(purpose), int(user_id), int(session_id)
        context = {"purpose": purpose.value, "user": user_id, "session": session_id}
        parsed = parse_phone(phone, self.policy.phone)
        if isinstance(parsed, PhoneRejected):
            refusal = _PHONE_REFUSALS[parsed.problem]
            log_event(log, logging.INFO, "otp_refused", **context, reason=refusal.value)
            metrics.count_text(parsed.region, refusal.value)
            return SendRefused(refusal)

        code = new_code()
        code_digest = self._code_digest(purpose, user_id, session_id, code)
        code_key = self._code_key(purpose, user_id, session_id)
        phone_digest = self._phone_digest(parsed.e164)
        windows = self._send_windows(user_id, purpose, phone_digest, client_ip)
        member = secrets.token_hex(8)  # this send's entry in every window
        args = [repr(self._clock.now()), member, code_digest, phone_digest]
        with redis_fail_closed():
            index, wait = self._request_script(keys=[code_key, *[w.key for w in windows]], args=args)
        if int(index) != 0:
            refused = SendRefused(_WINDOW_REFUSALS[int(index) - 1], whole_seconds(wait))
            log_event(
                log,
                logging.INFO,
                "otp_refused",
                **context,
                reason=refused.reason.value,
                retry_after=refused.retry_after_seconds,
                phone=parsed.masked,
                ip=client_ip,
            )
            metrics.count_text(parsed.region, refused.reason.value)
            metrics.count_refusal(f"otp_{refused.reason.value}")
            return refused

        try:
            message_id = self._gateway.send(
                parsed.e164, message_text(self.policy.app_name, code, self.policy.ttl_seconds)
            )
        except SmsDeliveryError as error:
            self._rollback(code_key, windows[0].key, code_digest, member)
            reason = (
                SendRefusal.UNDELIVERABLE
                if error.kind is DeliveryFailure.INVALID_DESTINATION
                else SendRefusal.DELIVERY_FAILED
            )
            log_event(
                log, logging.WARNING, "otp_refused", **context, reason=reason.value, phone=parsed.masked, ip=client_ip
            )
            metrics.count_text(parsed.region, reason.value)
            return SendRefused(reason)
        except BaseException:
            self._rollback(code_key, windows[0].key, code_digest, member)
            raise
        log_event(
            log,
            logging.INFO,
            "otp_sent",
            **context,
            phone=parsed.masked,
            region=parsed.region,
            ip=client_ip,
            message_id=message_id or "-",
        )
        metrics.count_text(parsed.region, "sent")
        return CodeSent(self.policy.resend_cooldown_seconds, parsed.masked, parsed.e164)

    def resend_wait(self, *, user_id: int, purpose: Purpose) -> int:
        """Seconds left on the user's resend cooldown for a purpose (0 = may send now)."""
        reached = self._limiter.check([self._cooldown(int(user_id), purpose)])
        return 0 if reached is None else reached.retry_after_seconds

    def has_pending_code(self, *, purpose: Purpose, user_id: int, session_id: int) -> bool:
        """True while a sent code for this binding can still be verified."""
        key = self._code_key(Purpose(purpose), int(user_id), int(session_id))
        with redis_fail_closed():
            expires_at = self._redis.hget(key, "exp")
        return expires_at is not None and float(expires_at) > self._clock.now()

    def discard(self, *, purpose: Purpose, user_id: int, session_id: int) -> None:
        """Drop the pending code for this binding (e.g. the wizard was cancelled); limits are unchanged."""
        key = self._code_key(Purpose(purpose), int(user_id), int(session_id))
        with redis_fail_closed():
            self._redis.delete(key)

    # ---- verifying -----------------------------------------------------------------------------

    def verify_code(self, *, purpose: Purpose, user_id: int, session_id: int, code: str) -> VerifyResult:
        """Check a typed code in one atomic Redis call; a match is consumed (single use)."""
        purpose, user_id, session_id = Purpose(purpose), int(user_id), int(session_id)
        context = {"purpose": purpose.value, "user": user_id, "session": session_id}
        normalized = normalize_code(code)
        if normalized is None:
            log_event(log, logging.INFO, "otp_failed", **context, status=VerifyStatus.MALFORMED.value)
            return VerifyResult(VerifyStatus.MALFORMED)
        keys = [
            self._code_key(purpose, user_id, session_id),
            lockout_key(user_id),
            self._proof_key(user_id, session_id),
        ]
        args = [
            repr(self._clock.now()),
            self._code_digest(purpose, user_id, session_id, normalized),
            "1" if purpose is Purpose.ENROLL else "0",
        ]
        with redis_fail_closed():
            status, left, wait = self._verify_script(keys=keys, args=args)
        result = VerifyResult(_VERIFY_STATUSES[status], int(left), whole_seconds(wait))
        if result.status is VerifyStatus.OK:
            log_event(log, logging.INFO, "otp_verified", **context, proof=purpose is Purpose.ENROLL)
        elif result.status is VerifyStatus.LOCKED:
            log_event(
                log,
                logging.WARNING,
                "otp_locked",
                **context,
                retry_after=result.retry_after_seconds,
                attempts_left=result.attempts_left,
                tried=status == "locked_now",
            )
        else:
            log_event(
                log,
                logging.INFO,
                "otp_failed",
                **context,
                status=result.status.value,
                attempts_left=result.attempts_left,
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

    def _rollback(self, code_key: str, cooldown_key: str, code_digest: str, member: str) -> None:
        with redis_fail_closed():
            self._rollback_script(keys=[code_key, cooldown_key], args=[code_digest, member])

    def _send_windows(self, user_id: int, purpose: Purpose, phone_digest: str, client_ip: str) -> list[Counter]:
        policy = self.policy
        return [
            self._cooldown(user_id, purpose),
            Counter(f"otp:sends:user:{user_id}", policy.sends_per_hour_per_user, SEND_WINDOW_SECONDS),
            Counter(f"otp:sends:phone:{phone_digest}", policy.sends_per_hour_per_phone, SEND_WINDOW_SECONDS),
            Counter(
                f"otp:sends:ip:{keyed_digest(self._secret, 'otp-ip', ip_scope(client_ip))}",
                policy.sends_per_hour_per_ip,
                SEND_WINDOW_SECONDS,
            ),
            # Codes to a number already enrolled (sign-in, re-authentication) have a budget apart from codes
            # to new numbers, so abuse of enrollment cannot starve sign-ins or locking an account down.
            Counter(
                GLOBAL_SENDS_KEY if purpose in (Purpose.LOGIN, Purpose.REAUTH) else f"{GLOBAL_SENDS_KEY}:setup",
                policy.sends_per_hour_global,
                SEND_WINDOW_SECONDS,
            ),
        ]

    def _cooldown(self, user_id: int, purpose: Purpose) -> Counter:
        """One cooldown per user and purpose, so enrolling does not block the next login's first code."""
        return Counter(f"otp:cooldown:{purpose.value}:{user_id}", 1, self.policy.resend_cooldown_seconds)

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
