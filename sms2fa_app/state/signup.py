"""The sign-up form: the same answer for every address when email verification is on."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.state import messages
from sms2fa_app.state.guard import Access, Caller, guarded
from sms2fa_app.state.password_hint import PasswordHintState
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import DASHBOARD_PATH, SessionState


class SignupState(PasswordHintState, SessionState):
    """Creates an account (or, with verification on, asks the backend to); errors sit next to their field."""

    email_error: str = ""
    password_error: str = ""
    confirm_error: str = ""
    form_error: str = ""
    loading: bool = False
    check_email: str = ""  # after a sign-up with verification on: "We sent a message to ..."

    def _clear_errors(self) -> None:
        self.email_error = self.password_error = self.confirm_error = self.form_error = ""

    def reset_form(self):
        """on_load: a fresh visit starts without the last attempt's messages."""
        self._clear_errors()
        self.loading = False
        self.check_email = ""
        self.password_hint = ""

    @guarded(access=Access.ANYONE, busy="loading", error="form_error")
    async def sign_up(self, _caller: Caller, form_data: dict) -> list:
        """Validate on the server; then "check your email" (verification on) or the new account signed in."""
        self._clear_errors()
        result = await run_backend(
            self._services().accounts.sign_up,
            form_data.get("email", ""),
            form_data.get("password", ""),
            form_data.get("confirm_password", ""),
            self._client_ip(),
            self._user_agent(),
        )
        if result.problem is not None:
            field, text = messages.SIGNUP_PROBLEMS[result.problem]
            if result.retry_after_seconds:
                text = messages.too_many_requests(result.retry_after_seconds)
            setattr(self, f"{field}_error", text)
            return []
        if result.check_email:
            self.check_email = messages.CHECK_EMAIL_DETAIL.format(email=form_data.get("email", "").strip()[:254])
            return []
        assert result.issued is not None
        self._adopt(result.issued)
        return [rx.redirect(DASHBOARD_PATH)]
