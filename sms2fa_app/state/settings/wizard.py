"""The settings wizard: pick an operation, re-authenticate for it, then hand over to the factor's step.

The server decides every step: the password step grants this session the one operation it is for;
a code of any enrolled factor raises that grant; the operation consumes it when it commits; Cancel
drops it. The screen names the operation. With the authenticator app or a recovery code, the password
and the code go in one step; a texted code needs two (the code is sent after the password); a passkey
is asked of the browser right after the password (its answer comes back to `finish_reauth_passkey`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import reflex as rx

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.factors.second_factors import strongest
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose, SendRefused
from sms2fa_app.backend.flows.factor_changes import ChangeResult, FactorChange
from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.models import User
from sms2fa_app.state import words
from sms2fa_app.state.guard import Apply, BrowserJson, Caller, guarded
from sms2fa_app.state.proof import PROOF_FIELD
from sms2fa_app.state.runner import run_backend, run_hashing
from sms2fa_app.state.settings.status import SettingsState
from sms2fa_app.state.settings.steps import Step, step_number
from sms2fa_app.state.webauthn_calls import browser_answer, get_passkey


async def _nothing() -> list:
    return []


_BACK = {Step.CODE: Step.PHONE, Step.REAUTH_CODE: Step.REAUTH_PASSWORD}
PASSWORD_FIELD = "field-password"  # the password step's input (its id)


class WizardState(SettingsState):
    """One step at a time; the operation comes from the server's grant, not from this state."""

    step: str = Step.STATUS.value
    operation: str = ""
    # What the operation is for, when it is for one item (the passkey to remove), chosen when it began.
    target_label: str = ""
    _target: int = 0
    action_title: str = ""  # the operation being confirmed, in words
    action_confirm: str = ""  # the label of the button that confirms it
    action_consequence: str = ""  # what it will do
    reauth_method: str = Factor.SMS.value  # the factor that confirms it (with 2FA on)
    passkey_request: str = ""  # a passkey re-authentication the page runs, answered by finish_reauth_passkey
    # The operations a factor's substate carries on with after re-authentication (each substate sets its own).
    handles: ClassVar[frozenset[Operation]] = frozenset()

    @rx.var
    def step_label(self) -> str:
        """'Step 2 of 4' on every step of a flow of two or more ("" on a result screen)."""
        if self.operation not in tuple(Operation) or self.step not in tuple(Step):
            return ""
        method = Factor.named(self.reauth_method) or Factor.SMS
        numbered = step_number(Operation(self.operation), self.two_factor_enabled, method, Step(self.step))
        return "" if numbered is None else words.settings.STEP_OF.format(number=numbered[0], total=numbered[1])

    async def _reset_wizard(self, step: Step = Step.STATUS) -> None:
        """Go to `step`, forgetting what earlier steps showed (codes and secrets shown once included)."""
        self.step = step.value
        self.error = self.passkey_request = ""
        self._stop_cooldown()
        self.locked_until = 0
        for substate_class in WizardState.get_substates():
            (await self.get_state(substate_class)).reset()

    async def _factor_state(self, operation: Operation) -> Any:
        """The substate that carries on with `operation` (None when the wizard itself finishes it)."""
        for substate_class in WizardState.get_substates():
            if operation in substate_class.handles:
                return await self.get_state(substate_class)
        return None

    async def load(self):
        """on_load of /settings: the guard, then the current status, with no wizard open. Leaving the
        wizard by navigating away is leaving it: any re-authentication grant of this session is dropped."""
        redirect, signed_in = await self._guard_page()
        if signed_in is None:
            return redirect
        session, user = signed_in
        try:
            await run_backend(self._services().factor_changes.cancel, session)
            await run_backend(self._show_status, user, session.session_id)
        except ServiceUnavailable:
            self.error = words.common.SERVICE_UNAVAILABLE
        await self._reset_wizard()
        self._forget_operation()
        self.notice = ""
        self.busy = False
        return None

    def _forget_operation(self) -> None:
        self.operation = self.action_title = self.target_label = ""
        self.action_confirm = self.action_consequence = ""
        self._target = 0

    @guarded()
    async def start(self, caller: Caller, operation: str) -> list:
        """Begin an operation: the password first (and, with 2FA on, a second factor)."""
        if operation in tuple(Operation):
            await self._start(caller, Operation(operation))
        return []

    async def _start(self, caller: Caller, operation: Operation) -> bool:
        """Begin `operation` if it fits the account (True), else show the status as it is now."""
        session, user = caller.signed_in
        self.notice = ""
        self.confirming_disable = self.confirming_forget_all = False
        self._forget_operation()
        services = self._services()
        begun = await run_backend(services.factor_changes.begin, session, user, operation)
        lock_seconds = await run_backend(services.lockout.wait, session.user_id)
        available = await run_backend(services.second_factors.available, session.user_id, Purpose.REAUTH)
        if begun is not FactorChange.DONE:
            await run_backend(self._show_status, user)
            await self._reset_wizard()
            return False
        self.operation = operation.value
        self.action_title = words.settings.OPERATION_TITLES[operation]
        self.action_confirm, self.action_consequence = words.settings.OPERATION_CONFIRMS[operation]
        self.reauth_method = strongest(available).value
        await self._reset_wizard(Step.REAUTH_PASSWORD)
        if user.is_two_factor_enabled and lock_seconds:  # the lockout in force counts down on the screen
            self._start_lock(lock_seconds)
            self.error = words.challenge.locked(Factor(self.reauth_method))
        return True

    @guarded()
    async def use_reauth_method(self, caller: Caller, method: str) -> list:
        """Confirm with a texted code, the authenticator app, a recovery code or a passkey. After the password
        was accepted (the texted code's step), the step stays: only the other factor is asked, never the
        password again (the server's grant holds it)."""
        session, _user = caller.signed_in
        available = await run_backend(self._services().second_factors.available, session.user_id, Purpose.REAUTH)
        if Factor.named(method) in available:
            self.reauth_method = method
            self.error = self.passkey_request = ""
        return []

    @guarded()
    async def cancel(self, caller: Caller) -> list:
        """Leave the wizard; nothing changes and the re-authentication is forgotten."""
        await self._leave(caller)
        return []

    @guarded()
    async def back(self, caller: Caller) -> list:
        """One step back (the server's grant is unchanged); from a first step, leave like Cancel."""
        if self.step in _BACK:
            self.step = _BACK[Step(self.step)].value
        else:
            await self._leave(caller)
        return []

    async def _leave(self, caller: Caller) -> None:
        session, _user = caller.signed_in
        await run_backend(self._services().factor_changes.cancel, session)
        await self._reset_wizard()
        self._forget_operation()
        self.notice = ""

    @guarded(slow=True)
    async def confirm_password(self, caller: Caller, form_data: dict) -> Apply:
        """Re-authentication: the current password (hashed without the lock); with 2FA on, then a code to the
        current number (texted without the lock), or in the same step an authenticator or recovery code, or a
        passkey asked of the browser."""
        session, user = caller.signed_in
        if self.operation not in tuple(Operation):
            return self._applying(self._reset_wizard)
        operation = Operation(self.operation)
        changes = self._services().factor_changes
        password, ip = form_data.get("password", ""), self._client_ip()
        checked = await run_hashing(changes.confirm_password, session, user, operation, password, ip)
        if isinstance(checked, FactorChange):
            return self._failing(words.settings.FACTOR_CHANGE_ERRORS[checked])
        if checked.outcome is LoginOutcome.THROTTLED:
            return self._throttled(checked.retry_after_seconds)
        if checked.outcome is not LoginOutcome.AUTHENTICATED:
            missing = checked.outcome is LoginOutcome.MISSING_FIELDS
            return self._failing(words.settings.PASSWORD_MISSING if missing else words.settings.PASSWORD_WRONG)
        if not user.is_two_factor_enabled:  # without a second factor, the password is all there is
            return self._applying(lambda: self._after_reauth(session, user, operation))
        method = Factor.named(self.reauth_method) or Factor.SMS
        if method is Factor.SMS:
            proof = form_data.get(PROOF_FIELD, "")
            sent = await self._reauth_code(session, user, proof)
            return self._applying(lambda: self._show_reauth_code(sent, proof))
        if method is Factor.PASSKEY:
            options = await run_backend(self._services().factor_changes.reauth_passkey_options, session)
            return self._applying(lambda: self._ask_reauth_passkey(options))
        code = form_data.get("code", "")
        return self._applying(lambda: self._verify_reauth(session, user, method, code))

    async def _ask_reauth_passkey(self, options: Any) -> list:
        if isinstance(options, FactorChange):
            return await self._need_reauth()
        self.passkey_request = get_passkey(options)
        return []

    @guarded()
    async def finish_reauth_passkey(self, caller: Caller, answer: BrowserJson) -> list:
        """Re-authentication with a passkey: the browser's answer raises the grant (a refusal is said in words,
        and the other factors stay offered)."""
        session, user = caller.signed_in
        self.passkey_request = ""
        refused, credential = browser_answer(answer)
        if refused:
            self.error = words.challenge.passkey_browser_error(refused)
            return []
        return await self._verify_reauth(session, user, Factor.PASSKEY, credential)

    @guarded()
    async def verify_reauth_code(self, caller: Caller, form_data: dict) -> list:
        """Re-authentication, part 2 (the password was accepted): the code of the factor chosen, or a passkey
        asked of the browser; then the operation the grant is for."""
        session, user = caller.signed_in
        factor = Factor.named(self.reauth_method) or Factor.SMS
        if factor is Factor.PASSKEY:
            options = await run_backend(self._services().factor_changes.reauth_passkey_options, session)
            return await self._ask_reauth_passkey(options)
        return await self._verify_reauth(session, user, factor, form_data.get("code", ""))

    async def _verify_reauth(self, session: ActiveSession, user: User, factor: Factor, code: str) -> list:
        """A code of an enrolled factor raises the grant; then the operation it is for carries on."""
        result = await run_backend(self._services().factor_changes.verify_reauth, session, factor, code)
        if result.status is FactorChange.CODE_REJECTED and result.verify is not None:
            self.error = self._verify_failed(result.verify, factor)
            return []
        if not result.done or result.operation is None:
            return await self._need_reauth()
        self.operation = result.operation.value
        self._stop_cooldown()
        return await self._after_reauth(session, user, result.operation)

    @guarded(slow=True)
    async def resend_code(self, caller: Caller, form_data: dict) -> Apply:
        """Text a new code for the current step (re-authentication, or the factor's own step), unlocked;
        `form_data` holds the proof of work when the widget is shown."""
        session, user = caller.signed_in
        proof = form_data.get(PROOF_FIELD, "")
        if self.step == Step.REAUTH_CODE:
            sent = await self._reauth_code(session, user, proof)
            return self._applying(lambda: self._show_reauth_code(sent, proof))
        if self.operation in tuple(Operation) and (factor_state := await self._factor_state(Operation(self.operation))):
            operation = Operation(self.operation)
            resent = await factor_state._resend(session, user, proof)

            async def apply() -> list:
                return await (await self._factor_state(operation))._show_resent(resent)

            return apply
        return self._applying(_nothing)

    async def _reauth_code(
        self, session: ActiveSession, user: User, proof: str = ""
    ) -> CodeSent | SendRefused | FactorChange:
        """Text a re-authentication code (slow: outside the lock)."""
        changes = self._services().factor_changes
        return await run_backend(changes.send_reauth_code, session, user, self._client_ip(), proof)

    async def _show_reauth_code(self, sent: CodeSent | SendRefused | FactorChange, proof: str = "") -> list:
        if isinstance(sent, FactorChange):
            return await self._need_reauth()
        self.error = self._after_send(sent, proof)
        if not self.error:
            self.step = Step.REAUTH_CODE.value
        return []

    def _applying(self, write: Callable[[], Awaitable[list | None]]) -> Apply:
        """An apply step (see guard.guarded) that runs `write` under the lock."""

        async def apply() -> list:
            return await write() or []

        return apply

    def _throttled(self, seconds: int) -> Apply:
        async def apply() -> list:
            self.error = words.login.LOGIN_THROTTLED
            self._start_lock(seconds)
            return []

        return apply

    def _failing(self, message: str) -> Apply:
        """The password step refused: say why, and empty the password field (the rest of the form stays)."""

        async def apply() -> list:
            self.error = message
            return [rx.set_value(PASSWORD_FIELD, "")]

        return apply

    async def _after_reauth(self, session: ActiveSession, user: User, operation: Operation) -> list:
        """The grant is complete: a factor's substate carries on, or the wizard finishes it here."""
        factor_state = await self._factor_state(operation)
        if factor_state is not None:
            return await factor_state._open(session, user, operation)
        changes = self._services().factor_changes
        if operation is Operation.REMOVE_TOTP:
            return await self._finish(await run_backend(changes.remove_totp, session), words.settings.TOTP_REMOVED)
        return await self._finish(await run_backend(changes.disable, session), words.settings.TWO_FACTOR_OFF)

    async def _open(self, session: ActiveSession, user: User, operation: Operation) -> list:
        """A factor's substate: show the operation's first step (or run it)."""
        raise NotImplementedError

    async def _resend(self, session: ActiveSession, user: User, proof: str = "") -> Any:
        """A factor's substate: text its step's code again with this proof of work, if any (slow: outside the
        lock); what `_show_resent` shows."""
        return None

    async def _show_resent(self, resent: Any) -> list:
        """A factor's substate: show what `_resend` got (under the lock)."""
        return []

    async def _finish(self, result: ChangeResult, notice: str, step: Step = Step.STATUS) -> list:
        """After an operation: adopt this session's new token, show the new status and say what changed."""
        if not result.done:
            self.error = words.settings.FACTOR_CHANGE_ERRORS.get(result.status, words.settings.REAUTH_REQUIRED)
            return []
        # What the change also ended (every factor change forgets remembered devices and other sessions).
        devices, sessions = len(self.devices), sum(1 for listed in self.sessions if not listed.get("current"))
        if result.issued is not None:
            self._adopt(result.issued)
            await self._refresh_status(result.issued.session.user_id)
        await self._reset_wizard(step)
        self._forget_operation()
        said = (
            words.settings.change_done(result.operation, self.phone_ending, devices, sessions)
            if result.operation
            else ""
        )
        self.notice = said or notice  # a page message, not a toast (the CSP forbids those)
        return []

    async def _need_reauth(self) -> list:
        """The server holds no grant for this step: back to the password, or (no operation left to confirm: an
        event from a step that has ended) to the status, never to a form without a title or a button label."""
        if self.operation not in tuple(Operation):
            await self._reset_wizard()
            return []
        await self._reset_wizard(Step.REAUTH_PASSWORD)
        self.error = words.settings.REAUTH_REQUIRED
        return []
