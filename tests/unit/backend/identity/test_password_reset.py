"""Password reset: a neutral request with limits first, a single-use 30-minute link, and never without the
second factor when 2FA is on; afterwards every session ends, remembered devices are void, a notice goes out."""

from __future__ import annotations

import pyotp
import pytest
from sqlmodel import select

from sms2fa_app.backend.factors.results import Factor, VerifyStatus
from sms2fa_app.backend.flows.password_reset import ResetOutcome
from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.identity.passwords import PasswordProblem
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.crypto import token_digest
from sms2fa_app.backend.models import LinkToken
from sms2fa_app.backend.services import Services
from tests.support.counting import counted
from tests.support.factories import PASSWORD, create_user, log_in
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer

ADA = "ada@example.com"
PHONE = "+14155552671"
NEW = "a brand new passphrase 7"
IP = "203.0.113.9"


def reset_token(services: Services, mailer: RecordingMailer, email: str = ADA) -> str:
    services.jobs.drain()
    return mailer.last_link(email, "/reset-password").split("token=", 1)[1]


def requested(services: Services, mailer: RecordingMailer, email: str = ADA) -> str:
    assert services.password_resets.request(email, IP) == 0
    return reset_token(services, mailer, email)


# ---- the request ---------------------------------------------------------------------------------------


