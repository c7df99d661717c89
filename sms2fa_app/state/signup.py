"""The sign-up form: the same answer for every address when email verification is on."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.backend.identity.accounts import SignupProblem
from sms2fa_app.state import words
from sms2fa_app.state.guard import Access, Apply, Caller, guarded
from sms2fa_app.state.password_hint import PasswordHintState
from sms2fa_app.state.runner import run_hashing
from sms2fa_app.state.said import said_id
from sms2fa_app.state.session import DASHBOARD_PATH, SessionState


class SignupState(PasswordHintState, SessionState):
    """Creates an account (or, with verification on, asks the backend to); errors sit next to their field."""

    email_error: str = ""
    password_error: str = ""
    confirm_error: str = ""
    form_error: str = ""
    email_error_id = said_id("email_error")
    password_error_id = said_id("password_error")
    confirm_error_id = said_id("confirm_error")
    form_error_id = said_id("form_error")
    loading: bool = False
    check_email: str = ""  # after a sign-up with verification on: "We sent a message to ..."
    email_taken: bool = False  # the address has an account: the page links to "Log in instead"

    def _clear_errors(self) -> None:
        self.email_error = self.password_error = self.confirm_error = self.form_error = ""
        self.email_taken = False

    def reset_form(self):
        """A fresh visit starts without the last attempt's messages (only what changed is written)."""
        if self.email_error or self.password_error or self.confirm_error or self.form_error or self.email_taken:
            self._clear_errors()
        if self.loading:
            self.loading = False
        if self.check_email:
            self.check_email = ""
        if self.password_hint:
            self.password_hint = ""

    async def load(self):
        """on_load of /signup: a fresh form; a signed-in user goes to the dashboard (one event, not two)."""
        self.reset_form()
        return await self.redirect_if_signed_in()

    @guarded(access=Access.ANYONE, busy="loading", error="form_error", slow=True)
    async def sign_up(self, _caller: Caller, form_data: dict) -> Apply:
        """Validate on the server; then "check your email" (verification on) or the new account signed in (the
        hashing runs without the lock)."""
        email = form_data.get("email", "").strip()[:254]
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
                for problem in result.problems or (result.problem,):  # every field's error at once
                    field, text = words.login.SIGNUP_PROBLEMS[problem]
                    if result.retry_after_seconds:
                        text = words.login.too_many_requests(result.retry_after_seconds)
                    setattr(self, f"{field}_error", text)
                self.email_taken = result.problem is SignupProblem.EMAIL_TAKEN
                return []
            if result.check_email:
                self.check_email = words.login.CHECK_EMAIL_DETAIL.format(email=email)
                return []
            assert result.issued is not None
            self._adopt(result.issued)
            return [rx.redirect(DASHBOARD_PATH)]

        return apply
