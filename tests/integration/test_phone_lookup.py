"""Plivo Lookup before the first send to a new number, with the real SDK over HTTP to the local Plivo server and a
real Redis: each policy branch, cache hits that spend nothing, an outage under allow and deny, and lookups counted
against the send pressure (issue 27)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from prometheus_client import REGISTRY

from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.factors import sms_codes
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.line_checks import LineAccepted
from sms2fa_app.backend.factors.sms_codes import CodeSent, SendRefusal, SendRefused
from sms2fa_app.backend.factors.sms_policy import COUNTRY_BLOCK_PREFIX, GLOBAL_SENDS_KEY, user_sends_key
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.pow import Proof, solve
from sms2fa_app.backend.services import Services, build_services
from tests.conftest import FAST_HASHER, make_settings
from tests.support.factories import PASSWORD, account, create_user, granted, signed_in
from tests.support.plivo_server import LocalPlivo
from tests.support.send_windows import sends_counted

MOBILE = "+16502531001"
LANDLINE = "+442079460000"  # a London landline (libphonenumber: FIXED_LINE)
VOIP = "+16502531002"
TOLL_FREE = "+16502531003"
UNKNOWN = "+16502531004"
IP = "203.0.113.7"


def lookups_counted(outcome: str, source: str = "plivo") -> float:
    return REGISTRY.get_sample_value("sms2fa_phone_lookups_total", {"outcome": outcome, "source": source}) or 0.0


@pytest.fixture
def make_services(
    tmp_path: Path, real_redis_server, local_plivo: LocalPlivo, clock: FakeClock, database: Database
) -> Iterator:
    clients: list[redis.Redis] = []

    def make(**overrides: str) -> Services:
        settings = make_settings(tmp_path, **local_plivo.settings(), **overrides)
        client = real_redis_server.client()
        clients.append(client)
        return build_services(settings, clock=clock, redis_client=client, database=database, hasher=FAST_HASHER)

    local_plivo.lookups.answer_for(VOIP, "voip")
    local_plivo.lookups.answer_for(TOLL_FREE, "toll-free")
    local_plivo.lookups.answer_for(UNKNOWN, 404)
    yield make
    for client in clients:
        client.close()


def enroll(services: Services, phone: str, user_id: int = 1, ip: str = IP, proof: str = ""):
    """The phone step of turning 2FA on, for a signed-in account holding the grant (created on first use)."""
    if services.accounts.get(user_id) is None:
        create_user(services, f"user{user_id}@example.com")
    _token, session = signed_in(services, user_id)
    granted(services, session, Operation.ENABLE_SMS)
    return services.factor_changes.send_enroll_code(
        session, account(services, user_id), phone, phone, ip, proof
    ), session


def test_a_mobile_is_looked_up_once_then_texted(make_services, local_plivo: LocalPlivo) -> None:
    services = make_services()
    before = lookups_counted("mobile")
    sent, _session = enroll(services, MOBILE)
    assert local_plivo.lookups.requests == [MOBILE]  # the SDK reached Lookup's own URL (PLIVO_LOOKUP_URL)
    assert isinstance(sent, CodeSent) and sent.channel is Channel.SMS
    assert [message["dst"] for message in local_plivo.messages] == [MOBILE]
    assert lookups_counted("mobile") == before + 1


def test_a_landline_is_called_and_keeps_being_called_after_enrollment(
    make_services, local_plivo: LocalPlivo, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = make_services()
    monkeypatch.setattr(sms_codes, "new_code", lambda: "246810")  # what the call reads out (no app answers it here)
    sent, session = enroll(services, LANDLINE)
    assert local_plivo.messages == []  # a landline never gets a text
    assert [call["to"] for call in local_plivo.calls] == [LANDLINE]
    assert isinstance(sent, CodeSent) and sent.channel is Channel.VOICE
    changes = services.factor_changes
    assert changes.verify_enroll_code(session, account(services), "246810", LANDLINE).done
    assert account(services).phone_channel == "voice"
    # Later codes to the number call it too: the re-authentication of the next change, for one.
    operation = Operation.REGENERATE_CODES
    assert changes.begin(session, account(services), operation).value == "done"
    changes.confirm_password(session, account(services), operation, PASSWORD, IP)
    again = changes.send_reauth_code(session, account(services), IP)
    assert isinstance(again, CodeSent) and again.channel is Channel.VOICE
    assert len(local_plivo.calls) == 2 and local_plivo.messages == []
    assert local_plivo.lookups.requests == [LANDLINE]  # an enrolled number is not looked up again


def test_voip_is_refused_with_its_reason_unless_listed(make_services, local_plivo: LocalPlivo) -> None:
    services = make_services()
    refused, _session = enroll(services, VOIP)
    assert local_plivo.messages == []
    assert refused == SendRefused(SendRefusal.VOIP_NOT_ALLOWED)
    assert ("voip_not_allowed", 1) in services.admin.charts.read().refusals  # the console's refusals chart
    listed = make_services(PHONE_LINE_TYPES="mobile,voip")
    sent, _session = enroll(listed, VOIP, user_id=2)
    assert isinstance(sent, CodeSent) and [message["dst"] for message in local_plivo.messages] == [VOIP]
    assert local_plivo.lookups.requests == [VOIP]  # the second answer came from the cache


def test_toll_free_and_unknown_numbers_are_refused(make_services, local_plivo: LocalPlivo) -> None:
    services = make_services()
    toll_free, _session = enroll(services, TOLL_FREE)
    unknown, _session = enroll(services, UNKNOWN, user_id=2)
    assert local_plivo.messages == []
    assert toll_free == SendRefused(SendRefusal.TOLL_FREE_NOT_ALLOWED)
    assert unknown == SendRefused(SendRefusal.INVALID_NUMBER)  # Plivo 404: no carrier knows it


def test_a_cache_hit_spends_nothing(make_services, local_plivo: LocalPlivo, real_redis) -> None:
    services = make_services()
    first, _session = enroll(services, MOBILE, user_id=1, ip="198.51.100.1")
    assert isinstance(first, CodeSent)
    assert sends_counted(real_redis, user_sends_key(1)) == 2  # the billed lookup and the text
    second, _session = enroll(services, MOBILE, user_id=2, ip="198.51.100.2")
    assert isinstance(second, CodeSent)
    assert local_plivo.lookups.requests == [MOBILE]  # the server saw no second lookup
    assert sends_counted(real_redis, user_sends_key(2)) == 1  # the text only: the cached answer cost no pressure
    assert all(MOBILE not in key and MOBILE[1:] not in key for key in real_redis.keys("lookup:*"))


@pytest.mark.parametrize(("on_error", "texted"), [("allow", True), ("deny", False)])
def test_an_outage_follows_phone_lookup_on_error(
    make_services, local_plivo: LocalPlivo, on_error: str, texted: bool, caplog: pytest.LogCaptureFixture
) -> None:
    services = make_services(PHONE_LOOKUP_ON_ERROR=on_error)
    local_plivo.lookups.answer_for(MOBILE, 500)
    with caplog.at_level(logging.INFO, logger="sms2fa.lookup"):
        result, _session = enroll(services, MOBILE)
    assert len(local_plivo.messages) == (1 if texted else 0)
    assert isinstance(result, CodeSent) if texted else result == SendRefused(SendRefusal.LOOKUP_FAILED)
    lines = [record.getMessage() for record in caplog.records if "event=phone_lookup" in record.getMessage()]
    assert len(lines) == 1 and "outcome=outage" in lines[0] and "1001" in lines[0]
    assert MOBILE not in caplog.text and MOBILE[1:] not in caplog.text  # masked: the last four digits only
    local_plivo.lookups.answer_for(MOBILE, "mobile")
    enroll(services, MOBILE, user_id=2, ip="198.51.100.9")
    assert local_plivo.lookups.requests == [MOBILE, MOBILE]  # an outage is not cached


def test_lookups_count_against_the_send_pressure(make_services, local_plivo: LocalPlivo) -> None:
    """Enumerating numbers costs the attacker: each billed lookup takes a place in the IP's window like a send."""
    services = make_services(OTP_SENDS_PER_HOUR_PER_IP="3")
    first, _session = enroll(services, "+16502531101", user_id=1)
    second, _session = enroll(services, "+16502531102", user_id=2)
    third, _session = enroll(services, "+16502531103", user_id=3)
    assert [message["dst"] for message in local_plivo.messages] == ["+16502531101"]
    assert isinstance(first, CodeSent)
    assert isinstance(second, SendRefused) and second.reason is SendRefusal.IP_LIMIT  # its lookup took the last place
    assert isinstance(third, SendRefused) and third.reason is SendRefusal.IP_LIMIT
    assert local_plivo.lookups.requests == ["+16502531101", "+16502531102"]  # no lookup once the window is full


