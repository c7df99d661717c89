"""One account's texts per hour: enabling SMS shares the window of sign-in and re-authentication texts, only a
lost phone's number change has a window apart, and every text of the account stays under one hard ceiling (the
window plus LOST_PHONE_EXTRA_SENDS), with the proof of work counted on all of them."""

from __future__ import annotations

from sms2fa_app.backend.factors.sms_codes import CodeSent, OtpService, Purpose, SendRefusal
from sms2fa_app.backend.factors.sms_policy import LOST_PHONE_EXTRA_SENDS
from sms2fa_app.backend.infra.clock import FakeClock
from tests.unit.backend.factors.test_send_defenses import make_otp  # noqa: F401

USER = 7
ENROLLED = "+16502531212"
NO_POW = {"POW_AFTER_SENDS_PER_HOUR_PER_IP": "0", "POW_AFTER_COUNTRY_CAP_PERCENT": "0"}


def _send(otp: OtpService, n: int, purpose: Purpose, phone: str, replacing_number: bool = False):
    """One text from a fresh IP (an attacker's proxies), so only the account's windows can stop it."""
    return otp.request_code(
        purpose=purpose, user_id=USER, session_id=70, phone=phone, client_ip=f"198.51.{n}.7",
        replacing_number=replacing_number,
    )  # fmt: skip


def _burst(otp: OtpService, clock: FakeClock) -> list:
    """Setup codes to 8 new numbers (turning 2FA on), then 8 sign-in and re-authentication texts."""
    asked = [(Purpose.ENROLL, f"+1650253{1300 + n}") for n in range(8)]
    asked += [(Purpose.LOGIN if n % 2 else Purpose.REAUTH, ENROLLED) for n in range(8)]
    results = []
    for n, (purpose, phone) in enumerate(asked):
        results.append(_send(otp, n, purpose, phone))
        clock.advance(61)
    return results


def test_enabling_sms_shares_the_accounts_hourly_window(make_otp, clock: FakeClock) -> None:  # noqa: F811
    otp = make_otp(POW_AFTER_SENDS_PER_HOUR_PER_USER="0", **NO_POW)
    sent = [result for result in _burst(otp, clock) if isinstance(result, CodeSent)]
    assert len(sent) == otp.policy.sends_per_hour_per_user


def test_the_proof_of_work_counts_every_text_of_the_account(make_otp, clock: FakeClock) -> None:  # noqa: F811
    otp = make_otp(POW_AFTER_SENDS_PER_HOUR_PER_USER="3", **NO_POW)
    results = _burst(otp, clock)
    assert sum(isinstance(result, CodeSent) for result in results) == 3
    assert {result.reason for result in results if not isinstance(result, CodeSent)} == {SendRefusal.PROOF_REQUIRED}


def test_a_lost_phones_new_number_gets_texts_past_the_window_up_to_the_ceiling(
    make_otp,  # noqa: F811
    clock: FakeClock,
) -> None:
    otp = make_otp(POW_AFTER_SENDS_PER_HOUR_PER_USER="0", **NO_POW)
    cap = otp.policy.sends_per_hour_per_user
    for n in range(cap):  # the lost phone's texts fill the account's hour
        assert isinstance(_send(otp, n, Purpose.LOGIN, ENROLLED), CodeSent)
        clock.advance(61)
    assert _send(otp, 50, Purpose.ENROLL, "+16502531300").reason is SendRefusal.USER_LIMIT  # turning 2FA on: no
    for n in range(LOST_PHONE_EXTRA_SENDS):
        assert isinstance(_send(otp, 60 + n, Purpose.ENROLL, f"+1650253{1400 + n}", replacing_number=True), CodeSent)
        clock.advance(61)
    refused = _send(otp, 70, Purpose.ENROLL, "+16502531499", replacing_number=True)
    assert refused.reason is SendRefusal.USER_LIMIT  # the hard ceiling: cap + LOST_PHONE_EXTRA_SENDS in all
