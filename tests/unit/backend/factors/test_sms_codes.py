"""OtpService on fakeredis with a FakeClock: codes, requests and their limits, failed sends, verify, single use,
proofs of a verified phone (the lockout and the resilience suites are test_sms_code_lockout.py and
test_sms_code_resilience.py)."""

from __future__ import annotations

import hashlib
import re

import pytest

from sms2fa_app.backend.delivery.code_text import message_text
from sms2fa_app.backend.delivery.sms import DeliveryFailure
from sms2fa_app.backend.factors import sms_codes as otp_module
from sms2fa_app.backend.factors.results import VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import (
    CodeSent,
    OtpService,
    Purpose,
    SendRefusal,
    SendRefused,
    new_code,
    normalize_code,
)
from sms2fa_app.backend.factors.sms_policy import LOST_PHONE_EXTRA_SENDS
from sms2fa_app.backend.infra.clock import FakeClock
from tests.support.otp_calls import (
    IP,
    OTHER_PHONE,
    PHONE,
    SESSION,
    USER,
    closed_port_client,
    redis_dump,
    request,
    verify,
    wrong,
)
from tests.support.send_windows import BUCKET_SECONDS, sends_counted

# ---- codes --------------------------------------------------------------------------------------


def test_codes_are_six_uniform_digits_from_secrets(monkeypatch) -> None:
    asked = []

    def randbelow(bound: int) -> int:
        asked.append(bound)
        return 42

    monkeypatch.setattr(otp_module.secrets, "randbelow", randbelow)
    assert new_code() == "000042" and asked == [10**6]
    monkeypatch.undo()
    codes = {new_code() for _ in range(200)}
    assert all(re.fullmatch(r"\d{6}", code) for code in codes) and len(codes) > 190
    assert not hasattr(otp_module, "random")


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("123-456", "123456"),
        ("1 2-3 4-5 6", "123456"),
        ("12345", None),
        ("1234567", None),
        ("12345a", None),
        ("１２３４５６", None),  # full-width digits are not ASCII
        ("١٢٣٤٥٦", None),  # neither are Arabic-Indic digits
        ("", None),
        ("1" * 100, None),
    ],
)
def test_normalize_code(typed: str, normalized: str | None) -> None:
    assert normalize_code(typed) == normalized


# ---- request ------------------------------------------------------------------------------------


def test_request_sends_a_code_and_reports_cooldown_and_masked_phone(otp: OtpService, gateway) -> None:
    result = request(otp, phone="+1 (650) 253-1212")
    assert result == CodeSent(resend_after_seconds=60, masked_phone="•••• 1212", phone_e164=PHONE)
    (sent,) = gateway.sent
    assert sent.to == PHONE
    assert sent.text == message_text("sms2fa", sent.code, 300, "localhost")
    assert sent.text.endswith(f"\n\n@localhost #{sent.code}")  # the origin-bound line, last (WebOTP's format)
    assert otp.has_pending_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION)
    assert not otp.has_pending_code(purpose=Purpose.ENROLL, user_id=USER, session_id=SESSION)


@pytest.mark.parametrize(
    ("phone", "reason", "overrides"),
    [
        ("not a number", SendRefusal.INVALID_NUMBER, {}),
        ("6502531212", SendRefusal.INVALID_NUMBER, {}),  # no + and no default region
        ("+44 20 7946 0000", SendRefusal.NUMBER_TYPE_NOT_ALLOWED, {}),  # fixed line
        ("+1 900 555 1212", SendRefusal.NUMBER_TYPE_NOT_ALLOWED, {}),  # premium rate
        ("+447400123456", SendRefusal.COUNTRY_NOT_ALLOWED, {"OTP_ALLOWED_COUNTRIES": "US,CA"}),
    ],
)
def test_refused_numbers_touch_neither_redis_nor_the_gateway(
    make_otp, redis_client, gateway, phone: str, reason: SendRefusal, overrides: dict
) -> None:
    assert request(make_otp(**overrides), phone=phone) == SendRefused(reason)
    assert redis_client.dbsize() == 0 and gateway.attempts == 0