# ---- the security review's findings (issue 27A): each test failed on the code before its fix ----------------------


def test_one_proof_pays_for_one_lookup_and_its_send_only(make_services, local_plivo: LocalPlivo, real_redis) -> None:
    """F1: the lookup spends the proof in its own atomic call, so a solution used for a lookup that no send
    follows (a refused VoIP number) cannot pay for the next lookup, whoever asks; the send that follows a lookup
    in the same request is prepaid by it."""
    more_voip = ("+16502531005", "+16502531006")
    for number in more_voip:
        local_plivo.lookups.answer_for(number, "voip")
    services = make_services(POW_AFTER_SENDS_PER_HOUR_PER_IP="1", OTP_SENDS_PER_HOUR_PER_IP="100")
    assert enroll(services, VOIP, user_id=1)[0] == SendRefused(SendRefusal.VOIP_NOT_ALLOWED)  # pressure from now on
    proof = solve(services.pow.challenge())
    assert enroll(services, more_voip[0], user_id=2, proof=proof)[0] == SendRefused(SendRefusal.VOIP_NOT_ALLOWED)
    assert enroll(services, more_voip[1], user_id=3, proof=proof)[0] == SendRefused(SendRefusal.PROOF_REQUIRED)
    assert local_plivo.lookups.requests == [VOIP, more_voip[0]]
    sent, _session = enroll(services, MOBILE, user_id=4, proof=solve(services.pow.challenge()))
    assert isinstance(sent, CodeSent) and [message["dst"] for message in local_plivo.messages] == [MOBILE]
    assert len(real_redis.keys("pow:spent:*")) == 2  # one per solution: the lookups spent them


