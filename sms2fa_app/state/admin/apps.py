"""/admin/apps: the OpenID clients (backend/admin/oidc_clients.py): list them, disable or enable one, give a
confidential one a new secret (shown here once). Every change is audited; registering stays on the CLI."""

from __future__ import annotations

import re

from sms2fa_app.backend.oidc.clients import ClientSummary
from sms2fa_app.state import words
from sms2fa_app.state.admin.base import AdminState, admin_guarded
from sms2fa_app.state.guard import Caller
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.said import ErrorId, NoticeId

_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _row(client: ClientSummary) -> dict[str, str]:
    return {
        "id": client.client_id,
        "name": client.name,
        "kind": words.admin.client_kind(client.public, client.first_party, client.require_two_factor),
        "uris": " ".join(client.redirect_uris),
        "disabled": "yes" if client.disabled else "",
        "public": "yes" if client.public else "",
    }


class AdminAppsState(ErrorId, NoticeId, AdminState):
    """The clients as the server lists them, and a new secret once after "New secret"."""

    clients: list[dict[str, str]] = []
    new_secret: str = ""  # shown once, gone at the next action or page load
    notice: str = ""
    error: str = ""
    busy: bool = False

    async def load(self):
        """on_load: sign-in and admin checks, then the clients."""
        return await self._fresh_admin_page(self._list)

    async def _list(self) -> None:
        self.clients = [_row(client) for client in await run_backend(self._services().admin.apps.clients)]

    @admin_guarded()
    async def set_disabled(self, caller: Caller, client_id: str, change: str) -> list:
        """`change` "disable": its sign-ins and tokens stop at once; "enable": it works again."""
        self.new_secret = ""
        disabled = change == "disable"
        if _CLIENT_ID.fullmatch(client_id) and change in ("disable", "enable"):
            admin_id = caller.user.id if caller.user else None
            await run_backend(self._services().admin.apps.set_disabled, admin_id, client_id, disabled)
            self.notice = words.admin.CLIENT_DISABLED if disabled else words.admin.CLIENT_ENABLED
        await self._list()
        return []

    @admin_guarded()
    async def rotate_secret(self, caller: Caller, client_id: str) -> list:
        """A new secret for a confidential client; the old one stops working now."""
        self.new_secret = ""
        if _CLIENT_ID.fullmatch(client_id):
            admin_id = caller.user.id if caller.user else None
            secret = await run_backend(self._services().admin.apps.rotate_secret, admin_id, client_id)
            self.new_secret = secret or ""
            self.notice = words.admin.CLIENT_SECRET_ROTATED if secret else ""
        await self._list()
        return []