def test_default_region_and_voip_settings(make_otp, gateway) -> None:
    otp = make_otp(OTP_DEFAULT_REGION="US", OTP_ALLOW_VOIP="true")
    assert isinstance(request(otp, phone="(650) 253-1212"), CodeSent)
    assert isinstance(request(otp, user=8, phone="+445612345678"), CodeSent)  # a UK VOIP number
    assert request(make_otp(), user=9, phone="+445612345678") == SendRefused(SendRefusal.NUMBER_TYPE_NOT_ALLOWED)


def test_cooldown_is_per_user_and_purpose_and_counts_down_with_the_clock(otp: OtpService, clock: FakeClock) -> None:
    """Setup codes wait per number (test_a_setup_code_may_go_to_another_number_at_once)."""
    assert otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) == 0
    assert isinstance(request(otp), CodeSent)
    assert otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) == 60
    assert request(otp) == SendRefused(SendRefusal.COOLDOWN, 60)
    # another session of the same user waits too; another purpose (enrolling, then logging in) or user does not
    assert request(otp, session=71) == SendRefused(SendRefusal.COOLDOWN, 60)
    assert isinstance(request(otp, purpose=Purpose.ENROLL, session=71), CodeSent)
    assert otp.resend_wait(user_id=USER, purpose=Purpose.ENROLL, phone=PHONE) == 60
    assert isinstance(request(otp, user=8), CodeSent)
    clock.advance(59.5)
    assert otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) == 1
    assert request(otp) == SendRefused(SendRefusal.COOLDOWN, 1)
    clock.advance(0.5)
    assert otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) == 0
    assert isinstance(request(otp), CodeSent)


def test_resend_replaces_the_code_at_once(otp: OtpService, gateway, clock: FakeClock) -> None:
    request(otp)
    first = gateway.sent[-1].code
    clock.advance(60)
    request(otp)
    second = gateway.sent[-1].code
    if first != second:
        assert verify(otp, first) == VerifyResult(VerifyStatus.WRONG, attempts_left=4)
    assert verify(otp, second).status is VerifyStatus.OK


def test_user_limit_five_per_hour_then_the_window_slides(otp: OtpService, clock: FakeClock) -> None:
    for _ in range(5):
        assert isinstance(request(otp), CodeSent)
        clock.advance(60)
    # the first send (t=0) leaves the hour window at t=3600, its 5-minute bucket (bucket_windows.py) at t=3900;
    # now t=300: the wait told is the bucket's, and it is exact
    assert request(otp) == SendRefused(SendRefusal.USER_LIMIT, 3300 + BUCKET_SECONDS)
    clock.advance(3300 + BUCKET_SECONDS - 1)
    assert request(otp).reason is SendRefusal.USER_LIMIT
    clock.advance(1)
    assert isinstance(request(otp), CodeSent)


def test_texts_to_the_old_number_do_not_spend_the_budget_of_a_new_number(otp: OtpService, clock: FakeClock) -> None:
    """Issue 23: a lost phone's texts (sign-in, re-authentication) fill the user's hour; the re-authenticated number
    change still texts the new number, in a window of its own, up to the account's hard ceiling."""
    for purpose in (Purpose.LOGIN, Purpose.REAUTH, Purpose.LOGIN, Purpose.REAUTH, Purpose.LOGIN):
        assert isinstance(request(otp, purpose=purpose), CodeSent)
        clock.advance(60)
    assert request(otp).reason is SendRefusal.USER_LIMIT
    for n in range(LOST_PHONE_EXTRA_SENDS + 1):
        sent = otp.request_code(
            purpose=Purpose.ENROLL, user_id=USER, session_id=SESSION, phone=f"+1650253{1300 + n}", client_ip=IP,
            replacing_number=True,
        )  # fmt: skip
        assert isinstance(sent, CodeSent) == (n < LOST_PHONE_EXTRA_SENDS), sent
        clock.advance(60)
    assert request(otp).reason is SendRefusal.USER_LIMIT  # and the new number's texts gave the old one nothing


