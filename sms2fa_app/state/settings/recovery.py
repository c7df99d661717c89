"""Settings, recovery codes: a new set after re-authentication, shown once."""

from __future__ import annotations

from typing import ClassVar

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.models import User
from sms2fa_app.state import messages
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.settings.steps import Step
from sms2fa_app.state.settings.wizard import WizardState


class RecoveryCodesState(WizardState):
    """The new set, shown to its owner once; cleared when the step is left."""

    handles: ClassVar[frozenset[Operation]] = frozenset({Operation.REGENERATE_CODES})
    # Shown once, to their owner, right after they are made (first enrollment or regeneration).
    new_recovery_codes: list[str] = []

    async def _open(self, session: ActiveSession, user: User, operation: Operation) -> list:
        result = await run_backend(self._services().factor_changes.regenerate_codes, session)
        events = await self._finish(result, messages.RECOVERY_CODES_NEW, Step.RECOVERY_CODES)
        if result.done:
            self.new_recovery_codes = list(result.recovery_codes)
        return events
