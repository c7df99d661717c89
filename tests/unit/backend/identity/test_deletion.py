"""Deleting an account: only with the re-authentication grant; factors, sessions, devices, links and the
account go; the activity rows keep only kind and time; a last notice goes to the address it had."""

from __future__ import annotations

from sqlmodel import func, select

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.models import (
    AuthenticatorApp,
    LinkToken,
    LoginSession,
    Passkey,
    RecoveryCode,
    RememberedDevice,
    SecurityEvent,
    User,
)
from sms2fa_app.backend.services import Services
from tests.support.factories import PASSWORD, create_user, granted, log_in, register_passkey
from tests.support.recording_mailer import RecordingMailer
from tests.support.soft_authenticator import SoftAuthenticator

PHONE = "+16502531212"


def rows(services: Services, table: type) -> int:
    with services.database.session() as db:
        return db.exec(select(func.count()).select_from(table)).one()


def test_without_a_grant_nothing_is_deleted(services: Services) -> None:
    create_user(services, phone=PHONE)
    session = log_in(services).session
    assert not services.deletion.delete(session)
    granted(services, session, Operation.CHANGE_PASSWORD)  # a grant for another operation does not do
    assert not services.deletion.delete(session)
    assert rows(services, User) == 1


def test_with_2fa_on_the_password_alone_is_not_enough(services: Services) -> None:
    create_user(services, phone=PHONE)
    session = log_in(services).session
    services.factor_changes.confirm_password(
        session, services.accounts.get(1), Operation.DELETE_ACCOUNT, PASSWORD, "203.0.113.7"
    )
    assert not services.deletion.delete(session)
    assert rows(services, User) == 1


def test_everything_of_the_account_goes_but_anonymous_activity(services: Services, mailer: RecordingMailer) -> None:
    user = create_user(services, phone=PHONE)
    services.recovery.generate(user.id)
    services.totp.begin_setup(user.id, "ada@example.com")
    services.devices.remember(user.id, "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0")
    register_passkey(services, user.id, SoftAuthenticator(services.settings.passkey_origin))
    services.password_resets.request("ada@example.com", "203.0.113.7")
    services.jobs.drain()
    other = create_user(services, "bob@example.com")
    log_in(services, "bob@example.com")
    session = granted(services, log_in(services).session, Operation.DELETE_ACCOUNT)
    mailer.sent.clear()

    assert services.deletion.delete(session)

    for table in (RecoveryCode, AuthenticatorApp, Passkey, RememberedDevice, LinkToken):
        assert rows(services, table) == 0, table
    assert rows(services, LoginSession) == 1  # bob's
    assert services.accounts.get(user.id) is None and services.accounts.get(other.id) is not None
    with services.database.session() as db:
        leftover = db.exec(select(SecurityEvent).where(SecurityEvent.user_id.is_(None))).all()
    assert leftover and all((row.browser, row.network, row.detail) == ("", "", "") for row in leftover)
    assert "account_deleted" in {row.kind for row in leftover}
    services.jobs.drain()
    (notice,) = mailer.to("ada@example.com")
    assert "deleted" in notice.subject and "forgot-password" not in notice.text
    assert services.accounts.log_in("ada@example.com", PASSWORD).issued is None
    again = create_user(services)  # the address is free again, under a new id
    assert again.id != user.id and services.activity.recent(again.id) == []