def test_phone_limit_across_users_spends_no_other_quota(otp: OtpService, redis_client) -> None:
    for user in range(1, 6):
        assert isinstance(request(otp, user=user), CodeSent)
    assert request(otp, user=6) == SendRefused(SendRefusal.PHONE_LIMIT, 3600 + BUCKET_SECONDS)
    # the refused request left no trace: no cooldown, no user count, IP and global unchanged
    assert otp.resend_wait(user_id=6, purpose=Purpose.LOGIN) == 0
    assert sends_counted(redis_client, "otp:sends:user:6") == 0
    assert sends_counted(redis_client, otp_module.GLOBAL_SENDS_KEY) == 5
    assert isinstance(request(otp, user=6, phone=OTHER_PHONE), CodeSent)
    assert not any(PHONE in key or "6502531212" in key for key in redis_client.scan_iter("*"))


def test_ip_limit_and_global_budget(make_otp) -> None:
    otp = make_otp()
    for user in range(20):
        assert isinstance(request(otp, user=user, phone=f"+1650253{1300 + user}"), CodeSent)
    assert request(otp, user=99, phone="+16502531399") == SendRefused(SendRefusal.IP_LIMIT, 3600 + BUCKET_SECONDS)
    assert isinstance(request(otp, user=99, phone="+16502531399", ip="198.51.100.1"), CodeSent)

    budget = make_otp(OTP_SENDS_PER_HOUR_GLOBAL="21")  # same Redis: 21 sends already counted
    assert request(budget, user=100, phone="+16502531400", ip="198.51.100.2") == SendRefused(
        SendRefusal.GLOBAL_BUDGET, 3600 + BUCKET_SECONDS
    )


def test_cooldown_is_checked_before_the_hourly_limits(make_otp, clock: FakeClock) -> None:
    otp = make_otp(OTP_SENDS_PER_HOUR_PER_USER="1")
    request(otp)
    assert request(otp).reason is SendRefusal.COOLDOWN
    clock.advance(60)
    assert request(otp) == SendRefused(SendRefusal.USER_LIMIT, 3540 + BUCKET_SECONDS)


# ---- failed sends -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (DeliveryFailure.INVALID_DESTINATION, SendRefusal.UNDELIVERABLE),
        (DeliveryFailure.TEMPORARY, SendRefusal.DELIVERY_FAILED),
    ],
)
def test_failed_send_removes_the_code_and_the_cooldown_but_spends_quota(
    otp: OtpService, gateway, redis_client, kind: DeliveryFailure, reason: SendRefusal
) -> None:
    gateway.fail_next(kind)
    assert request(otp) == SendRefused(reason)
    assert not otp.has_pending_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION)
    assert otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) == 0
    assert sends_counted(redis_client, f"otp:sends:user:{USER}") == 1  # the provider was called: the quota is spent
    assert isinstance(request(otp), CodeSent)  # the user may retry at once


def test_failed_sends_still_count_against_the_hourly_limit(otp: OtpService, gateway) -> None:
    gateway.fail_next(DeliveryFailure.TEMPORARY, count=5)
    for _ in range(5):
        assert request(otp) == SendRefused(SendRefusal.DELIVERY_FAILED)
    assert request(otp).reason is SendRefusal.USER_LIMIT
    assert gateway.attempts == 5


def test_a_gateway_bug_rolls_back_and_propagates(otp: OtpService, gateway, monkeypatch) -> None:
    def broken(to: str, text: str) -> str:
        raise RuntimeError("bug")

    monkeypatch.setattr(gateway, "send", broken)
    with pytest.raises(RuntimeError):
        request(otp)
    assert not otp.has_pending_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION)
    assert otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) == 0


# ---- verify -------------------------------------------------------------------------------------


