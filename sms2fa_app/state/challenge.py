"""The second-factor challenge after the password step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import reflex as rx

from sms2fa_app.backend.factors.sms_codes import Purpose, VerifyResult, VerifyStatus
from sms2fa_app.backend.identity.sessions import ActiveSession, Stage
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.models import User
from sms2fa_app.state import messages
from sms2fa_app.state.cooldown import CooldownState
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import DASHBOARD_PATH, LOGIN_PATH, safe_next_path

SMS = "sms"
TOTP = "totp"
RECOVERY = "recovery"


class ChallengeState(CooldownState):
    """Checks the texted code; only the last 4 digits of the number ever reach the browser."""

    phone_ending: str = ""
    error: str = ""
    notice: str = ""
    verifying: bool = False
    resending: bool = False
    method: str = SMS
    has_totp: bool = False

    async def _pending(self) -> tuple[ActiveSession, User] | None:
        """The session waiting for its second factor and its user (who has a number), or None."""
        session = await self._session()
        if session is None or session.stage is not Stage.PASSWORD_VERIFIED:
            return None
        user = await run_backend(self._services().accounts.get, session.user_id)
        if user is None or not user.phone_number:
            return None
        return session, user

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
        pending = await self._pending()
        if pending is None:
            return rx.redirect(LOGIN_PATH)
        session, user = pending
        self.phone_ending = user.phone_number[-4:]
        self.has_totp = await run_backend(self._services().totp.is_enabled, session.user_id)
        self.method = TOTP if user.preferred_factor == TOTP and self.has_totp else SMS  # the factor used last time
        if self.method == TOTP:
            return None
        return await self._send_code(session, user.phone_number)

    async def load(self):
        """on_load: no pending session -> login; already signed in -> dashboard; else show the true cooldown."""
        try:
            session = await self._session()
            if session is not None and session.is_authenticated:
                return rx.redirect(DASHBOARD_PATH)
            pending = await self._pending()
            if pending is None:
                await self._forget()
                return rx.redirect(LOGIN_PATH)
            session, user = pending
            self.phone_ending = user.phone_number[-4:]
            self.has_totp = await run_backend(self._services().totp.is_enabled, session.user_id)
            if self.method == TOTP and not self.has_totp:
                self.method = SMS
            wait = await run_backend(self._services().otp.resend_wait, user_id=session.user_id, purpose=Purpose.LOGIN)
        except ServiceUnavailable:
            self.error = messages.SERVICE_UNAVAILABLE
            return None
        return self._start_cooldown(wait)

    async def _guarded(self, busy_flag: str, work: Callable[[ActiveSession, User], Awaitable[list]]):
        """Run one request at a time (per button) for the pending session; an outage becomes a message."""
        if getattr(self, busy_flag):
            return
        self.error = self.notice = ""
        setattr(self, busy_flag, True)
        yield
        try:
            pending = await self._pending()
            events = [rx.redirect(LOGIN_PATH)] if pending is None else await work(*pending)
        except ServiceUnavailable:
            self.error = messages.SERVICE_UNAVAILABLE
            return
        finally:
            setattr(self, busy_flag, False)
        for event in events:
            yield event

    async def verify(self, form_data: dict):
        """Check the code; on success a new token at stage authenticated and a redirect."""
        async for event in self._guarded("verifying", lambda session, _user: self._verify(session, form_data)):
            yield event

    async def resend(self):
        """Text a new code; the server refuses it during the cooldown whatever the browser shows."""
        async for event in self._guarded("resending", self._resend):
            yield event

    async def use_method(self, method: str):
        """Switch between the texted code, the authenticator app and a recovery code."""
        async for event in self._guarded("resending", lambda session, user: self._use_method(session, user, method)):
            yield event

    async def _use_method(self, session: ActiveSession, user: User, method: str) -> list:
        if method not in (SMS, TOTP, RECOVERY) or (method == TOTP and not self.has_totp):
            return []
        self.method = method
        if method != SMS:
            return []
        otp = self._services().otp
        pending = await run_backend(
            otp.has_pending_code, purpose=Purpose.LOGIN, user_id=session.user_id, session_id=session.session_id
        )
        if pending:
            return []
        countdown = await self._send_code(session, user.phone_number)
        return [countdown] if countdown is not None else []

    async def _check_factor(self, session: ActiveSession, code: str) -> VerifyResult:
        services = self._services()
        if self.method == TOTP:
            return await run_backend(services.totp.verify, session.user_id, code)
        if self.method == RECOVERY:
            return await run_backend(services.recovery.redeem, session.user_id, code)
        return await run_backend(
            services.otp.verify_code,
            purpose=Purpose.LOGIN,
            user_id=session.user_id,
            session_id=session.session_id,
            code=code,
        )

    async def _verify(self, session: ActiveSession, form_data: dict) -> list:
        services = self._services()
        result = await self._check_factor(session, str(form_data.get("code", "")))
        if result.status is not VerifyStatus.OK:
            self.error = messages.recovery_failed(result) if self.method == RECOVERY else messages.verify_failed(result)
            return []
        issued = await run_backend(services.sessions.advance, self.session_token, Stage.AUTHENTICATED)
        if issued is None:
            return [rx.redirect(LOGIN_PATH)]
        self._adopt(issued)
        if self.method in (SMS, TOTP):
            await run_backend(services.two_factor.set_preferred_factor, session.user_id, self.method)
        if form_data.get("remember") in ("on", "true", True):
            self.device_token = await run_backend(services.devices.remember, session.user_id, self._user_agent())
        target = safe_next_path(self.next_path) or DASHBOARD_PATH
        self.next_path = ""
        return [rx.toast.success(messages.SIGNED_IN), rx.redirect(target)]

    async def _resend(self, session: ActiveSession, user: User) -> list:
        countdown = await self._send_code(session, user.phone_number)
        if not self.error:
            self.notice = messages.CODE_SENT.format(ending=self.phone_ending)
        return [countdown] if countdown is not None else []