def test_parallel_lookups_never_pass_the_caps(make_services, local_plivo: LocalPlivo, real_redis, monkeypatch) -> None:
    """F2: under pressure, n requests arriving together with one solution: the check, the proof and the count are
    one atomic call, so one lookup is billed, not n (the account's cap of 3 an hour holds)."""
    services = make_services(POW_AFTER_SENDS_PER_HOUR_PER_USER="1", OTP_SENDS_PER_HOUR_PER_USER="3")
    lines = services.factor_changes.lines
    assert lines is not None
    assert isinstance(lines.check(phone="+16502532000", user_id=1, client_ip=IP), LineAccepted)  # 1 of 3
    parallel = 8
    together = threading.Barrier(parallel)
    real_check = services.pow.check

    def check_then_wait(payload: object) -> Proof | None:  # every request holds a checked proof at the same time
        checked = real_check(payload)
        together.wait(timeout=10)
        return checked

    monkeypatch.setattr(services.pow, "check", check_then_wait)
    proof = solve(services.pow.challenge())
    verdicts: list[object] = []

    def one(number: str) -> None:
        verdicts.append(lines.check(phone=number, user_id=1, client_ip=IP, proof=proof))

    threads = [threading.Thread(target=one, args=(f"+1650253{2001 + i}",)) for i in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(verdict, LineAccepted) for verdict in verdicts) == 1
    assert verdicts.count(SendRefused(SendRefusal.PROOF_REQUIRED)) == parallel - 1
    assert len(local_plivo.lookups.requests) == 2 and sends_counted(real_redis, user_sends_key(1)) == 2
    assert real_redis.type(user_sends_key(1)) == "hash"  # the sends' own bucketed window, not a sorted set beside it


