"""An admin's 2FA reset over real Redis and SMTP: the waiting period, the mails, the cancel link, the sweep."""

from __future__ import annotations

from sqlmodel import select

from sms2fa_app.backend.admin.audit import Action
from sms2fa_app.backend.admin.resets import CANCEL_PATH, ResetOutcome
from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.audit.activity import EventKind
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.models import AdminAction, RecoveryCode, TwoFactorReset, User
from sms2fa_app.backend.services import Services
from tests.integration.admin.conftest import PHONE, WAIT, make_admin, signed_in
from tests.support.factories import create_user, granted
from tests.support.smtp_server import LocalSmtp

NOTE = "Video call, compared face with ID on file"


def two_factor_user(services: Services) -> User:
    user = create_user(services, "ada@example.com", phone=PHONE)
    assert user.id is not None
    services.recovery.generate(user.id)
    return user


def schedule(services: Services, admin: User, user: User, **overrides: object) -> ResetOutcome:
    arguments: dict = {"check": "video_call", "note": NOTE, "confirmed": True} | overrides
    return services.admin.resets.schedule(admin.id, user.id, **arguments)


def audit(services: Services, user: User) -> list[tuple[int | None, str]]:
    with services.database.session() as db:
        rows = db.exec(select(AdminAction).where(AdminAction.user_id == user.id).order_by(AdminAction.id)).all()
        return [(row.admin_id, row.action) for row in rows]


def kinds(services: Services, user: User) -> list[EventKind]:
    return [entry.kind for entry in services.activity.recent(user.id or 0)]


def test_a_reset_waits_then_the_sweep_removes_every_factor_and_ends_every_session(
    admin_services: Services, local_smtp: LocalSmtp
) -> None:
    services = admin_services
    admin, user = make_admin(services), two_factor_user(services)
    signed_in(services, user, 2)
    assert schedule(services, admin, user) is ResetOutcome.SCHEDULED
    services.jobs.drain()
    scheduled = local_smtp.wait_for("ada@example.com")
    assert "will be reset" in scheduled.subject and "a video call" in scheduled.text
    link = scheduled.link_to(CANCEL_PATH)
    assert "token=" in link and PHONE[-4:] not in scheduled.text  # the mail names no number
    assert services.admin.resets.pending(user.id or 0) is not None

    services.clock.advance(WAIT - 1)
    assert services.admin.resets.apply_due() == 0  # still waiting: nothing changed
    assert services.accounts.get(user.id).is_two_factor_enabled

    services.clock.advance(1)
    assert services.admin.resets.apply_due() == 1
    assert services.admin.resets.apply_due() == 0  # applied once
    after = services.accounts.get(user.id)
    assert after is not None and not after.is_two_factor_enabled and after.phone_number is None
    assert after.factor_epoch == user.factor_epoch + 1
    assert services.sessions.list_for_user(user.id) == []
    with services.database.session() as db:
        assert db.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
        (row,) = db.exec(select(TwoFactorReset)).all()
        assert row.state == "applied" and row.identity_check == f"video_call: {NOTE}"
    services.jobs.drain()
    done = local_smtp.wait_for("ada@example.com", after=1)
    assert "was reset" in done.subject and "every second factor was removed" in done.text
    assert kinds(services, user)[:2] == [EventKind.TWO_FACTOR_RESET, EventKind.TWO_FACTOR_RESET_SCHEDULED]
    assert audit(services, user) == [(admin.id, Action.SCHEDULE_RESET), (admin.id, Action.APPLY_RESET)]
    token = link.split("token=", 1)[1]
    assert services.admin.resets.cancel_by_link(token) is ResetOutcome.NOT_PENDING  # too late: the link is void


