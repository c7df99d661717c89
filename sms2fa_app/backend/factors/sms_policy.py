"""What may be sent, and the typed answers of a send: purposes, results, the policy and its send windows.

Every text and every call goes through the same windows, checked and counted in one atomic Lua call
(sms_code_scripts.py), in this order: the resend cooldown (per user and purpose), sends per user (a lost
phone's number change: its own window, then the account's hard ceiling), calls per user (calls only), sends
per destination number, per client IP, per destination country (the country's cap: reaching it blocks the
country), and the global budget. The user, IP and country windows also carry a proof-of-work threshold:
past it, a send needs a solved ALTCHA challenge.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from sms2fa_app.backend.delivery.phone import PhonePolicy, PhoneProblem
from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.factors.lockout import LockoutPolicy
from sms2fa_app.backend.infra.crypto import keyed_digest
from sms2fa_app.backend.infra.limits import Counter, whole_seconds
from sms2fa_app.backend.infra.network import ip_scope
from sms2fa_app.config import Settings

SEND_WINDOW_SECONDS = 3600
GLOBAL_SENDS_KEY = "otp:sends:global"
COUNTRY_BLOCK_PREFIX = "otp:country-block:"


class Purpose(enum.StrEnum):
    """What a code is for; a code only verifies for the purpose it was sent for."""

    LOGIN = "login"
    ENROLL = "enroll"
    REAUTH = "reauth"
    RESET = "reset"  # the second factor of a password reset, bound to the reset link instead of a session
    STEP_UP = "step_up"  # a signed-in session's factor asked again by a page's `recent` rule (page_access.py)


# The purposes whose codes go to the number already enrolled (their own global budget, apart from setup codes).
TO_ENROLLED_NUMBER = frozenset({Purpose.LOGIN, Purpose.REAUTH, Purpose.STEP_UP})


@dataclass(frozen=True)
class CodeSent:
    """The code is on its way; the next send is possible after `resend_after_seconds`."""

    resend_after_seconds: int
    masked_phone: str
    phone_e164: str = ""  # the normalized destination (enrollment stores it once the proof is consumed)
    channel: Channel = Channel.SMS
    # When the code stops working, as the send script stored it (0: not known); a detail of the send, not its result.
    expires_at: float = field(default=0.0, compare=False)


class SendRefusal(enum.Enum):
    """Why no code was sent."""

    COOLDOWN = "cooldown"
    USER_LIMIT = "user_limit"
    VOICE_LIMIT = "voice_limit"
    PHONE_LIMIT = "phone_limit"
    IP_LIMIT = "ip_limit"
    COUNTRY_BLOCKED = "country_blocked"  # the destination country reached its hourly cap
    GLOBAL_BUDGET = "global_budget"
    PROOF_REQUIRED = "proof_required"  # under pressure: solve the proof of work, then ask again
    COUNTRY_NOT_ALLOWED = "country_not_allowed"
    INVALID_NUMBER = "invalid_number"
    NUMBER_TYPE_NOT_ALLOWED = "number_type_not_allowed"
    UNDELIVERABLE = "undeliverable"  # the provider refused the number (Plivo 400)
    DELIVERY_FAILED = "delivery_failed"  # temporary provider or network failure; may retry now
    # Plivo Lookup's verdicts on a new number (factors/line_checks.py)
    VOIP_NOT_ALLOWED = "voip_not_allowed"  # an internet (VoIP) number, not listed in PHONE_LINE_TYPES
    TOLL_FREE_NOT_ALLOWED = "toll_free_not_allowed"
    LOOKUP_FAILED = "lookup_failed"  # Lookup is out (or could not tell) and PHONE_LOOKUP_ON_ERROR=deny
    NO_FALLBACK = "no_fallback"  # no WhatsApp code waits for a text instead (delivered, used, expired, texted once)
    FALLBACK_NOT_YET = "fallback_not_yet"  # the WhatsApp message may still arrive: a text instead after the wait


@dataclass(frozen=True)
class SendRefused:
    """No code was sent; `retry_after_seconds` > 0 for the cooldown and the limits."""

    reason: SendRefusal
    retry_after_seconds: int = 0


RequestResult = CodeSent | SendRefused

PHONE_REFUSALS = {
    PhoneProblem.INVALID_NUMBER: SendRefusal.INVALID_NUMBER,
    PhoneProblem.COUNTRY_NOT_ALLOWED: SendRefusal.COUNTRY_NOT_ALLOWED,
    PhoneProblem.NUMBER_TYPE_NOT_ALLOWED: SendRefusal.NUMBER_TYPE_NOT_ALLOWED,
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
    site_host: str = ""
    voice_calls_per_hour_per_user: int = 3
    country_caps: tuple[tuple[str, int], ...] = ()
    country_cap_default: int = 100
    country_block_seconds: int = 3600
    pow_after_sends_per_user: int = 0
    pow_after_sends_per_ip: int = 0
    pow_after_country_cap_percent: int = 0
    whatsapp_fallback_seconds: int = 20

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
                allow_voip=settings.otp_allow_voip or "voip" in (settings.phone_line_types or ()),
            ),
            site_host=settings.site_host,
            voice_calls_per_hour_per_user=settings.voice_calls_per_hour_per_user,
            country_caps=settings.sms_country_caps_per_hour,
            country_cap_default=settings.sms_country_cap_default_per_hour,
            country_block_seconds=settings.sms_country_block_seconds,
            pow_after_sends_per_user=settings.pow_after_sends_per_hour_per_user,
            pow_after_sends_per_ip=settings.pow_after_sends_per_hour_per_ip,
            pow_after_country_cap_percent=settings.pow_after_country_cap_percent,
            whatsapp_fallback_seconds=settings.whatsapp_fallback_seconds,
        )

    def country_cap(self, region: str) -> int:
        """Sends per hour to a destination country before it is blocked."""
        return dict(self.country_caps).get(region, self.country_cap_default)


@dataclass(frozen=True)
class SendWindows:
    """The windows one send goes through, in refusal order, and which of them is the country's cap."""

    counters: list[Counter]
    refusals: list[SendRefusal]
    country_index: int  # position of the country window in `counters`
    country_block_key: str
    has_cooldown: bool = True  # the first window is the resend cooldown (a sorted set; the others are bucketed)

    @property
    def cooldown(self) -> Counter:
        """The resend cooldown (first, when the send has one)."""
        return self.counters[0]

    def without_cooldown(self) -> SendWindows:
        """Every window but the resend cooldown: a WhatsApp code's fallback text is no second send for the
        cooldown, yet it is a paid text to that number, IP and country like any other (pumping)."""
        counters, refusals = self.counters[1:], self.refusals[1:]
        return SendWindows(counters, refusals, self.country_index - 1, self.country_block_key, has_cooldown=False)

    def refusal(self, verdict: str, wait: object, detail: int) -> SendRefused | None:
        """The request script's answer as a refusal (None: sent)."""
        if verdict == "ok":
            return None
        if verdict == "blocked":
            return SendRefused(SendRefusal.COUNTRY_BLOCKED, whole_seconds(wait))
        if verdict == "proof":
            return SendRefused(SendRefusal.PROOF_REQUIRED)
        return SendRefused(self.refusals[detail - 1], whole_seconds(wait))


