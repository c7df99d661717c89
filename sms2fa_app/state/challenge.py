"""The second-factor challenge after the password step."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.backend.factors.results import Factor, VerifyResult
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.identity.sessions import ActiveSession, Stage
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.models import User
from sms2fa_app.state import messages
from sms2fa_app.state.cooldown import CooldownState
from sms2fa_app.state.guard import Access, Caller, guarded, resolve_caller
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import DASHBOARD_PATH, LOGIN_PATH, safe_next_path

__all__ = ["ChallengeState", "Factor"]


class ChallengeState(CooldownState):
    """Checks the second factor; only the last 4 digits of the number ever reach the browser."""

    phone_ending: str = ""
    error: str = ""
    notice: str = ""
    verifying: bool = False
    resending: bool = False
    method: str = Factor.SMS.value
    has_totp: bool = False
    remember_label: str = ""

    @property
    def _factor(self) -> Factor:
        return Factor(self.method) if self.method in tuple(Factor) else Factor.SMS

    async def _show(self, session: ActiveSession, user: User) -> None:
        """What the page shows about the pending user (the number's last 4 digits only)."""
        services = self._services()
        self.phone_ending = (user.phone_number or "")[-4:]
        self.has_totp = await run_backend(services.totp.is_enabled, session.user_id)
        self.remember_label = messages.remember_device(services.settings.remember_device_days)
        if self._factor is Factor.TOTP and not self.has_totp:
            self.method = Factor.SMS.value

    async def _send_code(self, session: ActiveSession, phone: str):
        """Text a login code; returns the countdown event (errors land in self.error)."""
        result = await run_backend(
            self._services().otp.request_code,
            purpose=Purpose.LOGIN,
            user_id=session.user_id,
            session_id=session.session_id,
            phone=phone,
            client_ip=self._client_ip(),
        )
        self.error, countdown = self._after_send(result)
        return countdown

    async def _begin(self, next_path: str = ""):
        """Right after the password step: text the first code (called by the login handler)."""
        self.error = self.notice = ""
        self.next_path = safe_next_path(next_path)
        caller = await resolve_caller(self, Access.PENDING)
        if caller is None:
            return rx.redirect(LOGIN_PATH)
        session, user = caller.signed_in
        preferred = Factor.TOTP if user.preferred_factor == Factor.TOTP.value else Factor.SMS
        self.method = preferred.value  # the factor used last time
        await self._show(session, user)
        if self._factor is Factor.TOTP:
            return None
        return await self._send_code(session, user.phone_number or "")

    async def load(self):
        """on_load: no pending session -> login; already signed in -> dashboard; else show the true cooldown."""
        self.verifying = self.resending = False
        try:
            session = await self._session()
            if session is not None and session.is_authenticated:
                return rx.redirect(DASHBOARD_PATH)
            caller = await resolve_caller(self, Access.PENDING)
            if caller is None:
                await self._forget()
                return rx.redirect(LOGIN_PATH)
            session, user = caller.signed_in
            await self._show(session, user)
            wait = await run_backend(self._services().otp.resend_wait, user_id=session.user_id, purpose=Purpose.LOGIN)
        except ServiceUnavailable:
            self.error = messages.SERVICE_UNAVAILABLE
            return None
        return self._start_cooldown(wait)

    @guarded(access=Access.PENDING, busy="verifying")
    async def verify(self, caller: Caller, form_data: dict) -> list:
        """Check the code; on success a new token at stage authenticated and a redirect."""
        session, _user = caller.signed_in
        services = self._services()
        factor = self._factor
        self.notice = ""
        result = await self._check_factor(session, factor, form_data.get("code", ""))
        if not result.ok:
            self.error = messages.verify_failed(result, factor)
            return []
        issued = await run_backend(services.sessions.advance, self._token(), Stage.AUTHENTICATED)
        if issued is None:
            return [rx.redirect(LOGIN_PATH)]
        self._adopt(issued)
        if factor is Factor.SMS:
            await run_backend(services.accounts.set_preferred_factor, session.user_id, Factor.SMS)
        if form_data.get("remember") in ("on", "true"):
            self._remember_device(await run_backend(services.devices.remember, session.user_id, self._user_agent()))
        target = safe_next_path(self.next_path) or DASHBOARD_PATH
        self.next_path = ""
        return [rx.redirect(target)]

    @guarded(access=Access.PENDING, busy="resending")
    async def resend(self, caller: Caller) -> list:
        """Text a new code; the server refuses it during the cooldown whatever the browser shows."""
        session, user = caller.signed_in
        self.notice = ""
        countdown = await self._send_code(session, user.phone_number or "")
        if not self.error:
            self.notice = messages.CODE_SENT.format(ending=self.phone_ending)
        return [countdown] if countdown is not None else []

    @guarded(access=Access.PENDING, busy="resending")
    async def use_method(self, caller: Caller, method: str) -> list:
        """Switch between the texted code, the authenticator app and a recovery code."""
        session, user = caller.signed_in
        self.notice = ""
        if method not in tuple(Factor) or (method == Factor.TOTP and not self.has_totp):
            return []
        self.method = method
        if self._factor is not Factor.SMS:
            return []
        pending = await run_backend(
            self._services().otp.has_pending_code,
            purpose=Purpose.LOGIN,
            user_id=session.user_id,
            session_id=session.session_id,
        )
        if pending:
            return []
        countdown = await self._send_code(session, user.phone_number or "")
        return [countdown] if countdown is not None else []

    async def _check_factor(self, session: ActiveSession, factor: Factor, code: str) -> VerifyResult:
        services = self._services()
        if factor is Factor.TOTP:
            return await run_backend(services.totp.verify, session.user_id, code)
        if factor is Factor.RECOVERY:
            return await run_backend(services.recovery.redeem, session.user_id, code)
        return await run_backend(
            services.otp.verify_code,
            purpose=Purpose.LOGIN,
            user_id=session.user_id,
            session_id=session.session_id,
            code=code,
        )
