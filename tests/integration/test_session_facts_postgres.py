"""Issue 24 on PostgreSQL (production's database): a session read with facts about its user (scalar subqueries
correlated with the session's row) and a second factor's conditional move do what they do on SQLite."""

from __future__ import annotations

from sms2fa_app.backend.admin.resets import IdentityCheck, pending_reset_due
from sms2fa_app.backend.assurance import BY_PASSWORD, Amr
from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.factors.second_factors import FactorSummary, summary_facts
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.services import Services
from tests.integration.test_housekeeping_postgres import database, redis_client  # noqa: F401 (the services there)
from tests.support.factories import create_user
from tests.unit.state.admin.test_admin_states import NOTE


def test_a_session_is_read_with_its_users_factors_and_pending_reset(services: Services) -> None:
    admin = create_user(services, "root@example.com", phone="+16502530000")
    user = create_user(services, "ada@example.com", phone="+14155551212")
    services.recovery.generate(user.id)
    issued = services.sessions.create(user.id, BY_PASSWORD, complete=False)
    services.admin.resets.schedule(admin.id, user.id, IdentityCheck.VIDEO_CALL, NOTE, True)

    found = services.sessions.resolve_with_facts(issued.token, {**summary_facts(), "due": pending_reset_due()})
    assert found is not None and found.user is not None and found.user.id == user.id
    summary = FactorSummary.read(found.facts)
    assert summary == FactorSummary(totp=False, passkeys=0, recovery_left=10)
    assert found.facts["due"] == services.admin.resets.pending(user.id).due_at
    assert services.second_factors.available(user.id, Purpose.LOGIN) == {Factor.SMS, Factor.RECOVERY}


def test_a_second_factor_moves_the_session_it_saw_once(services: Services) -> None:
    user = create_user(services, "ada@example.com", phone="+14155551212")
    pending = services.sessions.create(user.id, BY_PASSWORD, complete=False)
    seen = services.sessions.resolve(pending.token)
    advanced = services.sessions.advance(pending.token, (Amr.SMS,), "sms", seen=seen)
    assert advanced is not None and services.sessions.resolve(advanced.token).is_authenticated
    assert services.sessions.resolve(pending.token) is None
    assert services.sessions.advance(pending.token, (Amr.SMS,), "sms", seen=seen) is None  # moved on already
