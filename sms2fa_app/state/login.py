"""The password step of logging in."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.backend.identity.accounts import LoginOutcome, LoginResult
from sms2fa_app.backend.identity.sessions import IssuedSession, Stage
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.state import messages
from sms2fa_app.state.guard import Access, Apply, Caller, guarded
from sms2fa_app.state.runner import run_backend, run_hashing
from sms2fa_app.state.session import CHALLENGE_PATH, DASHBOARD_PATH, SessionState, safe_next_path


class LoginState(SessionState):
    """Checks the password; with 2FA on, the session waits at the second factor (whose page texts the code)."""

    error: str = ""
    loading: bool = False

    async def load(self):
        """on_load of /login: a fresh form; a signed-in user goes to the dashboard (one event, not two)."""
        if self.error:
            self.error = ""
        if self.loading:
            self.loading = False
        return await self.redirect_if_signed_in()

    @guarded(access=Access.ANYONE, busy="loading", slow=True)
    async def log_in(self, _caller: Caller, form_data: dict) -> Apply:
        """Password step: same message for unknown email and wrong password. Hashing runs without the lock."""
        services = self._services()
        previous_token = self._token()
        result = await run_hashing(
            services.accounts.log_in,
            form_data.get("email", ""),
            form_data.get("password", ""),
            self._client_ip(),
            self._user_agent(),
        )
        if result.issued is not None and previous_token:
            await run_backend(services.sessions.end, previous_token)
        issued = result.issued
        if result.outcome is LoginOutcome.SECOND_FACTOR_REQUIRED and issued is not None:
            issued = await self._remembered(issued) or issued
        next_path = safe_next_path(self.router.url.query_parameters.get("next", ""))

        async def apply() -> list:
            return self._after_password(result, issued, next_path)

        return apply

    def _after_password(self, result: LoginResult, issued: IssuedSession | None, next_path: str) -> list:
        if result.outcome is LoginOutcome.THROTTLED:
            self.error = messages.login_throttled(result.retry_after_seconds)
            return []
        if result.outcome is LoginOutcome.MISSING_FIELDS:
            self.error = messages.MISSING_CREDENTIALS
            return []
        if result.outcome is LoginOutcome.INVALID_CREDENTIALS or issued is None:
            self.error = messages.INVALID_CREDENTIALS
            return []
        self._adopt(issued)
        if issued.session.stage is Stage.PASSWORD_VERIFIED:
            self.next_path = next_path  # the challenge goes there once the second factor is in
            return [rx.redirect(CHALLENGE_PATH)]
        return [rx.redirect(next_path or DASHBOARD_PATH)]

    async def _remembered(self, issued: IssuedSession) -> IssuedSession | None:
        """A remembered device skips the challenge: the session, moved on under a new token, or None."""
        services = self._services()
        try:
            if not await run_backend(services.devices.check, issued.session.user_id, self._device()):
                return None
            return await run_backend(services.sessions.advance, issued.token, Stage.AUTHENTICATED)
        except ServiceUnavailable:
            return None
