"""Phone numbers: E.164 parsing, refused numbers and types, country allow-list, masking."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from sms2fa_app.backend.delivery.phone import (
    LineType,
    PhoneNumber,
    PhonePolicy,
    PhoneProblem,
    PhoneRejected,
    mask_phone,
    normalize_e164,
    parse_phone,
)


def _example(region: str, kind: PhoneNumberType) -> str:
    number = phonenumbers.example_number_for_type(region, kind)
    assert number is not None and phonenumbers.number_type(number) == kind
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize(
    "raw",
    ["+16502531212", "+1 650 253 1212", "+1 (650) 253-1212", "  +1.650.253.1212 ", "011 1 650 253 1212"],
)
def test_common_formats_become_e164(raw: str) -> None:
    parsed = parse_phone(raw, PhonePolicy(default_region="US") if raw.startswith("0") else None)
    assert parsed == PhoneNumber("+16502531212", "US", LineType.FIXED_LINE_OR_MOBILE)
    assert parsed.masked == "•••• 1212"


def test_default_region_applies_only_to_numbers_without_plus() -> None:
    assert parse_phone("(650) 253-1212", PhonePolicy(default_region="US")) == PhoneNumber(
        "+16502531212", "US", LineType.FIXED_LINE_OR_MOBILE
    )
    assert parse_phone("07400 123456", PhonePolicy(default_region="GB")) == PhoneNumber(
        "+447400123456", "GB", LineType.MOBILE
    )
    assert parse_phone("+447400123456", PhonePolicy(default_region="US")).e164 == "+447400123456"  # type: ignore[union-attr]
    assert parse_phone("6502531212") == PhoneRejected(PhoneProblem.INVALID_NUMBER)  # no region, no +


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "hello", "+1", "+1 650 253", "+1 650 253 12121", "+999 123 456 789", "+1 650 253 1212" + "0" * 60],
)
def test_impossible_or_invalid_numbers_are_refused(raw: str) -> None:
    assert parse_phone(raw) == PhoneRejected(PhoneProblem.INVALID_NUMBER)
    assert normalize_e164(raw) is None


def test_a_number_with_an_extension_is_refused() -> None:
    assert parse_phone("+1 650 253 1212 ext. 12") == PhoneRejected(PhoneProblem.INVALID_NUMBER)


@pytest.mark.parametrize(
    ("region", "kind"),
    [
        ("GB", PhoneNumberType.FIXED_LINE),
        ("GB", PhoneNumberType.TOLL_FREE),
        ("GB", PhoneNumberType.PREMIUM_RATE),
        ("DE", PhoneNumberType.SHARED_COST),
        ("GB", PhoneNumberType.UAN),
        ("DE", PhoneNumberType.VOICEMAIL),
        ("GB", PhoneNumberType.PAGER),
        ("GB", PhoneNumberType.PERSONAL_NUMBER),
        ("GB", PhoneNumberType.VOIP),
    ],
)
def test_line_types_that_cannot_hold_a_personal_sms_factor_are_refused(region: str, kind: PhoneNumberType) -> None:
    assert parse_phone(_example(region, kind)) == PhoneRejected(PhoneProblem.NUMBER_TYPE_NOT_ALLOWED)


def test_mobile_and_fixed_line_or_mobile_are_accepted_voip_only_when_allowed() -> None:
    mobile = parse_phone(_example("GB", PhoneNumberType.MOBILE))
    assert isinstance(mobile, PhoneNumber) and mobile.line_type is LineType.MOBILE and mobile.region == "GB"
    us = parse_phone(_example("US", PhoneNumberType.FIXED_LINE_OR_MOBILE))
    assert isinstance(us, PhoneNumber) and us.line_type is LineType.FIXED_LINE_OR_MOBILE
    voip = parse_phone(_example("GB", PhoneNumberType.VOIP), PhonePolicy(allow_voip=True))
    assert isinstance(voip, PhoneNumber) and voip.line_type is LineType.VOIP


def test_country_allow_list() -> None:
    policy = PhonePolicy(allowed_countries=frozenset({"US", "CA"}))
    assert isinstance(parse_phone("+16502531212", policy), PhoneNumber)
    assert parse_phone("+447400123456", policy) == PhoneRejected(PhoneProblem.COUNTRY_NOT_ALLOWED)
    # the country is checked before the line type
    assert parse_phone("+441212345678", policy) == PhoneRejected(PhoneProblem.COUNTRY_NOT_ALLOWED)
    assert isinstance(parse_phone("+447400123456", PhonePolicy()), PhoneNumber)  # empty list = every country


def test_normalize_to_e164() -> None:
    assert normalize_e164("+1 650") is None
    assert normalize_e164("(650) 253-1212", "US") == "+16502531212"
    assert normalize_e164("+44 20 7946 0000") == "+442079460000"  # any valid number, whatever its type


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("+16502531212", "•••• 1212"), ("+33 6 12 34 56 78", "•••• 5678"), ("+123", "••••"), ("", "••••")],
)
def test_mask_shows_only_the_last_four_digits(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_format_phone_writes_a_number_as_people_do() -> None:
    from sms2fa_app.backend.delivery.phone import format_phone

    assert format_phone("+14155551007") == "+1 415-555-1007"
    assert format_phone("+447700900123") == "+44 7700 900123"
    assert format_phone("not a number") == "not a number"
