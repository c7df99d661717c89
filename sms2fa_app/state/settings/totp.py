"""Settings, the authenticator app: scan the key, then a current code confirms it."""

from __future__ import annotations

from typing import ClassVar

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.flows.factor_changes import FactorChange
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.models import User
from sms2fa_app.state import words
from sms2fa_app.state.guard import Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.settings.steps import Step
from sms2fa_app.state.settings.wizard import WizardState


class TotpSetupState(WizardState):
    """The setup step; the key and QR code are shown once and cleared when the step is left."""

    handles: ClassVar[frozenset[Operation]] = frozenset({Operation.ADD_TOTP})
    totp_secret: str = ""
    totp_key_groups: str = ""  # the key in groups of four, to read and type
    totp_qr: str = ""
    totp_uri: str = ""  # otpauth://: "Open in authenticator app" on a phone, where the QR code can't be scanned
    key_copied: str = ""  # said once the browser answered Copy key: "Key copied", or how to copy by hand
    key_copy_failed: bool = False  # the clipboard write failed (said in red)

    async def _open(self, session: ActiveSession, user: User, operation: Operation) -> list:
        setup = await run_backend(self._services().factor_changes.begin_totp, session, user)
        if isinstance(setup, FactorChange):
            return await self._need_reauth()
        await self._reset_wizard(Step.TOTP_SETUP)
        self.totp_secret, self.totp_qr, self.totp_uri = setup.secret, setup.qr_data_uri, setup.otpauth_uri
        self.totp_key_groups = " ".join(setup.secret[i : i + 4] for i in range(0, len(setup.secret), 4))
        return []

    @guarded()
    async def mark_key_copied(self, caller: Caller, outcome: str) -> list:
        """The browser answered Copy key (words.common.CLIPBOARD_WRITTEN once the clipboard holds the key): say what
        happened."""
        if self.totp_secret:
            self.key_copied, self.key_copy_failed = words.common.copy_said(
                outcome, words.common.KEY_COPIED, words.common.KEY_COPY_FAILED
            )
        return []

    @guarded()
    async def verify_totp_setup(self, caller: Caller, form_data: dict) -> list:
        """A current code from the app confirms it before it is used."""
        session, _user = caller.signed_in
        result = await run_backend(self._services().factor_changes.confirm_totp, session, form_data.get("code", ""))
        if result.status is FactorChange.CODE_REJECTED and result.verify is not None:
            self.error = self._verify_failed(result.verify, Factor.TOTP)
            return []
        if result.status is FactorChange.REAUTH_REQUIRED:
            return await self._need_reauth()
        return await self._finish(result, words.settings.TOTP_ADDED)
