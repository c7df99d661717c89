"""The password step of logging in."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.identity.sessions import IssuedSession, Stage
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.state import messages
from sms2fa_app.state.challenge import ChallengeState
from sms2fa_app.state.guard import Access, Caller, guarded
from sms2fa_app.state.proof import PROOF_FIELD, next_challenge
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import CHALLENGE_PATH, DASHBOARD_PATH, SessionState, safe_next_path


class LoginState(SessionState):
    """Checks the password; with 2FA on, the session waits at the second factor."""

    error: str = ""
    loading: bool = False
    pow_challenge: str = ""  # a proof-of-work challenge for the widget, while the server asks for proofs

    def reset_form(self):
        """on_load: a fresh visit starts without the last attempt's message."""
        self.error = ""
        self.loading = False
        self.pow_challenge = ""

    @guarded(access=Access.ANYONE, busy="loading")
    async def log_in(self, _caller: Caller, form_data: dict) -> list:
        """Password step: same message for unknown email and wrong password."""
        services = self._services()
        previous_token = self._token()
        proof = form_data.get(PROOF_FIELD, "")
        result = await run_backend(
            services.accounts.log_in,
            form_data.get("email", ""),
            form_data.get("password", ""),
            self._client_ip(),
            self._user_agent(),
            proof,
        )
        if result.issued is not None and previous_token:
            await run_backend(services.sessions.end, previous_token)
        needed = result.outcome is LoginOutcome.PROOF_REQUIRED
        self.pow_challenge = "" if result.issued is not None else next_challenge(services, needed=needed, posted=proof)
        if needed:
            self.error = messages.LOGIN_PROOF_REQUIRED
            return []
        if result.outcome is LoginOutcome.THROTTLED:
            self.error = messages.login_throttled(result.retry_after_seconds)
            return []
        if result.outcome is LoginOutcome.MISSING_FIELDS:
            self.error = messages.MISSING_CREDENTIALS
            return []
        if result.outcome is LoginOutcome.INVALID_CREDENTIALS:
            self.error = messages.INVALID_CREDENTIALS
            return []
        assert result.issued is not None
        self._adopt(result.issued)
        next_path = safe_next_path(self.router.url.query_parameters.get("next", ""))
        if result.outcome is LoginOutcome.SECOND_FACTOR_REQUIRED and not await self._remembered(result.issued):
            return await self._begin_challenge(next_path)
        return [rx.redirect(next_path or DASHBOARD_PATH)]

    async def _remembered(self, issued: IssuedSession) -> bool:
        """A remembered device skips the challenge: the session moves on under a new token."""
        services = self._services()
        try:
            if not await run_backend(services.devices.check, issued.session.user_id, self._device()):
                return False
            advanced = await run_backend(services.sessions.advance, issued.token, Stage.AUTHENTICATED)
        except ServiceUnavailable:
            return False
        if advanced is None:
            return False
        self._adopt(advanced)
        return True

    async def _begin_challenge(self, next_path: str) -> list:
        """Text the first code at once and go to the challenge page."""
        challenge = await self.get_state(ChallengeState)
        try:
            events = await challenge._begin(next_path)
        except ServiceUnavailable:
            challenge.error = messages.SERVICE_UNAVAILABLE
            events = []
        return [rx.redirect(CHALLENGE_PATH), *events]
