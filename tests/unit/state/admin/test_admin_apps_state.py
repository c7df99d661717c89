"""/admin/apps: only an admitted admin lists, disables and re-keys OpenID clients; each change is audited and a
new secret is shown once."""

from __future__ import annotations

from sqlmodel import select

from sms2fa_app.backend.admin.audit import Action
from sms2fa_app.backend.models import AdminAction
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from sms2fa_app.state.admin import AdminAppsState
from tests.support.states import run
from tests.unit.state.admin.test_admin_states import PHONE, account, signed_in_as


async def test_an_admin_disables_a_client_and_gives_it_a_new_secret(services: Services) -> None:
    admin = account(services, "root@example.com", phone=PHONE, admin=True)
    made = services.oidc.server.clients.register("Wiki", ["https://wiki.example/cb"])
    state = await signed_in_as(services, admin, AdminAppsState)
    await run(state.load())
    assert [client["id"] for client in state.clients] == [made.client_id]
    await run(state.rotate_secret(made.client_id))
    assert state.new_secret and state.new_secret != made.client_secret
    assert services.oidc.server.clients.find(made.client_id).check_client_secret(state.new_secret)
    await run(state.set_disabled(made.client_id, "disable"))
    assert state.new_secret == "" and state.clients[0]["disabled"] == "yes"
    assert services.oidc.server.clients.find(made.client_id) is None
    assert state.notice_id == words.admin.CLIENT_DISABLED.id
    with services.database.session() as db:
        actions = [row.action for row in db.exec(select(AdminAction).order_by(AdminAction.id)).all()]
    assert actions == [Action.OIDC_ROTATE_SECRET, Action.OIDC_DISABLE_CLIENT]


async def test_a_user_without_the_role_changes_nothing(services: Services) -> None:
    bob = account(services, "bob@example.com", phone=PHONE)
    made = services.oidc.server.clients.register("Wiki", ["https://wiki.example/cb"])
    state = await signed_in_as(services, bob, AdminAppsState)
    await run(state.load())
    assert state.clients == [] and not state.admitted
    await run(state.set_disabled(made.client_id, "disable"))
    await run(state.rotate_secret(made.client_id))
    assert services.oidc.server.clients.find(made.client_id) is not None and state.new_secret == ""
