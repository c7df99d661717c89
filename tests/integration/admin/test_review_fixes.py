"""The security review of the admin console (issue 15, item 5): each finding's regression test."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sms2fa_app.backend.admin.audit import Action
from sms2fa_app.backend.admin.console import ActionOutcome
from sms2fa_app.backend.admin.resets import ResetOutcome, TwoFactorResets
from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.audit.activity import EventKind
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.infra.client import ClientInfo, DeviceLabel, acting_client
from sms2fa_app.backend.models import AdminAction, TwoFactorReset, User
from sms2fa_app.backend.services import Services
from tests.integration.admin.conftest import PHONE, WAIT, make_admin, signed_in
from tests.support.factories import create_user, granted
from tests.support.smtp_server import LocalSmtp

NOTE = "Video call, compared face with ID on file"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def schedule(services: Services, admin: User, user: User) -> ResetOutcome:
    return services.admin.resets.schedule(admin.id, user.id, "video_call", NOTE, True)


def audit(services: Services) -> list[tuple[int | None, int | None, str, str]]:
    with services.database.session() as db:
        rows = db.exec(select(AdminAction).order_by(AdminAction.id)).all()
        return [(row.admin_id, row.user_id, row.action, row.detail) for row in rows]


def lock(services: Services, user: User) -> None:
    for _ in range(services.settings.otp_lockout_threshold):
        services.lockout.register_failure(user.id, "sms")
    assert services.lockout.wait(user.id) > 0


# 1 ------------------------------------------------------------------------------------------------------------------
def test_an_account_with_a_cancelled_and_an_applied_reset_can_be_deleted(admin_services: Services) -> None:
    services = admin_services
    admin, user = make_admin(services), create_user(services, "ada@example.com", phone=PHONE)
    assert schedule(services, admin, user) is ResetOutcome.SCHEDULED
    assert services.admin.resets.cancel_by_admin(admin.id, user.id) is ResetOutcome.CANCELLED
    assert schedule(services, admin, user) is ResetOutcome.SCHEDULED
    services.clock.advance(WAIT)
    assert services.admin.resets.apply_due() == 1
    session = services.sessions.create(user.id, BY_PASSWORD, how="password").session
    granted(services, session, Operation.DELETE_ACCOUNT)
    assert services.deletion.delete(session)
    with services.database.session() as db:
        assert db.get(User, user.id) is None
        assert db.exec(select(TwoFactorReset).where(TwoFactorReset.user_id == user.id)).all() == []


# 2 ------------------------------------------------------------------------------------------------------------------
def test_an_admins_account_is_neither_reset_nor_unlocked_from_the_console(admin_services: Services) -> None:
    services = admin_services
    admin = make_admin(services)
    other = make_admin(services, "second@example.com", phone=PHONE)
    assert schedule(services, admin, other) is ResetOutcome.TARGET_ADMIN
    lock(services, other)
    assert services.admin.console.clear_lockout(admin.id, other.id) is ActionOutcome.TARGET_ADMIN
    assert services.lockout.wait(other.id) > 0 and services.admin.resets.pending(other.id) is None
    assert audit(services) == []


def test_applying_a_reset_revokes_the_admin_role(admin_services: Services) -> None:
    services = admin_services
    admin, user = make_admin(services), create_user(services, "ada@example.com", phone=PHONE)
    assert schedule(services, admin, user) is ResetOutcome.SCHEDULED
    with services.database.session() as tx:  # the role granted (by the CLI) while the reset waits
        stored = tx.get(User, user.id)
        stored.is_admin = True
        tx.add(stored)
    services.clock.advance(WAIT)
    assert services.admin.resets.apply_due() == 1
    assert not services.accounts.get(user.id).is_admin
    assert (None, user.id, Action.REVOKE_ADMIN, "2FA reset applied") in audit(services)


# 3 ------------------------------------------------------------------------------------------------------------------
def test_a_scheduled_reset_is_also_texted_to_the_number_on_file_with_the_cancel_link(
    admin_services: Services, local_smtp: LocalSmtp
) -> None:
    services = admin_services
    admin, user = make_admin(services), create_user(services, "ada@example.com", phone=PHONE)
    assert schedule(services, admin, user) is ResetOutcome.SCHEDULED
    services.jobs.drain()
    link = local_smtp.wait_for("ada@example.com").link_to("/cancel-2fa-reset")
    texts = [sent for sent in services.gateway.sent if sent.to == PHONE]
    assert len(texts) == 1 and link in texts[0].text and "reset two-factor authentication" in texts[0].text


def test_a_signed_in_user_cancels_their_pending_reset(admin_services: Services) -> None:
    services = admin_services
    admin, user = make_admin(services), create_user(services, "ada@example.com", phone=PHONE)
    assert services.admin.resets.cancel_by_user(user.id) is ResetOutcome.NOT_PENDING
    assert schedule(services, admin, user) is ResetOutcome.SCHEDULED
    assert services.admin.resets.cancel_by_user(user.id) is ResetOutcome.CANCELLED
    services.clock.advance(WAIT)
    assert services.admin.resets.apply_due() == 0 and services.accounts.get(user.id).is_two_factor_enabled


# 5 ------------------------------------------------------------------------------------------------------------------
def test_the_database_holds_at_most_one_pending_reset_per_user(admin_services: Services) -> None:
    services = admin_services
    admin, user = make_admin(services), create_user(services, "ada@example.com", phone=PHONE)
    assert schedule(services, admin, user) is ResetOutcome.SCHEDULED
    row = TwoFactorReset(user_id=user.id, admin_id=admin.id, identity_check="x", requested_at=0, due_at=1)
    with pytest.raises(IntegrityError), services.database.session() as tx:
        tx.add(row)


def test_two_schedules_racing_past_the_check_leave_one_pending_reset(
    admin_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = admin_services
    admin, user = make_admin(services), create_user(services, "ada@example.com", phone=PHONE)
    second = make_admin(services, "second@example.com", phone="+16502539999")
    monkeypatch.setattr(TwoFactorResets, "_pending_row", staticmethod(lambda tx, user_id: None))  # both pass it
    barrier = threading.Barrier(2)
    outcomes: list[ResetOutcome] = []

    def race(who: User) -> None:
        barrier.wait()
        outcomes.append(schedule(services, who, user))

    threads = [threading.Thread(target=race, args=(who,)) for who in (admin, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.value for o in outcomes) == ["already_pending", "scheduled"]
    with services.database.session() as db:
        assert len(db.exec(select(TwoFactorReset).where(TwoFactorReset.state == "pending")).all()) == 1
    assert [row[2] for row in audit(services)] == [Action.SCHEDULE_RESET]


# 6 ------------------------------------------------------------------------------------------------------------------
def test_a_lockout_clear_whose_commit_fails_leaves_the_lock(
    admin_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = admin_services
    admin, user = make_admin(services), create_user(services, "ada@example.com", phone=PHONE)
    lock(services, user)

    def failing_commit(self: Session) -> None:
        raise RuntimeError("commit failed")

    with monkeypatch.context() as patch:
        patch.setattr(Session, "commit", failing_commit)
        with pytest.raises(RuntimeError):
            services.admin.console.clear_lockout(admin.id, user.id)
    assert services.lockout.wait(user.id) > 0 and audit(services) == []
    assert services.admin.console.clear_lockout(admin.id, user.id) is ActionOutcome.DONE
    assert services.lockout.wait(user.id) == 0


def test_opening_an_account_and_searching_are_audited_without_the_query(admin_services: Services) -> None:
    services = admin_services
    admin, user = make_admin(services), create_user(services, "ada@example.com", phone=PHONE)
    assert [row.email for row in services.admin.console.search(admin.id, "ada@example")] == ["ada@example.com"]
    assert services.admin.console.open(admin.id, user.id) is not None
    assert services.admin.console.open(admin.id, 9999) is None
    rows = audit(services)
    assert rows == [
        (admin.id, None, Action.SEARCH, "query of 11 characters, 1 results"),
        (admin.id, user.id, Action.OPEN_ACCOUNT, ""),
    ]
    assert all("ada" not in detail for *_, detail in rows)


# 7 ------------------------------------------------------------------------------------------------------------------
def test_the_user_sees_an_administrator_not_the_admins_browser_or_network(
    admin_services: Services, local_smtp: LocalSmtp
) -> None:
    services = admin_services
    admin, user = make_admin(services), create_user(services, "ada@example.com", phone=PHONE)
    signed_in(services, user)
    lock(services, user)
    with acting_client(ClientInfo("203.0.113.9", CHROME)):
        assert services.admin.console.end_sessions(admin.id, user.id) is ActionOutcome.DONE
        assert services.admin.console.clear_lockout(admin.id, user.id) is ActionOutcome.DONE
        assert schedule(services, admin, user) is ResetOutcome.SCHEDULED
        assert services.admin.resets.cancel_by_admin(admin.id, user.id) is ResetOutcome.CANCELLED
    admin_kinds = {
        EventKind.ADMIN_SESSIONS_ENDED,
        EventKind.ADMIN_LOCKOUT_CLEARED,
        EventKind.TWO_FACTOR_RESET_SCHEDULED,
        EventKind.TWO_FACTOR_RESET_CANCELLED,
    }
    entries = [entry for entry in services.activity.recent(user.id) if entry.kind in admin_kinds]
    assert len(entries) == 4
    assert all(entry.browser == DeviceLabel(administrator=True) and entry.network == "" for entry in entries)
    services.jobs.drain()
    mails = local_smtp.wait_for("ada@example.com", after=3) and local_smtp.to("ada@example.com")
    assert len(mails) >= 4 and all("203.0.113" not in m.text and "Chrome" not in m.text for m in mails)
    assert all("@administrator" not in m.text for m in mails)  # the stored marker is said in words


# 9 ------------------------------------------------------------------------------------------------------------------
def test_the_charts_count_in_sql_every_event_of_a_busy_hour(admin_services: Services) -> None:
    services = admin_services
    ops = services.admin.ops_events
    for index in range(300):
        ops.text("sms", "US" if index % 3 else "GB", "sent", f"m{index}")
    for _ in range(7):
        ops.text("voice", "GB", "cooldown")
    charts = services.admin.charts.read(24)
    assert dict(zip(charts.texts.series, charts.texts.hours[-1][1], strict=True)) == {"US": 200, "GB": 100}
    assert charts.refusals == (("cooldown", 7),)
    assert {entry.country: entry.texts for entry in charts.spend} == {"US": 200, "GB": 100}


# Issue 20, finding 9 ---------------------------------------------------------------------------------------------
def test_an_admin_cannot_end_another_admins_sessions_from_the_console(admin_services: Services) -> None:
    services = admin_services
    admin = make_admin(services)
    other = make_admin(services, "second@example.com", phone=PHONE)
    sessions = signed_in(services, other, count=2)
    assert services.admin.console.end_sessions(admin.id, other.id) is ActionOutcome.TARGET_ADMIN
    assert [info.session_id for info in services.sessions.list_for_user(other.id)] == sessions[::-1]
    assert audit(services) == []
    assert EventKind.ADMIN_SESSIONS_ENDED not in {entry.kind for entry in services.activity.recent(other.id)}