def cooldown_counter(policy: OtpPolicy, user_id: int, purpose: Purpose, phone_digest: str = "") -> Counter:
    """One cooldown per user, purpose and number, so enrolling does not block the next login's first code,
    and a code may go to a different new number at once (a typo fixed); texts and calls share it. Sign-in and
    re-authentication codes only ever go to the user's one number: their cooldown is the user's."""
    if purpose is Purpose.ENROLL:
        return Counter(f"otp:cooldown:{purpose.value}:{user_id}:{phone_digest}", 1, policy.resend_cooldown_seconds)
    return Counter(f"otp:cooldown:{purpose.value}:{user_id}", 1, policy.resend_cooldown_seconds)


# A lost phone's number change may text past the account's full window, by this many texts at most: the account's
# hard ceiling is the window plus these, whatever the purposes.
LOST_PHONE_EXTRA_SENDS = 2


def user_sends_key(user_id: int, replacing_number: bool = False) -> str:
    """The user's hourly window of sends. Every text counts in the shared one; a lost phone's number change (2FA
    on, re-authenticated with another factor) also counts in a window of its own, so the lost phone's texts never
    leave its owner unable to move to a new number."""
    suffix = ":setup" if replacing_number else ""
    return f"otp:sends:user:{user_id}{suffix}"