def test_correct_code_verifies_once(otp: OtpService, gateway) -> None:
    request(otp)
    code = gateway.sent[-1].code
    assert verify(otp, f"{code[:3]} {code[3:]}") == VerifyResult(VerifyStatus.OK)
    assert verify(otp, code) == VerifyResult(VerifyStatus.ALREADY_USED)  # a replay is told so, not counted
    assert verify(otp, "000000" if code != "000000" else "111111") == VerifyResult(VerifyStatus.EXPIRED)
    assert not otp.has_pending_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION)
    assert otp.lockout.wait(USER) == 0


def test_a_used_code_is_already_used_until_it_would_have_expired_and_a_new_one_replaces_it(
    otp: OtpService, gateway, clock: FakeClock
) -> None:
    request(otp)
    code = gateway.sent[-1].code
    assert verify(otp, code).ok
    clock.advance(otp.policy.ttl_seconds)
    assert verify(otp, code) == VerifyResult(VerifyStatus.EXPIRED)
    request(otp)
    fresh = gateway.sent[-1].code
    assert otp.has_pending_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION)
    assert verify(otp, fresh).ok


def test_without_a_code_verify_is_expired(otp: OtpService) -> None:
    assert verify(otp, "123456") == VerifyResult(VerifyStatus.EXPIRED)


def test_code_expires_after_its_ttl(otp: OtpService, gateway, clock: FakeClock) -> None:
    request(otp)
    code = gateway.sent[-1].code
    clock.advance(299)
    assert otp.has_pending_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION)
    clock.advance(1)
    assert not otp.has_pending_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION)
    assert verify(otp, code) == VerifyResult(VerifyStatus.EXPIRED)


def test_five_wrong_tries_burn_the_code(otp: OtpService, gateway) -> None:
    request(otp)
    code = gateway.sent[-1].code
    for left in (4, 3, 2, 1):
        assert verify(otp, wrong(code)) == VerifyResult(VerifyStatus.WRONG, attempts_left=left)
    assert verify(otp, wrong(code)) == VerifyResult(VerifyStatus.TOO_MANY_ATTEMPTS)
    assert verify(otp, code) == VerifyResult(VerifyStatus.EXPIRED)


def test_malformed_input_is_not_a_try_and_never_reaches_redis(otp: OtpService, gateway, make_otp) -> None:
    request(otp)
    code = gateway.sent[-1].code
    for typed in ("12345", "abcdef", "1234567", "", "１２３４５６"):
        assert verify(otp, typed) == VerifyResult(VerifyStatus.MALFORMED)
    assert verify(otp, wrong(code)) == VerifyResult(VerifyStatus.WRONG, attempts_left=4)
    unreachable = make_otp(client=closed_port_client())
    assert verify(unreachable, "12345") == VerifyResult(VerifyStatus.MALFORMED)


def test_code_is_bound_to_purpose_user_and_session(otp: OtpService, gateway) -> None:
    request(otp)
    code = gateway.sent[-1].code
    assert verify(otp, code, purpose=Purpose.ENROLL).status is VerifyStatus.EXPIRED
    assert verify(otp, code, purpose=Purpose.REAUTH).status is VerifyStatus.EXPIRED
    assert verify(otp, code, session=SESSION + 1).status is VerifyStatus.EXPIRED
    assert verify(otp, code, user=USER + 1).status is VerifyStatus.EXPIRED
    assert verify(otp, code).status is VerifyStatus.OK


def test_discard_drops_the_pending_code(otp: OtpService, gateway) -> None:
    request(otp, purpose=Purpose.ENROLL)
    code = gateway.sent[-1].code
    otp.discard(purpose=Purpose.ENROLL, user_id=USER, session_id=SESSION)
    assert not otp.has_pending_code(purpose=Purpose.ENROLL, user_id=USER, session_id=SESSION)
    assert verify(otp, code, purpose=Purpose.ENROLL).status is VerifyStatus.EXPIRED
    # discarding does not reset the cooldown
    assert otp.resend_wait(user_id=USER, purpose=Purpose.ENROLL, phone=PHONE) == 60


