"""The second-factor challenge after the password step."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.backend.factors.results import Factor, VerifyResult
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose, SendRefused
from sms2fa_app.backend.identity.sessions import ActiveSession, IssuedSession, Stage
from sms2fa_app.backend.models import User
from sms2fa_app.state import messages
from sms2fa_app.state.cooldown import CooldownState
from sms2fa_app.state.guard import Access, Apply, Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import DASHBOARD_PATH, LOGIN_PATH, SessionState, safe_next_path

__all__ = ["ChallengeState", "Factor"]


def _factor(method: str, has_totp: bool) -> Factor:
    """The factor a method names (SMS for anything else, or for TOTP without an authenticator)."""
    factor = Factor(method) if method in tuple(Factor) else Factor.SMS
    return Factor.SMS if factor is Factor.TOTP and not has_totp else factor


class ChallengeState(CooldownState, SessionState):
    """Checks the second factor; only the last 4 digits of the number ever reach the browser."""

    phone_ending: str = ""
    error: str = ""
    notice: str = ""
    verifying: bool = False
    resending: bool = False
    method: str = Factor.SMS.value
    has_totp: bool = False
    remember_label: str = ""
    _shown_session: int = 0  # the login session this page shows (its first visit picks the factor)

    @property
    def _factor(self) -> Factor:
        return _factor(self.method, self.has_totp)

    async def _send_code(self, session: ActiveSession, phone: str) -> CodeSent | SendRefused:
        """Text a login code (slow: call it outside the lock)."""
        return await run_backend(
            self._services().otp.request_code,
            purpose=Purpose.LOGIN,
            user_id=session.user_id,
            session_id=session.session_id,
            phone=phone,
            client_ip=self._client_ip(),
        )

    def _code_or_wait(self, session: ActiveSession, phone: str) -> CodeSent | SendRefused | int:
        """The session's first code (sent now), or the resend wait when one is already pending (blocking)."""
        otp = self._services().otp
        binding = {"purpose": Purpose.LOGIN, "user_id": session.user_id, "session_id": session.session_id}
        if otp.has_pending_code(**binding):
            return otp.resend_wait(user_id=session.user_id, purpose=Purpose.LOGIN)
        return otp.request_code(**binding, phone=phone, client_ip=self._client_ip())

    def _page_facts(
        self, session: ActiveSession, user: User, method: str
    ) -> tuple[bool, CodeSent | SendRefused | int | None]:
        """Whether the user has an authenticator, and for a texted code the send or the wait (blocking: one hop)."""
        has_totp = self._services().totp.is_enabled(session.user_id)
        if _factor(method, has_totp) is not Factor.SMS:
            return has_totp, None
        return has_totp, self._code_or_wait(session, user.phone_number or "")

    @guarded(access=Access.ANYONE, busy=None, slow=True)
    async def load(self, _caller: Caller) -> Apply:
        """on_load: no pending session -> login; already signed in -> dashboard; else show the page and text
        the session's first code unless one is pending (the text goes out without the lock)."""
        session, user = await self._session_and_user() or (None, None)
        if session is None or user is None or session.stage is not Stage.PASSWORD_VERIFIED or not user.phone_number:
            authenticated = session is not None and session.is_authenticated
            return self._leave_to(DASHBOARD_PATH if authenticated else LOGIN_PATH)
        first_visit = session.session_id != self._shown_session
        method = user.preferred_factor if first_visit else self.method
        has_totp, sent = await run_backend(self._page_facts, session, user, method)

        async def apply() -> list:
            if first_visit:
                self.notice = ""
            self._shown_session = session.session_id
            self._show(user, has_totp, method)
            if isinstance(sent, int):
                self._start_cooldown(sent)
            elif sent is not None:
                self.error = self._after_send(sent)
            return []

        return apply

    def _leave_to(self, path: str) -> Apply:
        async def apply() -> list:
            if path == LOGIN_PATH:
                await self._forget()
            return [rx.redirect(path)]

        return apply

    def _show(self, user: User, has_totp: bool, method: str) -> None:
        """What the page shows about the pending user (the number's last 4 digits only)."""
        self.phone_ending = (user.phone_number or "")[-4:]
        self.has_totp = has_totp
        self.method = _factor(method, has_totp).value
        self.remember_label = messages.remember_device(self._services().settings.remember_device_days)

    @guarded(access=Access.PENDING, busy="verifying")
    async def verify(self, caller: Caller, form_data: dict) -> list:
        """Check the code; on success a new token at stage authenticated and a redirect."""
        session, user = caller.signed_in
        factor = self._factor
        self.notice = ""
        remember = form_data.get("remember") in ("on", "true")
        result, issued, device_token = await run_backend(
            self._verify_and_advance, session, user, factor, form_data.get("code", ""), remember
        )
        if not result.ok:
            self.error = messages.verify_failed(result, factor)
            return []
        if issued is None:
            return [rx.redirect(LOGIN_PATH)]
        self._adopt(issued)
        if device_token:
            self.device_token = device_token
        target = safe_next_path(self.next_path) or DASHBOARD_PATH
        self.next_path = ""
        return [rx.toast.success(messages.SIGNED_IN), rx.redirect(target)]

    @guarded(access=Access.PENDING, busy="resending", slow=True)
    async def resend(self, caller: Caller) -> Apply:
        """Text a new code; the server refuses it during the cooldown whatever the browser shows."""
        session, user = caller.signed_in
        sent = await self._send_code(session, user.phone_number or "")

        async def apply() -> list:
            self.error = self._after_send(sent)
            self.notice = "" if self.error else messages.CODE_SENT.format(ending=self.phone_ending)
            return []

        return apply

    @guarded(access=Access.PENDING, busy="resending", slow=True)
    async def use_method(self, caller: Caller, method: str) -> Apply:
        """Switch between the texted code, the authenticator app and a recovery code."""
        session, user = caller.signed_in
        valid = method in tuple(Factor) and (method != Factor.TOTP or self.has_totp)
        sent = None
        if valid and method == Factor.SMS:
            sent = await run_backend(self._code_or_wait, session, user.phone_number or "")

        async def apply() -> list:
            self.notice = ""
            if not valid:
                return []
            self.method = method
            if isinstance(sent, int):
                self._start_cooldown(sent)
            elif sent is not None:
                self.error = self._after_send(sent)
            return []

        return apply

    def _verify_and_advance(
        self, session: ActiveSession, user: User, factor: Factor, code: str, remember: bool
    ) -> tuple[VerifyResult, IssuedSession | None, str]:
        """Check the code; when right, the session at stage authenticated under a new token, the factor used
        remembered, and a device token when asked for (blocking: one hop for the whole verify)."""
        services = self._services()
        if factor is Factor.TOTP:
            result = services.totp.verify(session.user_id, code)
        elif factor is Factor.RECOVERY:
            result = services.recovery.redeem(session.user_id, code)
        else:
            binding = {"purpose": Purpose.LOGIN, "user_id": session.user_id, "session_id": session.session_id}
            result = services.otp.verify_code(**binding, code=code)
        if not result.ok:
            return result, None, ""
        issued = services.sessions.advance(self._token(), Stage.AUTHENTICATED)
        if issued is None:
            return result, None, ""
        if factor is Factor.SMS and user.preferred_factor != Factor.SMS.value:
            services.accounts.set_preferred_factor(session.user_id, Factor.SMS)
        device_token = services.devices.remember(session.user_id, self._user_agent()) if remember else ""
        return result, issued, device_token