def test_known_and_unknown_addresses_get_the_same_answer_and_work(
    services: Services, mailer: RecordingMailer, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user(services)
    with counted(services, monkeypatch) as known_work:
        known = services.password_resets.request(ADA, IP)
    with counted(services, monkeypatch) as unknown_work:
        unknown = services.password_resets.request("nobody@example.com", IP)
    assert known == unknown == 0
    assert known_work.shape() == unknown_work.shape() == (0, 0, ["reset_request"])  # no SQL in the request
    services.jobs.drain()
    assert [mail.to for mail in mailer.sent] == [ADA]  # only the account's owner gets a link
    (mail,) = mailer.sent
    assert "30 minutes" in mail.text and mail.text.count("/reset-password?token=") == 1


def test_limits_per_address_and_per_ip_are_taken_first(
    services: Services, mailer: RecordingMailer, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user(services)
    per_address = services.settings.password_resets_per_hour_per_address
    for _ in range(per_address):
        assert services.password_resets.request(ADA, IP) == 0
        assert services.password_resets.request("nobody@example.com", "198.51.100.1") == 0
    with counted(services, monkeypatch) as work:
        waits = [services.password_resets.request(address, "192.0.2.7") for address in (ADA, "nobody@example.com")]
    assert all(wait > 0 for wait in waits) and work.shape() == (0, 0, [])
    per_ip = services.settings.password_resets_per_hour_per_ip
    for n in range(per_ip - per_address):
        assert services.password_resets.request(f"other{n}@example.com", IP) == 0
    assert services.password_resets.request("fresh@example.com", IP) > 0  # the network's quota


# ---- the link ------------------------------------------------------------------------------------------


def test_without_2fa_the_link_sets_the_password_once(services: Services, mailer: RecordingMailer) -> None:
    create_user(services)
    token = requested(services, mailer)
    with services.database.session() as db:
        (row,) = db.exec(select(LinkToken)).all()
    assert row.token_digest == token_digest(token)  # stored hashed
    opened = services.password_resets.open(token)
    assert opened is not None and not opened.needs_second_factor
    assert services.password_resets.complete(token, NEW, NEW).outcome is ResetOutcome.DONE
    assert services.password_resets.complete(token, "yet another passphrase", "yet another passphrase").outcome is (
        ResetOutcome.INVALID_LINK
    )
    assert services.accounts.log_in(ADA, NEW).outcome is LoginOutcome.AUTHENTICATED
    assert services.accounts.log_in(ADA, PASSWORD).outcome is LoginOutcome.INVALID_CREDENTIALS


def test_the_link_expires_after_30_minutes(services: Services, mailer: RecordingMailer, clock: FakeClock) -> None:
    create_user(services)
    token = requested(services, mailer)
    clock.advance(30 * 60)
    assert services.password_resets.open(token) is None
    assert services.password_resets.complete(token, NEW, NEW).outcome is ResetOutcome.INVALID_LINK


def test_a_new_link_voids_the_old_one(services: Services, mailer: RecordingMailer) -> None:
    create_user(services)
    first = requested(services, mailer)
    second = requested(services, mailer)
    assert services.password_resets.open(first) is None
    assert services.password_resets.open(second) is not None


def test_a_weak_or_mismatched_password_changes_nothing_and_keeps_the_link(
    services: Services, mailer: RecordingMailer
) -> None:
    create_user(services)
    token = requested(services, mailer)
    refused = services.password_resets.complete(token, "password123", "password123")
    assert (refused.outcome, refused.problem) == (ResetOutcome.PASSWORD_REFUSED, PasswordProblem.TOO_COMMON)
    mismatch = services.password_resets.complete(token, NEW, NEW + "!")
    assert mismatch.problem is PasswordProblem.MISMATCH
    assert services.password_resets.complete(token, NEW, NEW).outcome is ResetOutcome.DONE


# ---- never without the second factor --------------------------------------------------------------------


def test_with_2fa_on_the_password_is_never_set_without_a_second_factor(
    services: Services, mailer: RecordingMailer, gateway: RecordingGateway
) -> None:
    create_user(services, phone=PHONE)
    token = requested(services, mailer)
    opened = services.password_resets.open(token)
    assert opened is not None and opened.needs_second_factor and opened.phone_ending == "2671"
    assert services.password_resets.complete(token, NEW, NEW).outcome is ResetOutcome.SECOND_FACTOR_REQUIRED
    services.password_resets.send_code(token, IP)
    code = gateway.last_code(PHONE)
    wrong = services.password_resets.verify_factor(token, Factor.SMS, f"{(int(code) + 1) % 10**6:06d}")
    assert wrong is not None and wrong.status is VerifyStatus.WRONG
    assert services.password_resets.complete(token, NEW, NEW).outcome is ResetOutcome.SECOND_FACTOR_REQUIRED
    assert services.accounts.log_in(ADA, PASSWORD).outcome is LoginOutcome.SECOND_FACTOR_REQUIRED  # unchanged
    assert services.password_resets.verify_factor(token, Factor.SMS, code).ok
    assert services.password_resets.complete(token, NEW, NEW).outcome is ResetOutcome.DONE


def test_a_second_factor_counts_only_for_its_own_link(
    services: Services, mailer: RecordingMailer, gateway: RecordingGateway
) -> None:
    """A code texted for one link does not verify another, and a factor shown on an old link is lost with it."""
    create_user(services, phone=PHONE)
    first = requested(services, mailer)
    services.password_resets.send_code(first, IP)
    assert services.password_resets.verify_factor(first, Factor.SMS, gateway.last_code(PHONE)).ok
    second = requested(services, mailer)  # voids the first, and its second factor with it
    assert services.password_resets.complete(second, NEW, NEW).outcome is ResetOutcome.SECOND_FACTOR_REQUIRED
    assert services.password_resets.complete(first, NEW, NEW).outcome is ResetOutcome.INVALID_LINK


def test_any_enrolled_factor_will_do_and_a_recovery_code_is_spent(
    services: Services, mailer: RecordingMailer, clock: FakeClock
) -> None:
    user = create_user(services, phone=PHONE)
    codes = services.recovery.generate(user.id)
    setup = services.totp.begin_setup(user.id, ADA)
    assert services.totp.confirm_setup(user.id, pyotp.TOTP(setup.secret).at(clock.now())).ok
    token = requested(services, mailer)
    assert services.password_resets.open(token).available == {Factor.SMS, Factor.TOTP, Factor.RECOVERY}
    assert services.password_resets.verify_factor(token, Factor.RECOVERY, codes[0]).ok
    assert services.recovery.remaining(user.id) == 9
    assert services.password_resets.complete(token, NEW, NEW).outcome is ResetOutcome.DONE
    clock.advance(60)
    token = requested(services, mailer)
    assert services.password_resets.verify_factor(token, Factor.TOTP, pyotp.TOTP(setup.secret).at(clock.now())).ok
    assert services.password_resets.complete(token, PASSWORD, PASSWORD).outcome is ResetOutcome.DONE


def test_wrong_second_factors_go_through_the_same_lockout(
    services: Services, mailer: RecordingMailer, clock: FakeClock
) -> None:
    user = create_user(services, phone=PHONE)
    token = requested(services, mailer)
    for _ in range(services.settings.otp_lockout_threshold):
        result = services.password_resets.verify_factor(token, Factor.RECOVERY, "aaaaa-bbbbb")
    assert result is not None and result.status is VerifyStatus.LOCKED
    assert services.lockout.wait(user.id) > 0  # the user's one lockout, shared with the login challenge


# ---- after the reset ------------------------------------------------------------------------------------


def test_after_a_reset_sessions_end_devices_are_void_and_a_notice_is_sent(
    services: Services, mailer: RecordingMailer, gateway: RecordingGateway
) -> None:
    user = create_user(services, phone=PHONE)
    other = log_in(services)
    device = services.devices.remember(user.id, "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0")
    token = requested(services, mailer)
    services.password_resets.send_code(token, IP)
    assert services.password_resets.verify_factor(token, Factor.SMS, gateway.last_code(PHONE)).ok
    mailer.sent.clear()
    assert services.password_resets.complete(token, NEW, NEW).outcome is ResetOutcome.DONE
    assert services.sessions.resolve(other.token) is None
    assert not services.devices.check(user.id, device)
    services.jobs.drain()
    (notice,) = mailer.to(ADA)
    assert "password was reset" in notice.subject.lower() and "/forgot-password?email=" in notice.text
    kinds = [entry.kind.value for entry in services.activity.recent(user.id)]
    assert kinds[0] == "password_reset"
