"""Logging in: the password step, or a passkey in one step."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.backend.factors.passkey_sign_in import PasskeySignIn
from sms2fa_app.backend.flows.sign_in import PasswordStep
from sms2fa_app.backend.identity.accounts import LoginOutcome, LoginResult
from sms2fa_app.backend.identity.sessions import IssuedSession
from sms2fa_app.backend.infra.crypto import new_token
from sms2fa_app.state import words
from sms2fa_app.state.cooldown import deadline_ms
from sms2fa_app.state.guard import Access, Apply, BrowserJson, Caller, guarded
from sms2fa_app.state.proof import PROOF_FIELD, next_challenge
from sms2fa_app.state.runner import run_backend, run_hashing
from sms2fa_app.state.said import ErrorId, NoticeId
from sms2fa_app.state.session import CHALLENGE_PATH, DASHBOARD_PATH, SessionState, safe_next_path
from sms2fa_app.state.webauthn_calls import browser_answer, get_passkey

PASSWORD_FIELD = "field-password"  # the password input's id


class LoginState(ErrorId, NoticeId, SessionState):
    """Checks the password; with 2FA on, the session waits at the second factor (whose page texts the code)."""

    error: str = ""
    notice: str = ""
    loading: bool = False
    passkey_busy: bool = False
    throttled: bool = False  # the error is the throttle: the page offers "Forgot password?" beside it
    throttled_until: int = 0  # epoch ms when the throttle ends (counted down by the page)
    pow_challenge: str = ""  # a proof-of-work challenge for the widget, while the server asks for proofs
    proof_asked: bool = False  # the password waits for the proof: the form goes again once it is solved
    passkey_request: str = ""  # the passkey ceremony the page runs (webauthn_calls), answered by finish_passkey_sign_in
    _farewell: str = ""  # said once on the next visit (the account was deleted): a page message, never a toast
    # The binding of this page's passkey challenge (there is no login session yet); never sent to the browser.
    _passkey_handle: str = ""
    _passkey_proof: str = ""  # the widget's proof of work posted with the passkey button, spent by the answer

    def reset_form(self):
        """A fresh visit starts without the last attempt's message, only a farewell, once (only what changed is
        written)."""
        if self.error or self.notice or self.pow_challenge or self.passkey_request or self._farewell:
            self.error = self.pow_challenge = self.passkey_request = ""
            self.notice, self._farewell = self._farewell, ""
            self.proof_asked = False
        if self.loading or self.passkey_busy or self.throttled:
            self.loading = self.passkey_busy = self.throttled = False

    async def load(self):
        """on_load of /login: a fresh form, with a notice once ("You've been logged out.", "Log in to
        continue."); a signed-in user goes to the dashboard (one event, not two)."""
        self.reset_form()
        base = await self.get_state(SessionState)
        if base._login_notice:
            self.notice = self.notice or base._login_notice
            base._login_notice = ""
        return await self.redirect_if_signed_in()

    @guarded(access=Access.ANYONE, busy="loading", slow=True)
    async def log_in(self, _caller: Caller, form_data: dict) -> Apply:
        """Password step: same message for unknown email and wrong password. Hashing runs without the lock."""
        services = self._services()
        previous_token, device = self._token(), self._device()
        proof = form_data.get(PROOF_FIELD, "")
        email, password = form_data.get("email", ""), form_data.get("password", "")
        client_ip, user_agent = self._client_ip(), self._user_agent()

        def password_step() -> PasswordStep:
            """The hash and what follows it in one thread hand-off (each costs the event loop a wake-up): the
            rest is a few quick SQL and Redis calls, and the hashing threads' share of the cores holds them."""
            result = services.accounts.log_in(email, password, client_ip, user_agent, proof)
            return services.sign_in.after_password(result, previous_token, device)

        step = await run_hashing(password_step)
        result, issued = step.result, step.issued
        next_path = safe_next_path(self.router.url.query_parameters.get("next", ""))

        async def apply() -> list:
            events = self._after_password(result, issued, next_path, proof)
            if not self.error or self.proof_asked:  # the password stays for the proof's own submit
                return events
            return [*events, rx.set_value(PASSWORD_FIELD, "")]  # refused: the email stays

        return apply

    def _after_password(self, result: LoginResult, issued: IssuedSession | None, next_path: str, proof: str) -> list:
        self.notice = ""
        self.throttled = result.outcome is LoginOutcome.THROTTLED
        needed = result.outcome is LoginOutcome.PROOF_REQUIRED
        services = self._services()
        self.pow_challenge = "" if result.issued is not None else next_challenge(services, needed=needed, posted=proof)
        self.proof_asked = needed
        if needed:
            self.error = words.login.LOGIN_PROOF_REQUIRED
            return []
        if result.outcome is LoginOutcome.THROTTLED:
            self.error = words.login.LOGIN_THROTTLED
            self.throttled_until = deadline_ms(services.clock.now(), result.retry_after_seconds)
            return []
        if result.outcome is LoginOutcome.MISSING_FIELDS:
            self.error = words.login.MISSING_CREDENTIALS
            return []
        if result.outcome is LoginOutcome.INVALID_CREDENTIALS or issued is None:
            self.error = words.login.INVALID_CREDENTIALS
            return []
        self._adopt(issued)
        self._keep_return_url(self.router.url.query_parameters.get("rd"))
        if issued.session.awaiting_second_factor:
            self.next_path = next_path  # the challenge goes there (or to `rd`) once the second factor is in
            return [rx.redirect(CHALLENGE_PATH)]
        return self._leave_signed_in(next_path or DASHBOARD_PATH, issued.session)

    @guarded(access=Access.ANYONE, busy="passkey_busy")
    async def start_passkey_sign_in(self, _caller: Caller, form_data: dict) -> list:
        """Ask the browser for a passkey of this site (any account): the first half of the one-step sign-in.
        `form_data` carries the widget's proof of work (with_proof), kept here for the answer to spend."""
        self._passkey_handle = new_token()
        self._passkey_proof = str(form_data.get(PROOF_FIELD, ""))
        options = await run_backend(self._services().passkey_sign_in.options, self._passkey_handle)
        self.passkey_request = get_passkey(options)
        return []

    @guarded(access=Access.ANYONE, busy="passkey_busy")
    async def finish_passkey_sign_in(self, _caller: Caller, answer: BrowserJson) -> list:
        """The browser's answer: signed in under a new session, or why not (the password form stays)."""
        handle, self._passkey_handle, self.passkey_request = self._passkey_handle, "", ""
        proof, self._passkey_proof = self._passkey_proof, ""
        self.notice, self.throttled = "", False
        refused, credential = browser_answer(answer)
        if refused:
            self.error = words.challenge.passkey_browser_error(refused, words.challenge.LOG_IN_WITH_PASSWORD)
            return []
        services = self._services()
        signed = await run_backend(
            services.sign_in.with_passkey,
            handle,
            credential,
            self._client_ip(),
            self._user_agent(),
            proof,
            self._token(),
        )
        needed = signed.refusal is LoginOutcome.PROOF_REQUIRED
        self.pow_challenge = "" if signed.issued is not None else next_challenge(services, needed=needed, posted=proof)
        self.proof_asked = False  # a passkey is asked again by a click, never by itself
        if signed.issued is None:
            self.error = self._passkey_refused(signed)
            return []
        self._adopt(signed.issued)
        self._keep_return_url(self.router.url.query_parameters.get("rd"))
        next_path = safe_next_path(self.router.url.query_parameters.get("next", ""))
        return self._leave_signed_in(next_path or DASHBOARD_PATH, signed.issued.session)

    def _passkey_refused(self, signed: PasskeySignIn) -> str:
        """What a refused passkey sign-in says (an unconfirmed address: what a passkey that didn't sign in says)."""
        if signed.refusal is LoginOutcome.PROOF_REQUIRED:
            return words.login.PASSKEY_PROOF_REQUIRED
        return words.login.passkey_sign_in_failed(signed.result)
