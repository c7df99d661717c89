"""Phone numbers: parse user input into E.164, decide whether we may text it, mask it for display.

This is the free, offline pre-filter; Plivo Lookup decides after it, before the first send to a new number
(factors/line_checks.py, docs/phone-lookup.md). Texts go to MOBILE and FIXED_LINE_OR_MOBILE (the type
libphonenumber gives to every number of the US, Canada and some other plans, where mobile and fixed ranges
are indistinguishable). VOIP numbers are refused unless OTP_ALLOW_VOIP is on (or PHONE_LINE_TYPES lists voip):
they are cheap to obtain in bulk and are not tied to a device (NIST SP 800-63B), yet some real users only have
one. A FIXED_LINE is never texted, but may be called (`by_call`): a landline gets its codes by voice.
Everything else (toll-free, premium-rate, shared-cost, UAN, voicemail, pager, personal numbers, unknown) is
refused.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

MAX_INPUT_LENGTH = 64
MASK = "••••"


class PhoneProblem(enum.Enum):
    """Why a number is refused."""

    INVALID_NUMBER = "invalid_number"  # empty, unparsable, impossible, unassigned, or with an extension
    COUNTRY_NOT_ALLOWED = "country_not_allowed"
    NUMBER_TYPE_NOT_ALLOWED = "number_type_not_allowed"


class LineType(enum.Enum):
    """The kind of line a valid number belongs to (libphonenumber's PhoneNumberType)."""

    MOBILE = "mobile"
    FIXED_LINE_OR_MOBILE = "fixed_line_or_mobile"
    VOIP = "voip"
    FIXED_LINE = "fixed_line"
    TOLL_FREE = "toll_free"
    PREMIUM_RATE = "premium_rate"
    SHARED_COST = "shared_cost"
    PERSONAL_NUMBER = "personal_number"
    PAGER = "pager"
    UAN = "uan"
    VOICEMAIL = "voicemail"
    UNKNOWN = "unknown"


_LINE_TYPES = {
    PhoneNumberType.MOBILE: LineType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: LineType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.VOIP: LineType.VOIP,
    PhoneNumberType.FIXED_LINE: LineType.FIXED_LINE,
    PhoneNumberType.TOLL_FREE: LineType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE: LineType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST: LineType.SHARED_COST,
    PhoneNumberType.PERSONAL_NUMBER: LineType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER: LineType.PAGER,
    PhoneNumberType.UAN: LineType.UAN,
    PhoneNumberType.VOICEMAIL: LineType.VOICEMAIL,
}

SMS_LINE_TYPES = frozenset({LineType.MOBILE, LineType.FIXED_LINE_OR_MOBILE})


@dataclass(frozen=True)
class PhonePolicy:
    """Which numbers we text: default region for input without +, country allow-list (empty = all), VOIP."""

    default_region: str | None = None
    allowed_countries: frozenset[str] = frozenset()
    allow_voip: bool = False

    @property
    def line_types(self) -> frozenset[LineType]:
        """Line types texted under this policy."""
        return SMS_LINE_TYPES | {LineType.VOIP} if self.allow_voip else SMS_LINE_TYPES

    def accepts(self, line_type: LineType, by_call: bool = False) -> bool:
        """Whether a number of this type may get a code: texted, or (`by_call`) called, which a landline may too."""
        return line_type in self.line_types or (by_call and line_type is LineType.FIXED_LINE)


@dataclass(frozen=True)
class PhoneNumber:
    """A valid number we may text."""

    e164: str
    region: str
    line_type: LineType
    masked: str = field(default="", compare=False)  # display form, e.g. `•••• 1212`

    def __post_init__(self) -> None:
        if not self.masked:
            object.__setattr__(self, "masked", mask_phone(self.e164))


@dataclass(frozen=True)
class PhoneRejected:
    """A number we refuse, and why (and its country, when it is a valid number: metrics count by it)."""

    problem: PhoneProblem
    region: str | None = field(default=None, compare=False)


def _parse_valid(raw: str, default_region: str | None) -> tuple[phonenumbers.PhoneNumber, str] | None:
    """The parsed number and its region, if it is a valid number without an extension."""
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if not text or len(text) > MAX_INPUT_LENGTH:
        return None
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if number.extension or not phonenumbers.is_possible_number(number):
        return None
    region = phonenumbers.region_code_for_number(number)  # the costly lookup: done once
    if region is None or not phonenumbers.is_valid_number_for_region(number, region):
        return None
    return number, region


def parse_phone(raw: object, policy: PhonePolicy | None = None, by_call: bool = False) -> PhoneNumber | PhoneRejected:
    """Parse typed or stored input into a number we may text (or, `by_call`, call), or say why not (no I/O).

    Only bounded text reaches the cache: anything else is refused before it, so the cache's keys stay
    small whatever the browser sends."""
    if not isinstance(raw, str) or len(raw) > MAX_INPUT_LENGTH:
        return PhoneRejected(PhoneProblem.INVALID_NUMBER)
    return _parse_phone_cached(raw, policy or PhonePolicy(), by_call)


@lru_cache(maxsize=4096)
def _parse_phone_cached(raw: str, policy: PhonePolicy, by_call: bool) -> PhoneNumber | PhoneRejected:
    # Pure and frozen results: stored numbers parsed at every login are parsed once.
    parsed = _parse_valid(raw, policy.default_region)
    if parsed is None:
        return PhoneRejected(PhoneProblem.INVALID_NUMBER)
    number, region = parsed
    if policy.allowed_countries and region not in policy.allowed_countries:
        return PhoneRejected(PhoneProblem.COUNTRY_NOT_ALLOWED, region)
    line_type = _LINE_TYPES.get(phonenumbers.number_type(number), LineType.UNKNOWN)
    if not policy.accepts(line_type, by_call):
        return PhoneRejected(PhoneProblem.NUMBER_TYPE_NOT_ALLOWED, region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneNumber(e164=e164, region=region, line_type=line_type, masked=mask_phone(e164))


def normalize_e164(raw: str, default_region: str | None = None) -> str | None:
    """E.164 form of any valid number (no type or country policy), or None."""
    parsed = _parse_valid(raw, default_region)
    return None if parsed is None else phonenumbers.format_number(parsed[0], phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """The number as people write it, e.g. "+1 415-555-1007" (the input back when it does not parse)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_phone(phone: str) -> str:
    """Four bullets, a space and the last four digits: `•••• 1212` (just `••••` with fewer digits)."""
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    return f"{MASK} {digits[-4:]}" if len(digits) >= 4 else MASK
