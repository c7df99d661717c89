"""Settings, passkeys: add one after re-authentication (the browser creates it), rename or remove each.

Adding and removing are factor changes (the wizard's re-authentication, then the one finish); renaming
is not (no epoch bump), but it is still a guarded action on the user's own passkey.
"""

from __future__ import annotations

import re
from typing import ClassVar

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.passkeys import passkey_name
from sms2fa_app.backend.flows.factor_changes import FactorChange
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.models import User
from sms2fa_app.state import words
from sms2fa_app.state.guard import BrowserJson, Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.settings.steps import Step
from sms2fa_app.state.settings.wizard import WizardState
from sms2fa_app.state.webauthn_calls import browser_answer, create_passkey

_PASSKEY_ID = re.compile(r"[0-9]{1,12}")


class PasskeySetupState(WizardState):
    """The passkey step of the wizard, and renaming in the list."""

    handles: ClassVar[frozenset[Operation]] = frozenset({Operation.ADD_PASSKEY, Operation.REMOVE_PASSKEY})
    renaming: str = ""  # the id of the passkey whose name is being edited
    _name: str = ""  # the name chosen for the passkey being created
    passkey_creation: str = ""  # the creation ceremony the page runs (webauthn_calls), answered by finish_passkey

    async def _open(self, session: ActiveSession, user: User, operation: Operation) -> list:
        changes = self._services().factor_changes
        if operation is Operation.REMOVE_PASSKEY:
            result = await run_backend(changes.remove_passkey, session, self._target)
            return await self._finish(result, words.settings.PASSKEY_REMOVED)
        await self._reset_wizard(Step.PASSKEY_SETUP)
        return []

    @guarded()
    async def create_passkey(self, caller: Caller, form_data: dict) -> list:
        """Name it (optional), then ask the browser to create it for this session's single-use challenge.
        Once per step: a submit while the browser creates one (Enter again, a double click) or after the step
        (a late Enter) is ignored, since a new challenge would refuse the pending answer or meet a spent grant."""
        if self.step != Step.PASSKEY_SETUP or self.passkey_creation:
            return []
        session, user = caller.signed_in
        name = form_data.get("name", "")
        if name.strip() and passkey_name(name) is None:
            self.error = words.settings.PASSKEY_NAME_INVALID
            return []
        options = await run_backend(self._services().factor_changes.begin_passkey, session, user)
        if isinstance(options, FactorChange):
            return await self._need_reauth()
        self.error = ""
        self._name = name
        self.passkey_creation = create_passkey(options)
        return []

    @guarded()
    async def finish_passkey(self, caller: Caller, answer: BrowserJson) -> list:
        """The browser's new credential is verified and stored (the grant is used), or why not in words. Only the
        pending creation is answered: a late or repeated answer changes nothing."""
        session, _user = caller.signed_in
        if not self.passkey_creation:
            return []
        self.passkey_creation = ""
        refused, credential = browser_answer(answer)
        if refused:
            self.error = words.challenge.passkey_browser_error(refused, words.challenge.CANCEL)
            return []
        changes = self._services().factor_changes
        result = await run_backend(changes.add_passkey, session, credential, self._name, self._user_agent())
        if result.status is FactorChange.PASSKEY_REJECTED and result.passkey_problem is not None:
            self.error = words.settings.PASSKEY_PROBLEMS[result.passkey_problem]
            return []
        if result.status is FactorChange.REAUTH_REQUIRED:
            return await self._need_reauth()
        return await self._finish(result, words.settings.PASSKEY_ADDED)

    @guarded()
    async def start_remove(self, caller: Caller, passkey_id: str) -> list:
        """Remove one of the user's passkeys: re-authentication first, like every factor change."""
        _session, user = caller.signed_in
        mine = {str(p.passkey_id): p.name for p in await run_backend(self._services().passkeys.list, user.id or 0)}
        if passkey_id not in mine:
            await self._refresh_status(user.id or 0)
            return []
        if await self._start(caller, Operation.REMOVE_PASSKEY):
            self._target, self.target_label = int(passkey_id), mine[passkey_id]
        return []

    @guarded()
    async def start_rename(self, caller: Caller, passkey_id: str) -> list:
        """Show the name field of one passkey."""
        self.renaming = passkey_id if _PASSKEY_ID.fullmatch(passkey_id) else ""
        self.error = self.notice = ""
        return []

    @guarded()
    async def cancel_rename(self, caller: Caller) -> list:
        """Close the name field."""
        self.renaming = self.error = ""
        return []

    @guarded()
    async def rename_passkey(self, caller: Caller, form_data: dict) -> list:
        """Save the new name of the passkey being renamed (only ever one of the user's own)."""
        _session, user = caller.signed_in
        renamed = _PASSKEY_ID.fullmatch(self.renaming) is not None and await run_backend(
            self._services().passkeys.rename, user.id or 0, int(self.renaming), form_data.get("name", "")
        )
        if not renamed:
            self.error = words.settings.PASSKEY_NAME_INVALID
            return []
        self.renaming = self.error = ""
        await self._refresh_status(user.id or 0)
        self.notice = words.settings.PASSKEY_RENAMED
        return []
