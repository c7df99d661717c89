"""The activity log and its notices: written in the change's transaction, mailed only after it commits, never
undoing it; failed guesses and lockouts; retention; what a deleted account leaves."""

from __future__ import annotations

import pyotp
import pytest
from sqlmodel import select

from sms2fa_app.backend.audit.activity import EventKind
from sms2fa_app.backend.delivery.sms import DeliveryFailure
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.results import Factor, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.infra.client import ClientInfo, DeviceLabel, acting_client
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.models import SecurityEvent
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user, granted, log_in
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer

ADA = "ada@example.com"
OLD_PHONE = "+16502531212"
NEW_PHONE = "+14155552671"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"
CLIENT = ClientInfo("203.0.113.77", CHROME)


def kinds(services: Services, user_id: int) -> list[str]:
    return [entry.kind.value for entry in services.activity.recent(user_id)]


def test_an_event_is_written_in_the_changes_transaction_and_mailed_after_it_commits(
    services: Services, mailer: RecordingMailer
) -> None:
    user = create_user(services)
    with pytest.raises(RuntimeError), services.database.session() as tx:
        services.activity.record(tx, user.id, EventKind.PASSWORD_CHANGED)
        raise RuntimeError("the change failed")
    services.jobs.drain()
    assert kinds(services, user.id) == [] and mailer.sent == []  # rolled back: no line, no notice
    with acting_client(CLIENT), services.database.session() as tx:
        services.activity.record(tx, user.id, EventKind.PASSWORD_CHANGED)
        assert services.jobs.pending() == 0  # nothing is queued before the commit
    assert services.jobs.pending() == 1
    services.jobs.drain()
    (mail,) = mailer.to(ADA)
    assert "Your password was changed" in mail.subject
    assert "Browser: Chrome on Linux" in mail.text and "Network: 203.0.113.0/24" in mail.text
    assert "203.0.113.77" not in mail.text  # the network, not the address
    assert "Wasn't you?" in mail.text and "http://localhost:3000/forgot-password?email=ada%40example.com" in mail.text
    (entry,) = services.activity.recent(user.id)
    assert (entry.browser, entry.network) == (DeviceLabel("Chrome", "Linux"), "203.0.113.0/24")


def test_a_failed_send_never_undoes_the_change_and_is_retried(
    services: Services, mailer: RecordingMailer, gateway: RecordingGateway, clock: FakeClock
) -> None:
    create_user(services, phone=OLD_PHONE)
    session = granted(services, log_in(services).session, Operation.REGENERATE_CODES)
    mailer.fail_next(DeliveryFailure.TEMPORARY, count=2)
    assert services.factor_changes.regenerate_codes(session).done
    services.jobs.drain()
    assert mailer.sent == [] and services.recovery.remaining(1) == 10  # the change stands
    clock.advance(services.settings.notice_retry_base_seconds)
    services.jobs.drain()  # second attempt fails too
    clock.advance(2 * services.settings.notice_retry_base_seconds)
    services.jobs.drain()
    (mail,) = mailer.to(ADA)
    assert "New recovery codes were made" in mail.subject and mailer.attempts == 3


def test_a_number_change_mails_the_owner_and_texts_the_old_number(
    services: Services, mailer: RecordingMailer, gateway: RecordingGateway
) -> None:
    create_user(services, phone=OLD_PHONE)
    session = granted(services, log_in(services).session, Operation.CHANGE_NUMBER)
    changes = services.factor_changes
    user = services.accounts.get(1)
    changes.send_enroll_code(session, user, NEW_PHONE, NEW_PHONE, "203.0.113.7")
    assert changes.verify_enroll_code(session, user, gateway.last_code(NEW_PHONE), NEW_PHONE).done
    services.jobs.drain()
    (mail,) = mailer.to(ADA)
    assert "phone number" in mail.subject and "ending in 2671" in mail.text
    (to, text) = gateway.texts[-1]
    assert to == OLD_PHONE and "changed" in text and "/forgot-password?email=" in text
    for whole in (NEW_PHONE, NEW_PHONE[1:], OLD_PHONE, OLD_PHONE[1:]):
        assert whole not in mail.text and whole not in mail.html and whole not in text
    assert kinds(services, 1)[0] == EventKind.PHONE_CHANGED


