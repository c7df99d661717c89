"""LineChecks: the Lookup policy table, its Redis cache under a keyed hash, lookups counted as send pressure, the
offline pre-filter in front of it, and development's offline stand-in (issue 27)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sms2fa_app.backend.delivery.lookup import (
    LineFound,
    LineKind,
    LookupAnswer,
    LookupFailed,
    LookupFailure,
    OfflineLookup,
)
from sms2fa_app.backend.delivery.phone import LineType, PhoneNumber, PhoneProblem, PhoneRejected, parse_phone
from sms2fa_app.backend.delivery.status import Channel, stored_channel
from sms2fa_app.backend.factors.line_checks import CACHE_PREFIX, LineAccepted, LineChecks, LinePolicy
from sms2fa_app.backend.factors.sms_codes import OtpService
from sms2fa_app.backend.factors.sms_policy import SendRefusal, SendRefused, user_sends_key
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.pow import ProofOfWork, solve
from tests.conftest import TEST_SECRET, make_settings
from tests.support.recording_gateway import RecordingGateway
from tests.support.send_windows import sends_counted

MOBILE = "+16502531212"
LANDLINE = "+442079460000"


class ScriptedLookup:
    """A billed Lookup that answers from a table (mobile otherwise) and counts its calls."""

    billed = True

    def __init__(self, **answers: LookupAnswer) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def look_up(self, e164: str, offline_type: LineType) -> LookupAnswer:
        self.asked.append(e164)
        return self.answers.get(e164.lstrip("+"), LineFound(LineKind.MOBILE))


@pytest.fixture
def make_checks(tmp_path: Path, redis_client, clock: FakeClock):
    def make(lookup: object, **overrides: str) -> LineChecks:
        settings = make_settings(tmp_path, **overrides)
        pow = ProofOfWork(TEST_SECRET, clock, settings.pow_difficulty)
        otp = OtpService(redis_client, RecordingGateway(), clock, settings)
        return LineChecks(
            redis_client,
            lookup,  # type: ignore[arg-type]
            clock,
            otp,
            LinePolicy.from_settings(settings),
            TEST_SECRET,
            pow,
        )

    return make


def check(checks: LineChecks, phone: str = MOBILE, user_id: int = 1, ip: str = "203.0.113.7", proof: str = ""):
    return checks.check(phone=phone, user_id=user_id, client_ip=ip, proof=proof)


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (LineFound(LineKind.MOBILE), LineAccepted(Channel.SMS, LineKind.MOBILE)),
        (LineFound(LineKind.FIXED), LineAccepted(Channel.VOICE, LineKind.FIXED)),
        (LineFound(LineKind.VOIP), SendRefused(SendRefusal.VOIP_NOT_ALLOWED)),
        (LineFound(LineKind.TOLL_FREE), SendRefused(SendRefusal.TOLL_FREE_NOT_ALLOWED)),
        (LookupFailed(LookupFailure.NOT_FOUND), SendRefused(SendRefusal.INVALID_NUMBER)),
        (LookupFailed(LookupFailure.OUTAGE), LineAccepted(Channel.SMS)),  # development's default: allow
        (LineFound(LineKind.UNKNOWN), LineAccepted(Channel.SMS)),
    ],
)
def test_the_policy_table_under_the_defaults(make_checks, answer: LookupAnswer, verdict) -> None:
    assert check(make_checks(ScriptedLookup(**{MOBILE[1:]: answer}))) == verdict


def test_voip_is_texted_when_listed_or_when_otp_allow_voip_is_on(make_checks) -> None:
    voip = ScriptedLookup(**{MOBILE[1:]: LineFound(LineKind.VOIP)})
    listed = LineAccepted(Channel.SMS, LineKind.VOIP)
    assert check(make_checks(voip, PHONE_LINE_TYPES="mobile,voip")) == listed
    assert check(make_checks(voip, OTP_ALLOW_VOIP="true"), user_id=2) == listed
    assert check(make_checks(voip, PHONE_LINE_TYPES="voip"), user_id=3) == listed


@pytest.mark.parametrize("answer", [LookupFailed(LookupFailure.OUTAGE), LineFound(LineKind.UNKNOWN)])
def test_deny_on_error_refuses_what_lookup_cannot_tell(make_checks, answer: LookupAnswer) -> None:
    checks = make_checks(ScriptedLookup(**{MOBILE[1:]: answer}), PHONE_LOOKUP_ON_ERROR="deny")
    assert check(checks) == SendRefused(SendRefusal.LOOKUP_FAILED)


def test_a_landline_passes_the_offline_filter_only_to_be_called(make_checks) -> None:
    """libphonenumber's FIXED_LINE reaches Lookup now; either one saying landline means a call, never a text."""
    assert parse_phone(LANDLINE) == PhoneRejected(PhoneProblem.NUMBER_TYPE_NOT_ALLOWED, "GB")  # texts: still refused
    assert isinstance(parse_phone(LANDLINE, by_call=True), PhoneNumber)
    lookup = ScriptedLookup()  # even a carrier answering "mobile" does not make a London landline textable
    checks = make_checks(lookup)
    assert check(checks, LANDLINE) == LineAccepted(Channel.VOICE, LineKind.MOBILE)
    other = "+442079460999"
    outage = make_checks(ScriptedLookup(**{other[1:]: LookupFailed(LookupFailure.OUTAGE)}))
    assert check(outage, other, user_id=2) == LineAccepted(Channel.VOICE)  # allow: the offline type decides


