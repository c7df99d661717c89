"""Every way an account changes hands voids the password-reset links it had outstanding, in the same transaction:
a password change, a completed reset, "sign out everywhere" (the user's or an administrator's) and an applied
administrator's 2FA reset. A link mailed before stays a way in otherwise."""

from __future__ import annotations

from sms2fa_app.backend.admin.resets import IdentityCheck, ResetOutcome
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.flows.password_reset import ResetOutcome as PasswordResetOutcome
from sms2fa_app.backend.services import Services
from tests.support.factories import account, create_user, granted, signed_in
from tests.support.recording_mailer import RecordingMailer
from tests.unit.state.admin.test_admin_states import NOTE
from tests.unit.state.admin.test_admin_states import account as admin_account

ADA = "ada@example.com"
NEW = "a brand new passphrase 7"
IP = "203.0.113.9"


def reset_link(services: Services, mailer: RecordingMailer) -> str:
    """A live reset link mailed to Ada."""
    assert services.password_resets.request(ADA, IP) == 0
    services.jobs.drain()
    token = mailer.last_link(ADA, "/reset-password").split("token=", 1)[1]
    assert services.password_resets.open(token) is not None
    return token


def test_a_password_change_voids_reset_links(services: Services, mailer: RecordingMailer) -> None:
    create_user(services)
    token = reset_link(services, mailer)
    _token, session = signed_in(services)
    granted(services, session, Operation.CHANGE_PASSWORD)
    assert services.factor_changes.change_password(session, account(services), NEW, NEW).done
    assert services.password_resets.open(token) is None


def test_a_completed_reset_voids_the_other_reset_links(services: Services, mailer: RecordingMailer) -> None:
    create_user(services)
    first = reset_link(services, mailer)
    assert services.password_resets.complete(first, NEW, NEW).outcome is PasswordResetOutcome.DONE
    second = reset_link(services, mailer)
    assert services.password_resets.complete(second, NEW + "x", NEW + "x").outcome is PasswordResetOutcome.DONE
    assert services.password_resets.open(first) is None and services.password_resets.open(second) is None


def test_signing_out_everywhere_voids_reset_links(services: Services, mailer: RecordingMailer) -> None:
    user = create_user(services)
    token = reset_link(services, mailer)
    _token, session = signed_in(services)
    services.sessions.end_all_for_user(user.id, session.session_id)  # the settings page's "Sign out everywhere"
    assert services.password_resets.open(token) is None


def test_an_administrator_signing_the_account_out_voids_reset_links(
    services: Services, mailer: RecordingMailer
) -> None:
    admin = admin_account(services, "root@example.com", phone="+16502530000", admin=True)
    user = admin_account(services, ADA, phone="+16502531212")
    token = reset_link(services, mailer)
    signed_in(services, user.id)
    services.admin.console.end_sessions(admin.id, user.id)
    assert services.password_resets.open(token) is None


def test_an_applied_admin_2fa_reset_voids_reset_links(services: Services, mailer: RecordingMailer) -> None:
    admin = admin_account(services, "root@example.com", phone="+16502530000", admin=True)
    user = admin_account(services, ADA, phone="+16502531212")
    resets = services.admin.resets
    assert resets.schedule(admin.id, user.id, IdentityCheck.VIDEO_CALL, NOTE, True) is ResetOutcome.SCHEDULED
    services.clock.advance(services.settings.admin_reset_wait_seconds - 60)
    token = reset_link(services, mailer)  # mailed while the reset waits: after it, the link must not work
    services.clock.advance(60)
    assert resets.apply_due() == 1
    assert services.password_resets.open(token) is None