def test_every_factor_change_is_logged_and_noticed(
    services: Services, mailer: RecordingMailer, gateway: RecordingGateway, clock: FakeClock
) -> None:
    create_user(services)
    changes = services.factor_changes
    session = granted(services, log_in(services).session, Operation.ENABLE_SMS)
    changes.send_enroll_code(session, services.accounts.get(1), NEW_PHONE, NEW_PHONE, "")
    result = changes.verify_enroll_code(session, services.accounts.get(1), gateway.last_code(NEW_PHONE), NEW_PHONE)
    session = granted(services, result.issued.session, Operation.ADD_TOTP)
    setup = changes.begin_totp(session, services.accounts.get(1))
    session = changes.confirm_totp(session, pyotp.TOTP(setup.secret).at(clock.now())).issued.session
    session = changes.remove_totp(granted(services, session, Operation.REMOVE_TOTP)).issued.session
    assert changes.disable(granted(services, session, Operation.DISABLE)).done
    services.jobs.drain()
    expected = ["two_factor_off", "totp_removed", "totp_added", "two_factor_on", "signed_in"]
    assert kinds(services, 1) == expected
    subjects = [mail.subject for mail in mailer.to(ADA)]
    assert len(subjects) == 4 and "turned on" in subjects[0] and "turned off" in subjects[-1]


def test_a_recovery_code_used_is_logged_with_how_many_are_left(services: Services, mailer: RecordingMailer) -> None:
    user = create_user(services, phone=OLD_PHONE)
    codes = services.recovery.generate(user.id)
    assert services.recovery.redeem(user.id, codes[3]).ok
    services.jobs.drain()
    (entry,) = services.activity.recent(user.id)
    assert (entry.kind, entry.detail) == (EventKind.RECOVERY_CODE_USED, "9")
    (mail,) = mailer.to(ADA)
    assert "9 left" in mail.text and codes[3] not in mail.text


def test_failed_guesses_and_the_lockout_they_start_are_logged_once_each(
    services: Services, mailer: RecordingMailer, gateway: RecordingGateway
) -> None:
    user = create_user(services, phone=OLD_PHONE)
    session = log_in(services).session
    otp = services.otp
    otp.request_code(purpose=Purpose.LOGIN, user_id=1, session_id=session.session_id, phone=OLD_PHONE, client_ip="")
    wrong = f"{(int(gateway.last_code()) + 1) % 10**6:06d}"
    assert otp.verify_code(purpose=Purpose.LOGIN, user_id=1, session_id=session.session_id, code=wrong).status is (
        VerifyStatus.WRONG
    )
    assert services.totp.verify(user.id, "123456").status is VerifyStatus.EXPIRED  # no app: not a guess
    threshold = services.settings.otp_lockout_threshold
    for _ in range(threshold - 1):
        last = services.recovery.redeem(user.id, "aaaaa-bbbbb")
    assert last.status is VerifyStatus.LOCKED
    listed = kinds(services, user.id)
    assert listed.count("second_factor_failed") == threshold and listed.count("lockout_started") == 1
    details = {
        entry.detail for entry in services.activity.recent(user.id) if entry.kind.value == "second_factor_failed"
    }
    assert details == {Factor.SMS.value, Factor.RECOVERY.value}
    services.jobs.drain()
    (mail,) = mailer.to(ADA)
    assert "locked" in mail.subject.lower() and "1 minute" in mail.text


def test_the_log_keeps_90_days(services: Services, clock: FakeClock, database) -> None:
    user = create_user(services)
    log_in(services)
    clock.advance(60 * 86_400)
    log_in(services)
    assert len(services.activity.recent(user.id)) == 2
    clock.advance(31 * 86_400)
    assert len(services.activity.recent(user.id)) == 1  # the first sign-in is past the retention period
    assert services.activity.purge() == 1
    with database.session() as db:
        assert len(db.exec(select(SecurityEvent)).all()) == 1


def test_an_address_refused_for_good_is_not_retried(
    services: Services, mailer: RecordingMailer, clock: FakeClock
) -> None:
    user = create_user(services)
    mailer.fail_next(DeliveryFailure.INVALID_DESTINATION)
    with services.database.session() as tx:
        services.activity.record(tx, user.id, EventKind.PASSWORD_CHANGED)
    services.jobs.drain()
    clock.advance(3600)
    services.jobs.drain()
    assert mailer.attempts == 1 and mailer.sent == [] and services.jobs.pending() == 0
    assert kinds(services, user.id) == ["password_changed"]  # the change and its line stand
