"""OtpService beyond flat quotas: calls (same cooldown and limits, a quota of their own, the same code), country
caps that block and alert, proof of work under pressure, delivery tracking, and the taken-number notice."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sms2fa_app.backend.delivery.status import Channel, Delivery, DeliveryState, DeliveryStatuses
from sms2fa_app.backend.factors.results import VerifyStatus
from sms2fa_app.backend.factors.sms_codes import CodeSent, OtpService, Purpose, SendRefusal, SendRefused
from sms2fa_app.backend.factors.sms_policy import user_sends_key
from sms2fa_app.backend.infra.alerts import OperatorAlerts
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.pow import ProofOfWork, solve
from tests.conftest import TEST_SECRET, make_settings
from tests.support.recording_gateway import RecordingGateway
from tests.support.send_windows import BUCKET_SECONDS, sends_counted

PHONE = "+16502531212"
USER, SESSION = 7, 70


class Mailer:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.fail = fail

    def __call__(self, to: str, subject: str, text: str) -> None:
        if self.fail:
            raise OSError("smtp down")
        self.sent.append((to, subject, text))


@pytest.fixture
def make_otp(tmp_path: Path, redis_client, gateway: RecordingGateway, clock: FakeClock):
    def make(mailer: Mailer | None = None, **overrides: str) -> OtpService:
        settings = make_settings(tmp_path, **overrides)
        return OtpService(
            redis_client,
            gateway,
            clock,
            settings,
            deliveries=DeliveryStatuses(redis_client, clock, 600),
            alerts=OperatorAlerts("sms2fa", settings.operator_email, mailer),
            pow=ProofOfWork(TEST_SECRET, clock, settings.pow_difficulty),
        )

    return make


def send(otp: OtpService, *, channel=Channel.SMS, user=USER, phone=PHONE, ip="203.0.113.7", proof="", **kw):
    purpose = kw.get("purpose", Purpose.LOGIN)
    return otp.request_code(
        purpose=purpose, user_id=user, session_id=user * 10, phone=phone, client_ip=ip, channel=channel, proof=proof
    )


def test_a_call_reads_a_new_code_that_verifies_like_a_texted_one(make_otp, gateway, clock: FakeClock) -> None:
    otp = make_otp()
    assert isinstance(send(otp), CodeSent)
    texted = gateway.sent[-1].code
    assert send(otp, channel=Channel.VOICE) == SendRefused(SendRefusal.COOLDOWN, 60)  # the texts' cooldown
    clock.advance(60)
    called = send(otp, channel=Channel.VOICE)
    assert isinstance(called, CodeSent) and called.channel is Channel.VOICE
    call = gateway.sent[-1]
    assert call.channel == "voice" and call.to == PHONE and call.code != texted
    wrong = otp.verify_code(purpose=Purpose.LOGIN, user_id=USER, session_id=USER * 10, code=texted)
    assert wrong.status is VerifyStatus.WRONG  # a call replaces the pending code, as a resend does
    right = otp.verify_code(purpose=Purpose.LOGIN, user_id=USER, session_id=USER * 10, code=call.code)
    assert right.status is VerifyStatus.OK


def test_calls_have_a_quota_of_their_own_besides_the_send_limits(make_otp, clock: FakeClock) -> None:
    otp = make_otp(VOICE_CALLS_PER_HOUR_PER_USER="2", OTP_SENDS_PER_HOUR_PER_USER="10")
    for _ in range(2):
        assert isinstance(send(otp, channel=Channel.VOICE), CodeSent)
        clock.advance(60)
    refused = send(otp, channel=Channel.VOICE)
    assert isinstance(refused, SendRefused) and refused.reason is SendRefusal.VOICE_LIMIT
    assert isinstance(send(otp), CodeSent)  # texts are still allowed
    clock.advance(60)
    otp_few = make_otp(VOICE_CALLS_PER_HOUR_PER_USER="5", OTP_SENDS_PER_HOUR_PER_USER="3")
    assert send(otp_few, channel=Channel.VOICE).reason is SendRefusal.USER_LIMIT  # calls count as sends


def test_calls_follow_the_country_policy(make_otp, gateway) -> None:
    otp = make_otp(OTP_ALLOWED_COUNTRIES="GB")
    assert send(otp, channel=Channel.VOICE) == SendRefused(SendRefusal.COUNTRY_NOT_ALLOWED)
    assert gateway.sent == []


def test_reaching_a_country_cap_blocks_it_and_alerts_once(make_otp, gateway, clock: FakeClock, caplog) -> None:
    mailer = Mailer()
    otp = make_otp(mailer, SMS_COUNTRY_CAPS_PER_HOUR="US=3", SMS_COUNTRY_BLOCK_SECONDS="600", OPERATOR_EMAIL="o@x.io")
    with caplog.at_level(logging.INFO):
        for user in range(3):
            assert isinstance(send(otp, user=user + 1, phone=f"+1650253{1210 + user}"), CodeSent)
        refused = send(otp, user=9, phone="+16502539999", channel=Channel.VOICE)
    assert refused == SendRefused(SendRefusal.COUNTRY_BLOCKED, 600)
    assert len(gateway.sent) == 3 and len(mailer.sent) == 1
    assert "event=operator_alert kind=country_blocked mail=sent country=US cap=3 blocked_seconds=600" in caplog.text
    assert "reason=country_blocked" in caplog.text
    assert isinstance(send(otp, user=9, phone="+447400123456"), CodeSent)  # GB: not blocked
    clock.advance(600)
    assert send(otp, user=10, phone="+16502539998").reason is SendRefusal.COUNTRY_BLOCKED  # the hour is full
    clock.advance(3000 + BUCKET_SECONDS)  # the hour, and its bucket's strict margin
    assert isinstance(send(otp, user=10, phone="+16502539998"), CodeSent)
    assert len(mailer.sent) == 1


def test_a_failing_alert_mail_never_fails_the_send(make_otp, caplog) -> None:
    otp = make_otp(Mailer(fail=True), SMS_COUNTRY_CAPS_PER_HOUR="US=1", OPERATOR_EMAIL="o@x.io")
    with caplog.at_level(logging.WARNING):
        assert isinstance(send(otp), CodeSent)
    assert "mail=failed:OSError" in caplog.text
    no_address = make_otp(Mailer(), SMS_COUNTRY_CAPS_PER_HOUR="GB=1")
    with caplog.at_level(logging.WARNING):
        assert isinstance(send(no_address, user=2, phone="+447400123456"), CodeSent)
    assert "kind=country_blocked mail=no_operator_email country=GB" in caplog.text


@pytest.mark.parametrize(
    ("overrides", "vary_user", "vary_ip"),
    [
        ({"POW_AFTER_SENDS_PER_HOUR_PER_USER": "2"}, False, True),
        ({"POW_AFTER_SENDS_PER_HOUR_PER_IP": "2"}, True, False),
        ({"POW_AFTER_COUNTRY_CAP_PERCENT": "20", "SMS_COUNTRY_CAPS_PER_HOUR": "US=10"}, True, True),
    ],
)
def test_pressure_on_an_account_an_ip_or_a_country_asks_for_proof_of_work(
    make_otp, gateway, clock: FakeClock, overrides: dict[str, str], vary_user: bool, vary_ip: bool
) -> None:
    otp = make_otp(OTP_SENDS_PER_HOUR_PER_USER="10", **overrides)

    def next_send(index: int, proof: str = ""):
        clock.advance(61)
        user = 100 + index if vary_user else USER
        return send(otp, user=user, ip=f"198.51.{index}.1" if vary_ip else "203.0.113.7", proof=proof)

    assert isinstance(next_send(0), CodeSent) and isinstance(next_send(1), CodeSent)
    assert next_send(2) == SendRefused(SendRefusal.PROOF_REQUIRED)
    assert len(gateway.sent) == 2
    proof = solve(otp._pow.challenge())
    assert isinstance(next_send(3, proof), CodeSent)
    assert next_send(4, proof) == SendRefused(SendRefusal.PROOF_REQUIRED)  # spent
    assert next_send(5, "forged") == SendRefused(SendRefusal.PROOF_REQUIRED)


def test_sends_are_tracked_when_the_gateway_reports_back(make_otp, redis_client, clock: FakeClock) -> None:
    otp = make_otp()
    send(otp)
    assert redis_client.keys("delivery:*") == []  # this gateway never reports: nothing to follow
    otp._gateway.reports_status = True
    clock.advance(60)
    send(otp)
    statuses = DeliveryStatuses(redis_client, clock, 600)
    assert statuses.latest(f"login:{USER}:{USER * 10}") == Delivery(Channel.SMS, DeliveryState.QUEUED)
    assert otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) == 60
    statuses.record(otp._gateway.sent[-1].message_id, "undelivered", "30")
    assert otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) == 0


def test_a_taken_number_costs_a_send_and_gets_a_notice_without_the_code(make_otp, gateway, redis_client) -> None:
    otp = make_otp()
    taken = otp.request_code(
        purpose=Purpose.ENROLL, user_id=USER, session_id=70, phone=PHONE, client_ip="203.0.113.7", taken=True
    )
    free = otp.request_code(
        purpose=Purpose.ENROLL, user_id=USER + 1, session_id=80, phone="+16502531213", client_ip="203.0.113.7"
    )
    assert isinstance(taken, CodeSent) and isinstance(free, CodeSent)
    assert (taken.resend_after_seconds, taken.channel) == (free.resend_after_seconds, free.channel)
    notice, code_text = gateway.sent
    assert "another sms2fa account" in notice.text and "#" not in notice.text
    assert code_text.text.endswith(f"#{code_text.code}")
    assert sends_counted(redis_client, user_sends_key(USER)) == 1 and otp.has_pending_code(
        purpose=Purpose.ENROLL, user_id=USER, session_id=70
    )


def test_a_taken_landline_is_called_with_the_notice_not_a_code(make_otp, gateway, redis_client) -> None:
    """A number another account holds is told someone tried to use it, never given a live code, whether it is
    texted or called (review F5); the request costs and answers the same as a code's."""
    otp = make_otp()
    landline = "+442079460000"
    taken = otp.request_code(
        purpose=Purpose.ENROLL, user_id=USER, session_id=70, phone=landline, client_ip="203.0.113.7",
        channel=Channel.VOICE, taken=True,
    )  # fmt: skip
    assert isinstance(taken, CodeSent) and taken.channel is Channel.VOICE
    (call,) = gateway.sent
    assert (call.to, call.channel) == (landline, "voice")
    assert not any(char.isdigit() for char in call.text), call.text  # the notice, no code
    assert gateway.call_locales == ["en"] and sends_counted(redis_client, user_sends_key(USER)) == 1
