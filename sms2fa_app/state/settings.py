"""Settings: the enrollment wizard, and changing or turning off the SMS factor after re-authentication."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import reflex as rx

from sms2fa_app.backend.delivery.phone import normalize_e164
from sms2fa_app.backend.factors.changes import FactorChange, Reauth
from sms2fa_app.backend.factors.sms_codes import Purpose, VerifyStatus
from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.identity.sessions import ActiveSession, Stage
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.models import User
from sms2fa_app.state import messages
from sms2fa_app.state.cooldown import CooldownState
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import LOGIN_PATH

# Wizard steps
STATUS = "status"
PHONE = "phone"
CODE = "code"
DONE = "done"
REAUTH_PASSWORD = "reauth_password"
REAUTH_CODE = "reauth_code"
RECOVERY_CODES = "recovery_codes"
TOTP_SETUP = "totp_setup"

# What the wizard is for
ENABLE = "enable"
CHANGE = "change"
DISABLE = "disable"
REGENERATE = "regenerate"
ADD_TOTP = "add_totp"
REMOVE_TOTP = "remove_totp"
_NEEDS_2FA_ON = (CHANGE, DISABLE, REGENERATE, ADD_TOTP, REMOVE_TOTP)

_FACTOR_CHANGE_ERRORS = {
    FactorChange.PHONE_TAKEN: messages.PHONE_TAKEN,
    FactorChange.NO_PROOF: messages.NO_PROOF,
    FactorChange.REAUTH_REQUIRED: messages.REAUTH_REQUIRED,
}


class SettingsState(CooldownState):
    """One page, one step at a time; the server decides every change."""

    two_factor_enabled: bool = False
    phone_ending: str = ""
    step: str = STATUS
    mode: str = ENABLE
    phone_input: str = ""
    phone_preview: str = ""
    error: str = ""
    notice: str = ""
    busy: bool = False
    recovery_left: int = 0
    totp_enabled: bool = False
    devices: list[dict[str, str]] = []
    # Shown once, to their owner, right after they are made; cleared when the step is left.
    new_recovery_codes: list[str] = []
    totp_secret: str = ""
    totp_qr: str = ""
    _pending_phone: str = ""

    def _show_status(self, user: User) -> None:
        """The factors as the server knows them (blocking: call through run_backend)."""
        services = self._services()
        assert user.id is not None
        self.two_factor_enabled = user.is_two_factor_enabled
        self.phone_ending = (user.phone_number or "")[-4:]
        self.signed_in_email = user.email
        self.recovery_left = services.recovery.remaining(user.id)
        self.totp_enabled = services.totp.is_enabled(user.id)
        self.devices = [
            {
                "id": str(device.device_id),
                "label": device.label,
                "first_seen": _day(device.first_seen),
                "last_used": _day(device.last_used),
            }
            for device in services.devices.list(user.id)
        ]

    async def _refresh_status(self, user_id: int) -> None:
        user = await run_backend(self._services().accounts.get, user_id)
        assert user is not None
        await run_backend(self._show_status, user)

    def _reset_wizard(self, step: str = STATUS) -> None:
        self.step = step
        self.error = ""
        self.phone_input = self.phone_preview = ""
        self.new_recovery_codes = []
        self.totp_secret = self.totp_qr = ""
        self._pending_phone = ""

    async def load(self):
        """on_load: the guard, then the current status."""
        redirect, user = await self._guard_page()
        if user is None:
            return redirect
        await run_backend(self._show_status, user)
        self._reset_wizard()
        self.notice = ""
        return None

    async def start(self, mode: str):
        """Begin enabling (phone step), or changing/disabling (re-authentication first)."""
        signed_in = await self._signed_in()
        if signed_in is None:
            return rx.redirect(LOGIN_PATH)
        _session, user = signed_in
        self.notice = ""
        allowed = (mode == ENABLE and not user.is_two_factor_enabled) or (
            mode in _NEEDS_2FA_ON and user.is_two_factor_enabled
        )
        if not allowed:
            await run_backend(self._show_status, user)
            return None
        self.mode = mode
        self._reset_wizard(REAUTH_PASSWORD)
        return None

    def cancel(self):
        """Leave the wizard; nothing changes."""
        self._reset_wizard()
        self.notice = ""

    def back(self):
        """One step back."""
        self.error = ""
        if self.step == CODE:
            self.step = PHONE
        elif self.step == REAUTH_CODE:
            self.step = REAUTH_PASSWORD
        else:
            self._reset_wizard()

    def set_phone_input(self, value: str):
        """Echo what the user types and show the E.164 form we understood (only while on the phone step:
        a late, debounced keystroke must not refill the fields after the wizard moved on)."""
        if self.step != PHONE:
            return
        self.phone_input = value[:32]
        self.phone_preview = normalize_e164(self.phone_input, self._services().settings.otp_default_region) or ""

    async def _guarded(self, work: Callable[[ActiveSession, User], Awaitable[list]]):
        """Run one wizard step: one at a time, signed in on the server, an outage becomes a message."""
        if self.busy:
            return
        self.error = ""
        self.busy = True
        yield
        try:
            signed_in = await self._signed_in()
            events = [rx.redirect(LOGIN_PATH)] if signed_in is None else await work(*signed_in)
        except ServiceUnavailable:
            self.error = messages.SERVICE_UNAVAILABLE
            return
        finally:
            self.busy = False
        for event in events:
            yield event

    async def send_enroll_code(self, form_data: dict):
        """Phone step: validate, refuse a number in use, text a code."""
        async for event in self._guarded(lambda session, user: self._send_enroll_code(session, user, form_data)):
            yield event

    async def verify_enroll_code(self, form_data: dict):
        """Code step: verify, then turn 2FA on by consuming the server's proof for this exact number."""
        async for event in self._guarded(lambda session, user: self._verify_enroll_code(session, user, form_data)):
            yield event

    async def confirm_password(self, form_data: dict):
        """Re-authentication, part 1: the current password, then a code to the current number."""
        async for event in self._guarded(lambda session, user: self._confirm_password(session, user, form_data)):
            yield event

    async def verify_reauth_code(self, form_data: dict):
        """Re-authentication, part 2: the code; then change the number or turn 2FA off."""
        async for event in self._guarded(lambda session, user: self._verify_reauth_code(session, user, form_data)):
            yield event

    async def resend_code(self):
        """Text a new code for the current step (enrollment or re-authentication)."""
        if self.step == CODE:
            work = lambda session, user: self._send_enroll_code(session, user, {"phone": self._pending_phone})  # noqa: E731
        elif self.step == REAUTH_CODE:
            work = self._send_reauth_code
        else:
            return
        async for event in self._guarded(work):
            yield event

    async def _send_enroll_code(self, session: ActiveSession, user: User, form_data: dict) -> list:
        services = self._services()
        if not await self._reauthenticated(session, user, services.two_factor.needed_reauth(user)):
            return []
        raw = str(form_data.get("phone", self.phone_input))
        e164 = normalize_e164(raw, services.settings.otp_default_region)
        if e164 and await run_backend(services.two_factor.phone_taken, user.id, e164):
            self.error = messages.PHONE_TAKEN
            return []
        result = await run_backend(
            services.otp.request_code,
            purpose=Purpose.ENROLL,
            user_id=user.id,
            session_id=session.session_id,
            phone=raw,
            client_ip=self._client_ip(),
        )
        self.error, countdown = self._after_send(result)
        if not self.error:
            self._pending_phone = e164 or ""
            self.step = CODE
        return [countdown] if countdown is not None else []

    async def _verify(self, purpose: Purpose, session: ActiveSession, user: User, form_data: dict) -> bool:
        """Check a code for this step; the message lands in self.error."""
        result = await run_backend(
            self._services().otp.verify_code,
            purpose=purpose,
            user_id=user.id,
            session_id=session.session_id,
            code=str(form_data.get("code", "")),
        )
        if result.status is not VerifyStatus.OK:
            self.error = messages.verify_failed(result)
            return False
        return True

    async def _verify_enroll_code(self, session: ActiveSession, user: User, form_data: dict) -> list:
        if not await self._verify(Purpose.ENROLL, session, user, form_data):
            return []
        services = self._services()
        change = await run_backend(services.two_factor.enable, user.id, session.session_id, self._pending_phone)
        if change is not FactorChange.DONE:
            self.error = _FACTOR_CHANGE_ERRORS[change]
            return []
        await self._rotate_token()
        first_factor = not user.is_two_factor_enabled
        await self._refresh_status(user.id)
        self._reset_wizard(DONE)
        if first_factor:
            self.new_recovery_codes = await run_backend(services.recovery.generate, user.id)
            self.recovery_left = len(self.new_recovery_codes)
        return [rx.toast.success(messages.TWO_FACTOR_ON)]

    async def _confirm_password(self, session: ActiveSession, user: User, form_data: dict) -> list:
        checked = await run_backend(
            self._services().accounts.confirm_password, user.id, str(form_data.get("password", "")), self._client_ip()
        )
        if checked.outcome is LoginOutcome.THROTTLED:
            self.error = messages.login_throttled(checked.retry_after_seconds)
            return []
        if checked.outcome is not LoginOutcome.AUTHENTICATED:
            missing = checked.outcome is LoginOutcome.MISSING_FIELDS
            self.error = messages.PASSWORD_MISSING if missing else messages.PASSWORD_WRONG
            return []
        await run_backend(self._services().two_factor.grant_reauth, user.id, session.session_id, Reauth.PASSWORD)
        if not user.is_two_factor_enabled:
            self._reset_wizard(PHONE)
            return []
        return await self._send_reauth_code(session, user)

    async def _reauthenticated(self, session: ActiveSession, user: User, needed: Reauth) -> bool:
        """True when the server holds a fresh enough re-authentication; else back to the password step."""
        if await run_backend(self._services().two_factor.has_reauth, user.id, session.session_id, needed):
            return True
        self._reset_wizard(REAUTH_PASSWORD)
        self.error = messages.REAUTH_REQUIRED
        return False

    async def _rotate_token(self) -> None:
        """A factor changed: the session continues under a new token (other sessions were ended)."""
        issued = await run_backend(self._services().sessions.advance, self.session_token, Stage.AUTHENTICATED)
        if issued is not None:
            self._adopt(issued)

    async def _send_reauth_code(self, session: ActiveSession, user: User) -> list:
        if not await self._reauthenticated(session, user, Reauth.PASSWORD):
            return []
        result = await run_backend(
            self._services().otp.request_code,
            purpose=Purpose.REAUTH,
            user_id=user.id,
            session_id=session.session_id,
            phone=user.phone_number or "",
            client_ip=self._client_ip(),
        )
        self.error, countdown = self._after_send(result)
        if not self.error:
            self.step = REAUTH_CODE
        return [countdown] if countdown is not None else []

    async def _verify_reauth_code(self, session: ActiveSession, user: User, form_data: dict) -> list:
        if not await self._reauthenticated(session, user, Reauth.PASSWORD):
            return []
        if not await self._verify(Purpose.REAUTH, session, user, form_data):
            return []
        services = self._services()
        await run_backend(services.two_factor.grant_reauth, user.id, session.session_id, Reauth.PASSWORD_AND_CODE)
        self.resend_seconds = 0
        if self.mode == CHANGE:
            self._reset_wizard(PHONE)
            return []
        if self.mode == REGENERATE:
            codes = await run_backend(services.recovery.generate, user.id)
            self._reset_wizard(RECOVERY_CODES)
            self.new_recovery_codes, self.recovery_left = codes, len(codes)
            return [rx.toast.success(messages.RECOVERY_CODES_NEW)]
        if self.mode == ADD_TOTP:
            setup = await run_backend(services.totp.begin_setup, user.id, user.email)
            self._reset_wizard(TOTP_SETUP)
            self.totp_secret, self.totp_qr = setup.secret, setup.qr_data_uri
            return []
        if self.mode == REMOVE_TOTP:
            await run_backend(services.totp.remove, user.id)
            await self._after_factor_change(session, user)
            self._reset_wizard()
            self.notice = messages.TOTP_REMOVED
            return [rx.toast.success(messages.TOTP_REMOVED)]
        change = await run_backend(services.two_factor.disable, user.id, session.session_id)
        if change is not FactorChange.DONE:
            self.error = _FACTOR_CHANGE_ERRORS[change]
            return []
        await self._rotate_token()
        await self._refresh_status(user.id)
        self._reset_wizard()
        self.notice = messages.TWO_FACTOR_OFF
        return [rx.toast.success(messages.TWO_FACTOR_OFF)]

    async def _after_factor_change(self, session: ActiveSession, user: User) -> None:
        """End other sessions, rotate this session's token, show the new status (the authenticator service
        already voided remembered devices)."""
        services = self._services()
        await run_backend(services.sessions.end_all_for_user, user.id, session.session_id)
        await self._rotate_token()
        await self._refresh_status(user.id)

    async def verify_totp_setup(self, form_data: dict):
        """Authenticator setup: a current code from the app confirms it before it is used."""
        async for event in self._guarded(lambda session, user: self._verify_totp_setup(session, user, form_data)):
            yield event

    async def _verify_totp_setup(self, session: ActiveSession, user: User, form_data: dict) -> list:
        if not await self._reauthenticated(session, user, Reauth.PASSWORD_AND_CODE):
            return []
        services = self._services()
        result = await run_backend(services.totp.confirm_setup, user.id, str(form_data.get("code", "")))
        if result.status is not VerifyStatus.OK:
            self.error = messages.verify_failed(result)
            return []
        await self._after_factor_change(session, user)
        self._reset_wizard()
        self.notice = messages.TOTP_ADDED
        return [rx.toast.success(messages.TOTP_ADDED)]

    async def forget_device(self, device_id: str):
        """Forget one remembered device of this user."""
        async for event in self._guarded(lambda _session, user: self._forget_devices(user, device_id)):
            yield event

    async def forget_all_devices(self):
        """Forget every remembered device of this user."""
        async for event in self._guarded(lambda _session, user: self._forget_devices(user, None)):
            yield event

    async def _forget_devices(self, user: User, device_id: str | None) -> list:
        devices = self._services().devices
        if device_id is None:
            await run_backend(devices.forget_all, user.id)
        elif device_id.isdigit():
            await run_backend(devices.forget, user.id, int(device_id))
        await self._refresh_status(user.id)
        return []


def _day(timestamp: float) -> str:
    """A date for the devices list."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
