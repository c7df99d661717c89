"""The sign-up form."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.state import messages
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import DASHBOARD_PATH, SessionState


class SignupState(SessionState):
    """Creates an account; errors sit next to the field they concern."""

    email_error: str = ""
    password_error: str = ""
    confirm_error: str = ""
    form_error: str = ""
    loading: bool = False

    def _clear_errors(self) -> None:
        self.email_error = self.password_error = self.confirm_error = self.form_error = ""

    def reset_form(self):
        """on_load: a fresh visit starts without the last attempt's messages."""
        self._clear_errors()
        self.loading = False

    async def sign_up(self, form_data: dict):
        """Validate on the server, create the account, sign it in."""
        if self.loading:
            return
        self._clear_errors()
        self.loading = True
        yield
        try:
            result = await run_backend(
                self._services().accounts.sign_up,
                str(form_data.get("email", "")),
                str(form_data.get("password", "")),
                str(form_data.get("confirm_password", "")),
                self._client_ip(),
                self._user_agent(),
            )
        except ServiceUnavailable:
            self.form_error = messages.SERVICE_UNAVAILABLE
            return
        finally:
            self.loading = False
        if result.problem is not None:
            field, text = messages.SIGNUP_PROBLEMS[result.problem]
            setattr(self, f"{field}_error", text)
            return
        assert result.issued is not None
        self._adopt(result.issued)
        yield rx.redirect(DASHBOARD_PATH)