def user_counters(policy: OtpPolicy, user_id: int, replacing_number: bool) -> list[Counter]:
    """The account's windows for one send. The shared window counts every text of the account, so its proof of work
    applies to the combined count; a lost phone's number change is held by its own window instead and by the
    shared one only at the hard ceiling (the window plus LOST_PHONE_EXTRA_SENDS)."""
    hour, cap, pow_at = SEND_WINDOW_SECONDS, policy.sends_per_hour_per_user, policy.pow_after_sends_per_user
    if not replacing_number:
        return [Counter(user_sends_key(user_id), cap, hour, pow_at)]
    ceiling = cap + LOST_PHONE_EXTRA_SENDS if cap else 0
    return [Counter(user_sends_key(user_id, True), cap, hour), Counter(user_sends_key(user_id), ceiling, hour, pow_at)]


def ip_counter(policy: OtpPolicy, secret: str, client_ip: str) -> Counter:
    """The client IP's hourly window of sends (keyed by a digest of its scope, never the address)."""
    ip_key = f"otp:sends:ip:{keyed_digest(secret, 'otp-ip', ip_scope(client_ip))}"
    return Counter(ip_key, policy.sends_per_hour_per_ip, SEND_WINDOW_SECONDS, policy.pow_after_sends_per_ip)


def country_counter(policy: OtpPolicy, region: str) -> Counter:
    """The destination country's hourly window: its cap, and proof of work past a share of it."""
    cap = policy.country_cap(region)
    percent = policy.pow_after_country_cap_percent
    country_pow = math.ceil(cap * percent / 100) if percent else 0
    return Counter(f"otp:sends:country:{region}", cap, SEND_WINDOW_SECONDS, country_pow)


def global_counter(policy: OtpPolicy, purpose: Purpose) -> Counter:
    """The operator's hourly budget of codes. Codes to a number already enrolled (sign-in, re-authentication) have
    a budget apart from codes to new numbers, so abuse of enrollment cannot starve sign-ins or locking an account
    down."""
    key = GLOBAL_SENDS_KEY if purpose in TO_ENROLLED_NUMBER else f"{GLOBAL_SENDS_KEY}:setup"
    return Counter(key, policy.sends_per_hour_global, SEND_WINDOW_SECONDS)


def pressure_windows(
    policy: OtpPolicy, secret: str, *, user_id: int, client_ip: str, region: str, replacing_number: bool = False
) -> tuple[list[Counter], list[SendRefusal]]:
    """The account's, the client IP's and the destination country's windows and the setup codes' global budget, in
    refusal order: what a billed lookup of a new number spends, exactly as its send does (the same counters, so
    both add up; the country's block is read beside them, line_checks.py)."""
    windows = [(counter, SendRefusal.USER_LIMIT) for counter in user_counters(policy, user_id, replacing_number)]
    windows += [
        (ip_counter(policy, secret, client_ip), SendRefusal.IP_LIMIT),
        (country_counter(policy, region), SendRefusal.COUNTRY_BLOCKED),
        (global_counter(policy, Purpose.ENROLL), SendRefusal.GLOBAL_BUDGET),
    ]
    return [counter for counter, _ in windows], [refusal for _, refusal in windows]


def send_windows(
    policy: OtpPolicy,
    secret: str,
    *,
    user_id: int,
    purpose: Purpose,
    channel: Channel,
    phone_digest: str,
    client_ip: str,
    region: str,
    replacing_number: bool = False,
) -> SendWindows:
    """Every window a send to `region` by this user from this IP goes through (`replacing_number`: a setup code
    of a lost phone's number change)."""
    hour = SEND_WINDOW_SECONDS
    windows: list[tuple[Counter, SendRefusal]] = [
        (cooldown_counter(policy, user_id, purpose, phone_digest), SendRefusal.COOLDOWN),
        *[(counter, SendRefusal.USER_LIMIT) for counter in user_counters(policy, user_id, replacing_number)],
    ]
    if channel is Channel.VOICE:
        windows.append(
            (Counter(f"otp:calls:user:{user_id}", policy.voice_calls_per_hour_per_user, hour), SendRefusal.VOICE_LIMIT)
        )
    windows += [
        (Counter(f"otp:sends:phone:{phone_digest}", policy.sends_per_hour_per_phone, hour), SendRefusal.PHONE_LIMIT),
        (ip_counter(policy, secret, client_ip), SendRefusal.IP_LIMIT),
        (country_counter(policy, region), SendRefusal.COUNTRY_BLOCKED),
        (global_counter(policy, purpose), SendRefusal.GLOBAL_BUDGET),
    ]
    counters = [counter for counter, _ in windows]
    refusals = [refusal for _, refusal in windows]
    return SendWindows(counters, refusals, refusals.index(SendRefusal.COUNTRY_BLOCKED), COUNTRY_BLOCK_PREFIX + region)
