"""The sign-up form."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.state import messages
from sms2fa_app.state.guard import Access, Apply, Caller, guarded
from sms2fa_app.state.runner import run_hashing
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

    async def load(self):
        """on_load of /signup: a fresh form; a signed-in user goes to the dashboard (one event, not two)."""
        if self.email_error or self.password_error or self.confirm_error or self.form_error:
            self._clear_errors()
        if self.loading:
            self.loading = False
        return await self.redirect_if_signed_in()

    @guarded(access=Access.ANYONE, busy="loading", error="form_error", slow=True)
    async def sign_up(self, _caller: Caller, form_data: dict) -> Apply:
        """Validate on the server, create the account, sign it in (the hashing runs without the lock)."""
        result = await run_hashing(
            self._services().accounts.sign_up,
            form_data.get("email", ""),
            form_data.get("password", ""),
            form_data.get("confirm_password", ""),
            self._client_ip(),
            self._user_agent(),
        )

        async def apply() -> list:
            self._clear_errors()
            if result.problem is not None:
                field, text = messages.SIGNUP_PROBLEMS[result.problem]
                setattr(self, f"{field}_error", text)
                return []
            assert result.issued is not None
            self._adopt(result.issued)
            return [rx.redirect(DASHBOARD_PATH)]

        return apply
