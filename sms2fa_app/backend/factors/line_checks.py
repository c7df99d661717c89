"""Know the number before paying for it: a new number's line, looked up once, decides how its codes travel.

On enrollment and on a number change, before the first send, the number goes through:

1. the free offline pre-filter (delivery/phone.py, `by_call`: a landline passes it, to be offered a call);
2. the cache: `lookup:line:{HMAC(number)}` holds the carrier's answer for PHONE_LOOKUP_TTL_DAYS (a hit costs
   no HTTP and no pressure, but is not told past a full window: the cache is no free oracle of others' numbers);
3. on a miss, Plivo Lookup ($0.004), counted first, in one atomic call, in the same per-account, per-IP and
   per-country windows and global setup budget as a send (sms_policy.pressure_windows), after the country's
   block, so enumerating numbers costs the attacker, not the operator. That call is the send windows' own rule
   (infra/bucket_windows.BucketLimiter: the same buckets, pressure gate and count). Under pressure it spends the
   proof of work; the send that follows in the same request is then prepaid (LineAccepted.prepaid), nothing else is;
4. the policy: VoIP not listed in PHONE_LINE_TYPES and toll-free are refused (first: a geographic range does
   not let them through); a landline (Lookup's `fixed`, or libphonenumber's FIXED_LINE) is called; a type listed
   in PHONE_LINE_TYPES (mobile by default) is texted; an outage or an answer that says nothing follows
   PHONE_LOOKUP_ON_ERROR (allow: the offline type decides).

Every outcome is logged (masked number) and counted (sms2fa_phone_lookups_total).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import redis

from sms2fa_app.backend.delivery.lookup import LineFound, LineKind, LineLookup, LookupAnswer, LookupFailure
from sms2fa_app.backend.delivery.phone import LineType, PhoneNumber, parse_phone
from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.factors.sms_codes import OtpService
from sms2fa_app.backend.factors.sms_policy import SendRefusal, SendRefused, pressure_windows
from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.infra.bucket_windows import BucketLimiter
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import keyed_digest
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.limits import LimitReached
from sms2fa_app.backend.infra.pow import ProofOfWork
from sms2fa_app.backend.infra.redis_store import redis_fail_closed
from sms2fa_app.config import Settings

log = logging.getLogger("sms2fa.lookup")

CACHE_PREFIX = "lookup:line:"
DAY_SECONDS = 86400


@dataclass(frozen=True)
class LinePolicy:
    """PHONE_LINE_TYPES, PHONE_LOOKUP_ON_ERROR and PHONE_LOOKUP_TTL_DAYS, as the checks use them."""

    texted: frozenset[LineKind] = frozenset({LineKind.MOBILE})
    deny_on_error: bool = False
    ttl_seconds: int = 30 * DAY_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> LinePolicy:
        """The policy the settings state (OTP_ALLOW_VOIP, which lets VoIP past the offline filter, also texts it)."""
        texted = {LineKind(kind) for kind in settings.phone_line_types or ("mobile",)}
        if settings.otp_allow_voip:
            texted.add(LineKind.VOIP)
        return cls(
            texted=frozenset(texted),
            deny_on_error=settings.phone_lookup_on_error == "deny",
            ttl_seconds=settings.phone_lookup_ttl_days * DAY_SECONDS,
        )


@dataclass(frozen=True)
class LineAccepted:
    """The number may get codes, by `channel` (VOICE for a landline); `kind` is None when Lookup said nothing.
    `prepaid`: the check spent a proof of work, which pays for the one send of this request too."""

    channel: Channel
    kind: LineKind | None = None
    prepaid: bool = field(default=False, compare=False)


LineVerdict = LineAccepted | SendRefused

_REFUSED_KINDS = {LineKind.VOIP: SendRefusal.VOIP_NOT_ALLOWED, LineKind.TOLL_FREE: SendRefusal.TOLL_FREE_NOT_ALLOWED}


class LineChecks:
    """Looks a new number up (cached, under pressure) and says how its codes travel, or why it is refused."""

    def __init__(
        self,
        client: redis.Redis,
        lookup: LineLookup,
        clock: Clock,
        otp: OtpService,
        policy: LinePolicy,
        secret_key: str,
        pow: ProofOfWork | None = None,
    ):
        """Beside `otp`: its policy (windows, the offline filter) and its listener, which hears a refusal here as it
        hears a refused send (the admin console's refusals chart)."""
        self._redis = client
        self._lookup = lookup
        self._otp = otp
        self._otp_policy = otp.policy
        self.policy = policy
        self._secret = secret_key
        self._pow = pow
        self._limiter = BucketLimiter(client, clock)  # the send windows' own rule (bucketed hashes)

    def check(
        self, *, phone: str, user_id: int, client_ip: str, proof: str = "", replacing_number: bool = False
    ) -> LineVerdict:
        """The verdict on a new number (raw input): texted, called, or refused. A number the offline filter refuses
        passes unchecked (the send refuses it, with its reason, for free)."""
        parsed = parse_phone(phone, self._otp_policy.phone, by_call=True)
        if not isinstance(parsed, PhoneNumber):
            return LineAccepted(Channel.SMS)
        answer, source = self._cached(parsed.e164), "cache"
        prepaid = False
        if answer is not None or self._lookup.billed:
            refused, prepaid = self._spend(parsed, user_id, client_ip, proof, replacing_number, billed=answer is None)
            if refused is not None:
                self._record(parsed, "refused", "plivo" if answer is None else source, refused)
                return refused
        if answer is None:
            answer, source = self._lookup.look_up(parsed.e164, parsed.line_type), "plivo"
            if not self._lookup.billed:
                source = "offline"
            elif isinstance(answer, LineFound):
                self._store(parsed.e164, answer.kind)
        verdict = self._decide(answer, parsed.line_type)
        outcome = answer.kind.value if isinstance(answer, LineFound) else answer.failure.value
        self._record(parsed, outcome, source, verdict)
        return replace(verdict, prepaid=True) if prepaid and isinstance(verdict, LineAccepted) else verdict

    def channel_for(self, e164: str) -> Channel:
        """How codes reach a number checked before (read when it is saved): a call for a landline, else a text."""
        parsed = parse_phone(e164, self._otp_policy.phone, by_call=True)
        if not isinstance(parsed, PhoneNumber):
            return Channel.SMS
        cached = self._cached(parsed.e164)
        landline = parsed.line_type is LineType.FIXED_LINE or (cached is not None and cached.kind is LineKind.FIXED)
        return Channel.VOICE if landline else Channel.SMS

    # ---- internals -----------------------------------------------------------------------------

    def _decide(self, answer: LookupAnswer, offline: LineType) -> LineVerdict:
        """The policy table (docs/phone-lookup.md): refusals first, then landline -> call, then texted kinds."""
        if not isinstance(answer, LineFound):
            if answer.failure in (LookupFailure.NOT_FOUND, LookupFailure.INVALID):
                return SendRefused(SendRefusal.INVALID_NUMBER)
            return self._on_error(offline)
        kind = answer.kind
        if kind in _REFUSED_KINDS and kind not in self.policy.texted:  # whatever range the number is in
            return SendRefused(_REFUSED_KINDS[kind])
        if kind is LineKind.FIXED or offline is LineType.FIXED_LINE:  # either one says landline: call it
            return LineAccepted(Channel.VOICE, kind)
        if kind in self.policy.texted:
            return LineAccepted(Channel.SMS, kind)
        if kind is LineKind.UNKNOWN:
            return self._on_error(offline)
        return SendRefused(SendRefusal.NUMBER_TYPE_NOT_ALLOWED)

    def _on_error(self, offline: LineType) -> LineVerdict:
        """Lookup could not tell: PHONE_LOOKUP_ON_ERROR decides (allow: the offline type, as the pre-filter let it
        by: a landline is called, anything else texted)."""
        if self.policy.deny_on_error:
            return SendRefused(SendRefusal.LOOKUP_FAILED)
        return LineAccepted(Channel.VOICE if offline is LineType.FIXED_LINE else Channel.SMS)

    def _spend(
        self, parsed: PhoneNumber, user_id: int, client_ip: str, proof: str, replacing_number: bool, *, billed: bool
    ) -> tuple[SendRefused | None, bool]:
        """Count a billed lookup in the send windows, or say which one is full, and whether the proof of work was
        spent (it then pays for this request's send too). One atomic call checks, spends the proof and counts, so
        parallel requests cannot pass the caps. A cached answer (`billed` False) counts nothing, but is refused
        with the window's answer when one is full."""
        counters, refusals = pressure_windows(
            self._otp_policy, self._secret, user_id=user_id, client_ip=client_ip,
            region=parsed.region, replacing_number=replacing_number,
        )  # fmt: skip
        if not billed:
            reached, paid = self._limiter.check(counters), False
        else:
            blocked = self._otp.country_block_wait(parsed.region)
            if blocked:
                return self._refused(SendRefusal.COUNTRY_BLOCKED, blocked), False
            checked = self._pow.check(proof) if self._pow is not None and proof else None
            reached, paid = self._limiter.check_and_spend(counters, checked)
        if reached is None:
            return None, paid
        if isinstance(reached, LimitReached):
            return self._refused(refusals[counters.index(reached.counter)], reached.retry_after_seconds), False
        return SendRefused(SendRefusal.PROOF_REQUIRED), False

    @staticmethod
    def _refused(reason: SendRefusal, retry_after_seconds: int) -> SendRefused:
        metrics.count_refusal(f"lookup_{reason.value}")
        return SendRefused(reason, retry_after_seconds)

    def _key(self, e164: str) -> str:
        return CACHE_PREFIX + keyed_digest(self._secret, "phone-lookup", e164)

    def _cached(self, e164: str) -> LineFound | None:
        with redis_fail_closed():
            stored = self._redis.get(self._key(e164))
        if stored is None:
            return None
        text = stored.decode() if isinstance(stored, bytes) else str(stored)
        return LineFound(LineKind(text)) if text in LineKind._value2member_map_ else None

    def _store(self, e164: str, kind: LineKind) -> None:
        with redis_fail_closed():
            self._redis.set(self._key(e164), kind.value, ex=self.policy.ttl_seconds)

    def _record(self, parsed: PhoneNumber, outcome: str, source: str, verdict: LineVerdict) -> None:
        """The log line and the metric of every check; a refusal is also the OTP listener's event."""
        decided = verdict.channel.value if isinstance(verdict, LineAccepted) else verdict.reason.value
        log_event(
            log, logging.INFO, "phone_lookup", phone=parsed.masked, region=parsed.region,
            outcome=outcome, source=source, verdict=decided,
        )  # fmt: skip
        metrics.count_lookup(outcome, source)
        if isinstance(verdict, SendRefused) and self._otp.on_text is not None:
            self._otp.on_text(Channel.SMS, parsed.region, verdict.reason.value, "")
