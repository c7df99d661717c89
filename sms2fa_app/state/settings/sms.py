"""Settings, the SMS factor: a new number, the code texted to it, then 2FA on (or the number changed)."""

from __future__ import annotations

from typing import Any, ClassVar

from sms2fa_app.backend.delivery.phone import format_phone, normalize_e164
from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.factors.sms_codes import CodeSent, SendRefusal, SendRefused
from sms2fa_app.backend.flows.factor_changes import FactorChange
from sms2fa_app.backend.identity.accounts import CHOOSABLE_CHANNELS
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.models import User
from sms2fa_app.state import words
from sms2fa_app.state.guard import Apply, Caller, guarded
from sms2fa_app.state.proof import PROOF_FIELD
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.said import said_id
from sms2fa_app.state.settings.recovery import RecoveryCodesState
from sms2fa_app.state.settings.steps import Step
from sms2fa_app.state.settings.wizard import WizardState

MAX_PHONE_INPUT_LENGTH = 32
CHANNEL_FIELD = "channel"  # the code step's "Send my codes by" radios (components/channel.py)


class SmsSetupState(WizardState):
    """The phone and code steps; the number the code went to stays on the server."""

    handles: ClassVar[frozenset[Operation]] = frozenset({Operation.ENABLE_SMS, Operation.CHANGE_NUMBER})
    phone_input: str = ""
    phone_preview: str = ""
    _pending_phone: str = ""
    _cooldown_phone: str = ""  # the number whose resend cooldown `resend_at` shows (the cooldown is per number)
    line_notice: str = ""  # "This is a landline: we'll call you with the code" ("" for a mobile)
    line_notice_id = said_id("line_notice")

    async def _open(self, session: ActiveSession, user: User, operation: Operation) -> list:
        await self._reset_wizard(Step.PHONE)
        return []

    async def _resend(self, session: ActiveSession, user: User, proof: str = "") -> Any:
        return await self._enroll_code(session, user, None, proof)

    async def _show_resent(self, resent: Any) -> list:
        return await self._show_enroll_code(*resent)

    def set_phone_input(self, value: str):
        """Echo what the user types and show the E.164 form we understood (only while on the phone step:
        a late, debounced keystroke must not refill the fields after the wizard moved on)."""
        if self.step != Step.PHONE or not isinstance(value, str):
            return
        self.phone_input = value[:MAX_PHONE_INPUT_LENGTH]
        e164 = normalize_e164(self.phone_input, self._services().settings.otp_default_region)
        self.phone_preview = format_phone(e164) if e164 else ""  # the user's own number, as people write it
        if self.resend_at and (e164 or "") != self._cooldown_phone:  # another number may have a code at once
            self._stop_cooldown()

    @guarded(slow=True)
    async def send_enroll_code(self, caller: Caller, form_data: dict) -> Apply:
        """Phone step: validate, refuse a number in use, text a code (the text goes out without the lock)."""
        session, user = caller.signed_in
        proof = form_data.get(PROOF_FIELD, "")
        e164, sent, proof = await self._enroll_code(session, user, form_data.get("phone", self.phone_input), proof)

        async def apply() -> list:
            return await self._show_enroll_code(e164, sent, proof)

        return apply

    async def _enroll_code(
        self, session: ActiveSession, user: User, raw: str | None, proof: str = ""
    ) -> tuple[str, Any, str]:
        """Text a setup code to `raw` (None: again to the pending number) with the posted proof of work; slow:
        outside the lock. (number, result, proof) for `_show_enroll_code`."""
        services = self._services()
        raw = self._pending_phone if raw is None else raw
        e164 = normalize_e164(raw, services.settings.otp_default_region)
        changes = services.factor_changes
        sent = await run_backend(changes.send_enroll_code, session, user, raw, e164, self._client_ip(), proof)
        return e164 or "", sent, proof

    async def _show_enroll_code(self, e164: str, sent: Any, proof: str = "") -> list:
        if sent is FactorChange.REAUTH_REQUIRED:
            return await self._need_reauth()
        if sent is FactorChange.NOT_ALLOWED:
            self.error = words.settings.SAME_NUMBER
            return []
        if isinstance(sent, FactorChange):
            self.error = words.settings.FACTOR_CHANGE_ERRORS[sent]
            return []
        self.error = self._after_send(sent, proof)
        cooling = isinstance(sent, SendRefused) and sent.reason is SendRefusal.COOLDOWN
        if isinstance(sent, CodeSent) or cooling:
            self._cooldown_phone = e164
        if isinstance(sent, CodeSent):  # Lookup found a landline: the code comes by call
            self.line_notice = words.settings.LANDLINE_CALL if sent.channel is Channel.VOICE else ""
        if not self.error:
            self._pending_phone = e164
            self.phone_preview = format_phone(e164)  # the number the code went to, even if typed faster than the echo
            self.step = Step.CODE.value
        return []

    @guarded()
    async def verify_enroll_code(self, caller: Caller, form_data: dict) -> list:
        """Code step: verify, then turn 2FA on by consuming the server's proof for this exact number."""
        session, user = caller.signed_in
        result = await run_backend(
            self._services().factor_changes.verify_enroll_code,
            session,
            user,
            form_data.get("code", ""),
            self._pending_phone,
        )
        if result.status is FactorChange.CODE_REJECTED and result.verify is not None:
            self.error = self._verify_failed(result.verify, Factor.SMS)
            return []
        if result.status is FactorChange.REAUTH_REQUIRED:
            return await self._need_reauth()
        chosen = form_data.get(CHANNEL_FIELD) if self.whatsapp_offered else None  # "Send my codes by", when shown
        if result.done and chosen in CHOOSABLE_CHANNELS:
            await run_backend(self._services().accounts.set_phone_channel, user.id, chosen)
        events = await self._finish(result, words.settings.TWO_FACTOR_ON, Step.DONE)
        if result.done:  # the first set of recovery codes, shown once
            (await self.get_state(RecoveryCodesState))._show_codes(list(result.recovery_codes))
        return events
