"""Settings, the password: after re-authentication (and a second factor when 2FA is on), a new one."""

from __future__ import annotations

from typing import ClassVar

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.flows.factor_changes import FactorChange
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.models import User
from sms2fa_app.state import words
from sms2fa_app.state.guard import Apply, Caller, guarded
from sms2fa_app.state.password_hint import PasswordHintState
from sms2fa_app.state.runner import run_hashing
from sms2fa_app.state.settings.steps import Step
from sms2fa_app.state.settings.wizard import WizardState


class PasswordChangeState(PasswordHintState, WizardState):
    """The new-password step; the change is one more operation behind the re-authentication grant."""

    handles: ClassVar[frozenset[Operation]] = frozenset({Operation.CHANGE_PASSWORD})

    async def _open(self, session: ActiveSession, user: User, operation: Operation) -> list:
        await self._reset_wizard(Step.NEW_PASSWORD)
        return []

    @guarded(slow=True)
    async def change_password(self, caller: Caller, form_data: dict) -> Apply:
        """Check and store the new password (hashed without the lock); other sessions end, this one continues
        under a new token."""
        session, user = caller.signed_in
        result = await run_hashing(
            self._services().factor_changes.change_password,
            session,
            user,
            form_data.get("password", ""),
            form_data.get("confirm_password", ""),
        )

        async def apply() -> list:
            if result.status is FactorChange.PASSWORD_REFUSED and result.password_problem is not None:
                self.error = words.login.PASSWORD_PROBLEMS[result.password_problem]
                return []
            if result.status is FactorChange.REAUTH_REQUIRED:
                return await self._need_reauth()
            return await self._finish(result, words.settings.PASSWORD_CHANGED)

        return apply
