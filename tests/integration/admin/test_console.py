"""The console's accounts and immediate actions over real Redis and SMTP; the admin role and its CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import SQLModel, select

from sms2fa_app.backend.admin.audit import Action, AdminAccess, admin_access
from sms2fa_app.backend.admin.console import ActionOutcome
from sms2fa_app.backend.audit.activity import EventKind
from sms2fa_app.backend.factors.results import VerifyStatus
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.models import AdminAction, User
from sms2fa_app.backend.services import Services
from tests.conftest import TEST_SECRET
from tests.integration.admin.conftest import PHONE, make_admin, signed_in
from tests.support.factories import create_user
from tests.support.smtp_server import LocalSmtp

ROOT = Path(__file__).resolve().parents[3]


def audit(services: Services) -> list[tuple[int | None, int | None, str]]:
    with services.database.session() as db:
        return [(r.admin_id, r.user_id, r.action) for r in db.exec(select(AdminAction).order_by(AdminAction.id)).all()]


def test_only_an_admin_with_2fa_on_may_enter(admin_services: Services) -> None:
    admin = make_admin(admin_services)
    assert admin_access(admin, "sms") is AdminAccess.ALLOWED
    assert (
        admin_access(create_user(admin_services, "bob@example.com", phone="+16502539999"), "sms")
        is AdminAccess.NOT_ADMIN
    )
    no_2fa = create_user(admin_services, "eve@example.com")
    no_2fa.is_admin = True
    assert admin_access(no_2fa, "sms") is AdminAccess.TWO_FACTOR_OFF
    assert admin_access(None, "sms") is AdminAccess.NOT_ADMIN


def test_ending_sessions_signs_the_user_out_everywhere_audits_and_mails(
    admin_services: Services, local_smtp: LocalSmtp
) -> None:
    services = admin_services
    admin, user = make_admin(services), create_user(services, "ada@example.com", phone=PHONE)
    signed_in(services, user, 3)
    assert services.admin.console.end_sessions(admin.id, user.id) is ActionOutcome.DONE
    assert services.sessions.list_for_user(user.id) == []
    assert services.admin.console.end_sessions(admin.id, user.id) is ActionOutcome.NOTHING_TO_DO
    assert services.admin.console.end_sessions(admin.id, 9999) is ActionOutcome.UNKNOWN_USER
    services.jobs.drain()
    assert "signed you out" in local_smtp.wait_for("ada@example.com").subject
    assert audit(services) == [(admin.id, user.id, Action.END_SESSIONS)]
    assert services.activity.recent(user.id)[0].kind is EventKind.ADMIN_SESSIONS_ENDED


def test_clearing_a_lockout_lets_the_user_guess_again_audits_and_mails(
    admin_services: Services, local_smtp: LocalSmtp
) -> None:
    services = admin_services
    admin, user = make_admin(services), create_user(services, "ada@example.com", phone=PHONE)
    assert services.admin.console.clear_lockout(admin.id, user.id) is ActionOutcome.NOTHING_TO_DO
    threshold = services.settings.otp_lockout_threshold
    results = [services.lockout.register_failure(user.id, "sms") for _ in range(threshold)]
    assert results[-1].status is VerifyStatus.LOCKED and services.lockout.wait(user.id) > 0
    overview = services.admin.console.overview(user.id)
    assert overview is not None and overview.locked_seconds > 0 and len(overview.lockouts) == 1
    assert services.admin.console.clear_lockout(admin.id, user.id) is ActionOutcome.DONE
    assert services.lockout.wait(user.id) == 0
    assert services.lockout.register_failure(user.id, "sms").status is VerifyStatus.WRONG  # the count starts over
    services.jobs.drain()
    local_smtp.wait_for("ada@example.com", after=1)
    assert any("unlocked" in mail.subject for mail in local_smtp.to("ada@example.com"))
    assert audit(services) == [(admin.id, user.id, Action.CLEAR_LOCKOUT)]


def test_search_and_overview_show_state_but_never_a_whole_number(admin_services: Services) -> None:
    services = admin_services
    make_admin(services)
    user = create_user(services, "ada.lovelace@example.com", phone=PHONE)
    create_user(services, "bob@example.com")
    services.recovery.generate(user.id)
    signed_in(services, user, 2)
    assert [row.email for row in services.admin.console.search(1, "LOVE")] == ["ada.lovelace@example.com"]
    assert [row.email for row in services.admin.console.search(1, "%")] == []  # a wildcard is a plain character
    assert services.admin.console.search(1, "   ") == []
    overview = services.admin.console.overview(user.id)
    assert overview is not None and overview.two_factor_on and overview.masked_phone.endswith("1212")
    assert overview.recovery_codes_left == 10 and overview.live_sessions == 2 and len(overview.sign_ins) == 2
    assert PHONE not in repr(overview) and PHONE[1:] not in repr(overview)
    assert services.admin.console.overview(9999) is None


def test_the_cli_grants_and_revokes_the_role(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    database = Database(engine)
    with database.session() as db:
        db.add(User(email="ada@example.com", password_hash="x", phone_number=PHONE, is_two_factor_enabled=True))
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": TEST_SECRET, "DATA_DIR": str(tmp_path / "data")}

    def cli(*arguments: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "sms2fa_app.backend.admin.cli", *arguments]
        return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)

    granted = cli("grant-admin", "Ada@Example.com")
    assert granted.returncode == 0 and "ada@example.com is now an admin" in granted.stdout, granted.stderr
    assert cli("grant-admin", "ada@example.com").returncode == 1
    assert "no account" in cli("grant-admin", "nobody@example.com").stdout
    with database.session() as db:
        assert db.exec(select(User)).one().is_admin
        assert [(r.admin_id, r.action) for r in db.exec(select(AdminAction)).all()] == [(None, Action.GRANT_ADMIN)]
    assert cli("revoke-admin", "ada@example.com").returncode == 0
    with database.session() as db:
        assert not db.exec(select(User)).one().is_admin
