"""Settings, recovery codes: a new set after re-authentication, shown once, to copy or download."""

from __future__ import annotations

import base64
from typing import ClassVar

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.models import User
from sms2fa_app.state import words
from sms2fa_app.state.guard import Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.settings.steps import Step
from sms2fa_app.state.settings.wizard import WizardState


class RecoveryCodesState(WizardState):
    """The new set, shown to its owner once; cleared when the step is left."""

    handles: ClassVar[frozenset[Operation]] = frozenset({Operation.REGENERATE_CODES})
    # Shown once, to their owner, right after they are made (first enrollment or regeneration).
    new_recovery_codes: list[str] = []
    # The same codes as the downloaded file (a data: URI, so the browser saves the text exactly as built here).
    recovery_download: str = ""
    codes_saved: bool = False  # "I saved these codes" is ticked: Done is enabled
    copied: str = ""  # said once the browser answered Copy: "Copied", or how to copy by hand
    copy_failed: bool = False  # the clipboard write failed (said in red)
    replaced: bool = False  # a regeneration: the old codes no longer work (said on the page)

    async def _open(self, session: ActiveSession, user: User, operation: Operation) -> list:
        result = await run_backend(self._services().factor_changes.regenerate_codes, session)
        events = await self._finish(result, words.settings.RECOVERY_CODES_NEW, Step.RECOVERY_CODES)
        if result.done:
            self._show_codes(list(result.recovery_codes), replaced=True)
        return events

    def _show_codes(self, codes: list[str], *, replaced: bool = False) -> None:
        """Show a new set once, with its file (header: the app, the account, today's date)."""
        services = self._services()
        day = words.common.calendar_day(services.clock.now())
        text = words.settings.recovery_file(services.settings.app_name, self.signed_in_email, day, codes)
        self.new_recovery_codes = codes
        self.recovery_download = "data:text/plain;charset=utf-8;base64," + base64.b64encode(text.encode()).decode()
        self.codes_saved = self.copy_failed = False
        self.copied = ""
        self.replaced = replaced

    @guarded()
    async def mark_copied(self, caller: Caller, outcome: str) -> list:
        """The browser answered Copy (words.common.CLIPBOARD_WRITTEN once the clipboard holds the codes): say what
        happened."""
        if self.new_recovery_codes:
            self.copied, self.copy_failed = words.common.copy_said(
                outcome, words.common.COPIED, words.common.COPY_FAILED
            )
        return []

    @guarded()
    async def confirm_saved(self, caller: Caller, checked: str) -> list:
        """The "I saved these codes" box: "yes" when ticked."""
        self.codes_saved = checked == "yes" and bool(self.new_recovery_codes)
        return []