def test_numbers_the_offline_filter_refuses_are_never_looked_up(make_checks) -> None:
    lookup = ScriptedLookup()
    checks = make_checks(lookup)
    for refused in ("+1 900 555 1212", "not a number", "+18005550100"):  # premium rate, garbage, toll-free
        assert check(checks, refused) == LineAccepted(Channel.SMS)  # the send refuses it, for free
    assert lookup.asked == []


def test_answers_are_cached_under_a_keyed_hash_for_the_ttl(make_checks, redis_client, clock: FakeClock) -> None:
    lookup = ScriptedLookup(**{LANDLINE[1:]: LineFound(LineKind.FIXED)})
    checks = make_checks(lookup, PHONE_LOOKUP_TTL_DAYS="2")
    assert check(checks, LANDLINE).channel is Channel.VOICE
    assert check(checks, LANDLINE, user_id=2).channel is Channel.VOICE
    assert lookup.asked == [LANDLINE]
    (key,) = redis_client.keys(f"{CACHE_PREFIX}*")
    assert "442079460000" not in key and redis_client.get(key) == "fixed"
    assert 2 * 86400 - 5 <= redis_client.ttl(key) <= 2 * 86400
    assert checks.channel_for(LANDLINE) is Channel.VOICE and checks.channel_for(MOBILE) is Channel.SMS


def test_failures_are_not_cached(make_checks) -> None:
    lookup = ScriptedLookup(**{MOBILE[1:]: LookupFailed(LookupFailure.OUTAGE)})
    checks = make_checks(lookup)
    check(checks)
    check(checks, user_id=2)
    assert lookup.asked == [MOBILE, MOBILE]


def test_a_billed_lookup_counts_in_the_send_windows_and_a_cached_one_does_not(make_checks, redis_client) -> None:
    lookup = ScriptedLookup()
    checks = make_checks(lookup, OTP_SENDS_PER_HOUR_PER_USER="2")
    assert check(checks).channel is Channel.SMS
    assert sends_counted(redis_client, user_sends_key(1)) == 1
    assert check(checks).channel is Channel.SMS  # cached: free
    assert sends_counted(redis_client, user_sends_key(1)) == 1
    assert check(checks, "+16502531213").channel is Channel.SMS  # the window is full now
    for number in ("+16502531214", MOBILE):  # a new number, and a cached one: not told past a full window (F7)
        refused = check(checks, number)
        assert isinstance(refused, SendRefused) and refused.reason is SendRefusal.USER_LIMIT
        assert refused.retry_after_seconds > 0
    assert lookup.asked == [MOBILE, "+16502531213"] and sends_counted(redis_client, user_sends_key(1)) == 2