def test_the_users_link_cancels_the_reset_once(admin_services: Services, local_smtp: LocalSmtp) -> None:
    services = admin_services
    admin, user = make_admin(services), two_factor_user(services)
    schedule(services, admin, user)
    services.jobs.drain()
    token = local_smtp.wait_for("ada@example.com").link_to(CANCEL_PATH).split("token=", 1)[1]
    assert services.admin.resets.cancel_by_link(token) is ResetOutcome.CANCELLED
    assert services.admin.resets.cancel_by_link(token) is ResetOutcome.NOT_PENDING
    services.clock.advance(WAIT + 1)
    assert services.admin.resets.apply_due() == 0
    assert services.accounts.get(user.id).is_two_factor_enabled
    services.jobs.drain()
    assert "cancelled" in local_smtp.wait_for("ada@example.com", after=1).subject
    assert audit(services, user) == [(admin.id, Action.SCHEDULE_RESET), (None, Action.CANCEL_RESET)]
    assert services.admin.resets.pending(user.id or 0) is None


def test_an_admin_can_withdraw_a_reset_and_the_mailed_link_then_does_nothing(
    admin_services: Services, local_smtp: LocalSmtp
) -> None:
    services = admin_services
    admin, user = make_admin(services), two_factor_user(services)
    schedule(services, admin, user)
    assert schedule(services, admin, user) is ResetOutcome.ALREADY_PENDING
    assert services.admin.resets.cancel_by_admin(admin.id, user.id) is ResetOutcome.CANCELLED
    assert services.admin.resets.cancel_by_admin(admin.id, user.id) is ResetOutcome.NOT_PENDING
    services.jobs.drain()
    local_smtp.wait_for("ada@example.com", after=1)
    (scheduled,) = [mail for mail in local_smtp.to("ada@example.com") if "will be reset" in mail.subject]
    token = scheduled.link_to(CANCEL_PATH).split("token=", 1)[1]
    assert services.admin.resets.cancel_by_link(token) is ResetOutcome.NOT_PENDING
    assert audit(services, user) == [(admin.id, Action.SCHEDULE_RESET), (admin.id, Action.CANCEL_RESET)]


def test_a_reset_needs_a_confirmed_identity_check_and_an_account_with_2fa(admin_services: Services) -> None:
    services = admin_services
    admin, user = make_admin(services), two_factor_user(services)
    plain = create_user(services, "bob@example.com")
    assert schedule(services, admin, user, confirmed=False) is ResetOutcome.CHECK_NOT_CONFIRMED
    assert schedule(services, admin, user, check="a hunch") is ResetOutcome.CHECK_NOT_CONFIRMED
    assert schedule(services, admin, user, note="ok") is ResetOutcome.CHECK_NOT_CONFIRMED  # name how, in words
    assert schedule(services, admin, plain) is ResetOutcome.TWO_FACTOR_OFF
    assert schedule(services, admin, admin) is ResetOutcome.SELF
    assert services.admin.resets.schedule(admin.id, 9999, "video_call", NOTE, True) is ResetOutcome.UNKNOWN_USER
    assert audit(services, user) == [] and services.jobs.pending() == 0


def test_a_reset_cancelled_while_due_is_not_applied_by_a_late_sweep(admin_services: Services) -> None:
    """The sweep reads the due resets, then settles each through one conditional UPDATE: a cancel in between wins."""
    services = admin_services
    admin, user = make_admin(services), two_factor_user(services)
    schedule(services, admin, user)
    services.clock.advance(WAIT)
    with services.database.session() as db:
        (reset_id,) = db.exec(select(TwoFactorReset.id)).all()
    assert services.admin.resets.cancel_by_admin(admin.id, user.id) is ResetOutcome.CANCELLED
    assert services.admin.resets._apply(reset_id, user.id, admin.id) == 0
    assert services.accounts.get(user.id).is_two_factor_enabled


def test_turning_2fa_off_still_removes_every_factor(admin_services: Services) -> None:
    """The user's own switch and the admin's reset share one removal (SecondFactors.remove_all)."""
    services = admin_services
    user = two_factor_user(services)
    session = services.sessions.create(user.id, BY_PASSWORD).session
    assert services.factor_changes.disable(granted(services, session, Operation.DISABLE)).done
    after = services.accounts.get(user.id)
    assert not after.is_two_factor_enabled and after.phone_number is None and services.recovery.remaining(user.id) == 0