def test_a_lookup_and_its_send_count_in_the_same_bucketed_windows(
    make_services, local_plivo: LocalPlivo, real_redis
) -> None:
    """The send windows are bucketed hashes (bucket_windows.py): a billed lookup counts in them with the sends'
    own rule, before and after a send wrote them (no second layout beside them, no WRONGTYPE failing closed)."""
    services = make_services(OTP_SENDS_PER_HOUR_PER_USER="3")
    assert isinstance(enroll(services, MOBILE, user_id=1)[0], CodeSent)  # a lookup, then its text
    refused, _session = enroll(services, "+16502531101", user_id=1)  # a lookup: the third place; its text: none
    assert isinstance(refused, SendRefused) and refused.reason is SendRefusal.USER_LIMIT
    assert local_plivo.lookups.requests == [MOBILE, "+16502531101"]
    for key in (user_sends_key(1), GLOBAL_SENDS_KEY + ":setup", "otp:sends:country:US"):
        assert real_redis.type(key) == "hash" and sends_counted(real_redis, key) == 3, key


def test_lookups_stop_at_the_global_setup_budget(make_services, local_plivo: LocalPlivo, real_redis) -> None:
    """F4: the operator's hourly ceiling on codes to new numbers (OTP_SENDS_PER_HOUR_GLOBAL) holds lookups too."""
    services = make_services(OTP_SENDS_PER_HOUR_GLOBAL="2")
    assert isinstance(enroll(services, MOBILE, user_id=1)[0], CodeSent)  # a lookup and a text: the hour's budget
    refused, _session = enroll(services, "+16502531101", user_id=2, ip="198.51.100.2")
    assert isinstance(refused, SendRefused) and refused.reason is SendRefusal.GLOBAL_BUDGET
    assert local_plivo.lookups.requests == [MOBILE]  # no billed lookup past the ceiling


def test_lookups_stop_while_the_country_is_blocked(
    make_services, local_plivo: LocalPlivo, real_redis, clock: FakeClock
) -> None:
    """F4: a blocked destination country (its hourly cap reached) gets no billed lookup either."""
    services = make_services()
    real_redis.set(COUNTRY_BLOCK_PREFIX + "US", str(clock.now() + 600))
    refused, _session = enroll(services, MOBILE)
    assert isinstance(refused, SendRefused) and refused.reason is SendRefusal.COUNTRY_BLOCKED
    assert refused.retry_after_seconds == 600 and local_plivo.lookups.requests == []


def test_a_cached_answer_is_not_told_past_a_full_window(make_services, local_plivo: LocalPlivo, real_redis) -> None:
    """F7: with its windows full, an account gets the window's refusal even for a number in the cache: the cache
    is not a free oracle of the numbers others entered (and of their line type)."""
    services = make_services(OTP_SENDS_PER_HOUR_PER_IP="2")
    victim, _session = enroll(services, VOIP, user_id=1, ip="198.51.100.1")
    assert victim == SendRefused(SendRefusal.VOIP_NOT_ALLOWED)
    attacker_ip = "198.51.100.2"
    assert isinstance(enroll(services, MOBILE, user_id=2, ip=attacker_ip)[0], CodeSent)  # fills the IP's window
    probe, _session = enroll(services, VOIP, user_id=2, ip=attacker_ip)
    assert isinstance(probe, SendRefused) and probe.reason is SendRefusal.IP_LIMIT
    assert local_plivo.lookups.requests == [VOIP, MOBILE]