def test_pressure_asks_for_a_proof_the_lookup_spends(make_checks, redis_client, clock: FakeClock) -> None:
    """One solution pays for one billed lookup (and the send that follows it in the same request): a second lookup,
    by any account, needs a new one (review F1)."""
    lookup = ScriptedLookup()
    checks = make_checks(lookup, POW_AFTER_SENDS_PER_HOUR_PER_IP="1")
    assert check(checks, "+16502531001").channel is Channel.SMS
    assert check(checks, "+16502531002") == SendRefused(SendRefusal.PROOF_REQUIRED)
    assert lookup.asked == ["+16502531001"]  # refused before any billed request
    proof = solve(ProofOfWork(TEST_SECRET, clock, 20).challenge())
    paid = check(checks, "+16502531002", proof=proof)
    assert isinstance(paid, LineAccepted) and paid.channel is Channel.SMS and paid.prepaid
    assert len(redis_client.keys("pow:spent:*")) == 1  # spent by the lookup itself
    assert check(checks, "+16502531003", user_id=2, proof=proof) == SendRefused(SendRefusal.PROOF_REQUIRED)
    assert lookup.asked == ["+16502531001", "+16502531002"]


def test_every_outcome_is_logged_with_a_masked_number(make_checks, caplog: pytest.LogCaptureFixture) -> None:
    checks = make_checks(ScriptedLookup(**{MOBILE[1:]: LineFound(LineKind.VOIP)}))
    with caplog.at_level(logging.INFO, logger="sms2fa.lookup"):
        check(checks)
    (line,) = [record.getMessage() for record in caplog.records]
    assert "event=phone_lookup" in line and "outcome=voip" in line and "verdict=voip_not_allowed" in line
    assert "1212" in line and "6502531212" not in line


@pytest.mark.parametrize(
    ("phone", "kind"),
    [(MOBILE, LineKind.MOBILE), (LANDLINE, LineKind.FIXED), ("+447400123456", LineKind.MOBILE)],
)
def test_development_looks_numbers_up_offline_for_free(make_checks, redis_client, phone: str, kind: LineKind) -> None:
    parsed = parse_phone(phone, by_call=True)
    assert isinstance(parsed, PhoneNumber)
    assert OfflineLookup().look_up(parsed.e164, parsed.line_type) == LineFound(kind)
    checks = make_checks(OfflineLookup())
    assert isinstance(check(checks, phone), LineAccepted)
    assert not redis_client.keys("otp:sends:*") and not redis_client.keys(f"{CACHE_PREFIX}*")


def test_the_stored_channel_calls_a_landline_and_texts_anything_else() -> None:
    assert stored_channel("voice") is Channel.VOICE
    assert stored_channel("sms") is Channel.SMS and stored_channel(None) is Channel.SMS


@pytest.mark.parametrize(
    ("kind", "reason"),
    [(LineKind.VOIP, SendRefusal.VOIP_NOT_ALLOWED), (LineKind.TOLL_FREE, SendRefusal.TOLL_FREE_NOT_ALLOWED)],
)
def test_a_refused_kind_in_a_geographic_range_is_refused_not_called(make_checks, kind: LineKind, reason) -> None:
    """The refusals come before landline -> call: libphonenumber's FIXED_LINE (a London range) does not let a
    number Lookup calls VoIP or toll-free through by call (review F3)."""
    checks = make_checks(ScriptedLookup(**{LANDLINE[1:]: LineFound(kind)}), PHONE_LINE_TYPES="mobile")
    assert check(checks, LANDLINE) == SendRefused(reason)


def test_listed_voip_in_a_geographic_range_is_still_called(make_checks) -> None:
    """Listing VoIP accepts it; a geographic (FIXED_LINE) number is then called, like any landline."""
    checks = make_checks(ScriptedLookup(**{LANDLINE[1:]: LineFound(LineKind.VOIP)}), PHONE_LINE_TYPES="mobile,voip")
    assert check(checks, LANDLINE) == LineAccepted(Channel.VOICE, LineKind.VOIP)
