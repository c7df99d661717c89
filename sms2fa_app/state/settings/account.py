"""Settings, deleting the account: after re-authentication, one explicit confirmation."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.models import User
from sms2fa_app.state import words
from sms2fa_app.state.guard import Caller, guarded
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import LOGIN_PATH
from sms2fa_app.state.settings.steps import Step
from sms2fa_app.state.settings.wizard import WizardState


class DeleteAccountState(WizardState):
    """The confirmation step; the deletion consumes the grant the re-authentication gave."""

    handles: ClassVar[frozenset[Operation]] = frozenset({Operation.DELETE_ACCOUNT})
    delete_ticked: bool = False  # "I understand...": the delete button waits for it (the server checks it again)

    async def _open(self, session: ActiveSession, user: User, operation: Operation) -> list:
        await self._reset_wizard(Step.CONFIRM_DELETE)
        self.delete_ticked = False
        return []

    @guarded()
    async def tick_delete(self, caller: Caller, checked: str) -> list:
        """The confirmation box: "yes" when ticked."""
        self.delete_ticked = checked == "yes"
        return []

    @guarded()
    async def delete_account(self, caller: Caller, form_data: dict) -> list:
        """Delete everything of this account once the box is ticked; then this browser forgets it too."""
        session, _user = caller.signed_in
        if form_data.get("confirm") not in ("on", "true"):
            self.error = words.settings.CONFIRM_DELETE_MISSING
            return []
        if not await run_backend(self._services().deletion.delete, session):
            return await self._need_reauth()
        await self._forget()
        (await self.get_state(LoginState))._farewell = words.login.ACCOUNT_DELETED  # the login page says it, once
        return [rx.redirect(LOGIN_PATH)]