def test_a_setup_code_may_go_to_another_number_at_once(otp: OtpService, clock: FakeClock) -> None:
    """A typo fixed: the cooldown of setup codes is per number; sign-in codes wait per user."""
    assert isinstance(request(otp, purpose=Purpose.ENROLL), CodeSent)
    assert request(otp, purpose=Purpose.ENROLL) == SendRefused(SendRefusal.COOLDOWN, 60)
    other = "+16502531213"
    assert otp.resend_wait(user_id=USER, purpose=Purpose.ENROLL, phone=other) == 0
    assert isinstance(request(otp, purpose=Purpose.ENROLL, phone=other), CodeSent)
    assert request(otp, purpose=Purpose.ENROLL, phone=other) == SendRefused(SendRefusal.COOLDOWN, 60)
    clock.advance(60)
    assert isinstance(request(otp, purpose=Purpose.ENROLL), CodeSent)


def test_redis_holds_no_code_and_no_phone(otp: OtpService, gateway, redis_client, clock: FakeClock) -> None:
    codes = []
    for purpose in Purpose:
        request(otp, purpose=purpose)
        codes.append(gateway.sent[-1].code)
        clock.advance(60)
    verify(otp, wrong(codes[0]))
    dump = redis_dump(redis_client)
    assert dump
    for code in codes:
        assert code not in dump
        assert hashlib.sha256(code.encode()).hexdigest() not in dump  # not an unkeyed hash either
    assert PHONE not in dump and PHONE[1:] not in dump and "2531212" not in dump


# ---- proof of a verified phone ------------------------------------------------------------------


def test_enroll_ok_issues_a_single_use_proof_for_that_exact_number(otp: OtpService, gateway) -> None:
    request(otp, purpose=Purpose.ENROLL, phone="+1 650 253 1212")
    assert verify(otp, gateway.sent[-1].code, purpose=Purpose.ENROLL).status is VerifyStatus.OK
    assert otp.consume_phone_proof(user_id=USER, session_id=SESSION, phone_e164=PHONE) is True
    assert otp.consume_phone_proof(user_id=USER, session_id=SESSION, phone_e164=PHONE) is False


@pytest.mark.parametrize(
    ("user", "session", "phone", "still_usable"),
    [
        (USER + 1, SESSION, PHONE, True),  # another user's key: the proof is untouched
        (USER, SESSION + 1, PHONE, True),  # another session of the same user
        (USER, SESSION, OTHER_PHONE, False),  # wrong number: refused, and the proof is spent
        (USER, SESSION, "garbage", False),
    ],
)
def test_proof_is_bound_to_user_session_and_number(
    otp: OtpService, gateway, user: int, session: int, phone: str, still_usable: bool
) -> None:
    request(otp, purpose=Purpose.ENROLL)
    verify(otp, gateway.sent[-1].code, purpose=Purpose.ENROLL)
    assert otp.consume_phone_proof(user_id=user, session_id=session, phone_e164=phone) is False
    assert otp.consume_phone_proof(user_id=USER, session_id=SESSION, phone_e164=PHONE) is still_usable


def test_login_and_reauth_codes_issue_no_proof(otp: OtpService, gateway, clock: FakeClock) -> None:
    for purpose in (Purpose.LOGIN, Purpose.REAUTH):
        request(otp, purpose=purpose)
        assert verify(otp, gateway.sent[-1].code, purpose=purpose).status is VerifyStatus.OK
        clock.advance(60)
    assert otp.consume_phone_proof(user_id=USER, session_id=SESSION, phone_e164=PHONE) is False


def test_proof_expires(otp: OtpService, gateway, clock: FakeClock) -> None:
    request(otp, purpose=Purpose.ENROLL)
    verify(otp, gateway.sent[-1].code, purpose=Purpose.ENROLL)
    clock.advance(600)
    assert otp.consume_phone_proof(user_id=USER, session_id=SESSION, phone_e164=PHONE) is False
