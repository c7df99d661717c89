"""Forgot password: ask for a link (the same answer for every address), then the link's page: a second
factor when 2FA is on, then the new password. The state keeps only the digest of the link's token (link_address.py)."""

from __future__ import annotations

from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.factors.second_factors import chosen, strongest
from sms2fa_app.backend.flows.password_reset import ResetLink, ResetOutcome
from sms2fa_app.state import words
from sms2fa_app.state.cooldown import CooldownState
from sms2fa_app.state.guard import Access, Apply, Caller, guarded
from sms2fa_app.state.link_address import link_digest
from sms2fa_app.state.password_hint import PasswordHintState
from sms2fa_app.state.proof import PROOF_FIELD
from sms2fa_app.state.runner import run_backend, run_hashing
from sms2fa_app.state.said import ErrorId, NoticeId, said_id
from sms2fa_app.state.session import SessionState

MAX_PREFILL_LENGTH = 254

# The reset page's steps.
LOADING, INVALID, FACTOR, NEW_PASSWORD, DONE = "loading", "invalid", "factor", "new_password", "done"


class ForgotPasswordState(ErrorId, SessionState):
    """The request form; "Wasn't you?" links fill the address in."""

    email_prefill: str = ""
    sent: str = ""
    sent_id = said_id("sent")
    error: str = ""
    busy: bool = False

    def load(self):
        """on_load: a fresh answer; the address from the link (if any) fills the field."""
        prefill = self.router.url.query_parameters.get("email", "")
        self.email_prefill = prefill[:MAX_PREFILL_LENGTH] if isinstance(prefill, str) else ""
        self.sent = self.error = ""
        self.busy = False

    @guarded(access=Access.ANYONE)
    async def request_reset(self, _caller: Caller, form_data: dict) -> list:
        """Queue a link for the address; the answer never says whether it has an account."""
        email = form_data.get("email", "")
        if not email.strip():
            self.error = words.login.ENTER_EMAIL
            return []
        services = self._services()
        wait = await run_backend(services.password_resets.request, email, self._client_ip())
        if wait:
            self.error = words.login.too_many_requests(wait)
            return []
        self.sent = words.login.reset_sent(services.settings.password_reset_ttl_seconds)
        return []


class ResetPasswordState(ErrorId, NoticeId, CooldownState, PasswordHintState, SessionState):
    """The link's page, one step at a time; the server decides whether the second factor is done."""

    step: str = LOADING
    method: str = Factor.SMS.value
    phone_ending: str = ""
    has_totp: bool = False
    _available: list[str] = []  # the factors the link takes (SecondFactors.available)
    code_sent: bool = False
    error: str = ""
    notice: str = ""
    busy: bool = False
    _link: str = ""  # the digest of the link's token

    @property
    def _offered(self) -> frozenset[Factor]:
        return frozenset(Factor(name) for name in self._available)

    def _show(self, opened: ResetLink | None) -> None:
        """The step a live link is at (or INVALID)."""
        if opened is None:
            self.step, self._link = INVALID, ""
            return
        self.step = FACTOR if opened.needs_second_factor else NEW_PASSWORD
        self.phone_ending, self.has_totp = opened.phone_ending, Factor.TOTP in opened.available
        if self._available != sorted(opened.available):  # a new link: it opens on the strongest factor
            self.method = strongest(opened.available).value
        self._available = sorted(opened.available)

    @guarded(access=Access.ANYONE)
    async def load(self, _caller: Caller) -> list:
        """on_load: keep the digest of the link's token from the address bar; show what the link needs."""
        self._link = self._opened_link()
        self.error = self.notice = self.password_hint = ""
        self.code_sent = False
        self._available = []
        self._show(await run_backend(self._services().password_resets.open, link_digest(self._link)))
        return []

    @guarded(access=Access.ANYONE)
    async def use_method(self, _caller: Caller, method: str) -> list:
        """Pick the factor: a texted code, the authenticator app or a recovery code."""
        if Factor.named(method) in self._offered:
            self.method, self.error, self.notice = method, "", ""
        return []

    @guarded(access=Access.ANYONE, slow=True)
    async def send_code(self, _caller: Caller, form_data: dict) -> Apply:
        """Text a code to the account's number (without the lock); `form_data` holds the proof of work when the
        widget is shown."""
        proof = form_data.get(PROOF_FIELD, "")
        resets = self._services().password_resets
        link = link_digest(self._link)
        sent = await run_backend(resets.send_code, link, self._client_ip(), proof)
        opened = await run_backend(resets.open, link) if sent is None else None

        async def apply() -> list:
            if sent is None:
                self._show(opened)
                return []
            self.error = self._after_send(sent, proof)
            if not self.error:
                self.code_sent = True
                self.notice = words.challenge.CODE_SENT.format(ending=self.phone_ending)
            return []

        return apply

    @guarded(access=Access.ANYONE)
    async def verify_factor(self, _caller: Caller, form_data: dict) -> list:
        """The second factor; a right code lets the link set a new password."""
        factor = chosen(self.method, self._offered)
        resets = self._services().password_resets
        result = await run_backend(resets.verify_factor, link_digest(self._link), factor, form_data.get("code", ""))
        if result is None:
            self._show(await run_backend(resets.open, link_digest(self._link)))
            return []
        if not result.ok:
            self.error = words.challenge.verify_failed(result, factor)
            return []
        self.error = self.notice = ""
        self.step = NEW_PASSWORD
        return []

    @guarded(access=Access.ANYONE, slow=True)
    async def set_password(self, _caller: Caller, form_data: dict) -> Apply:
        """The new password (hashed without the lock): every session ends, remembered devices are void, a notice
        goes out."""
        resets = self._services().password_resets
        link = link_digest(self._link)
        result = await run_hashing(
            resets.complete, link, form_data.get("password", ""), form_data.get("confirm_password", "")
        )

        async def apply() -> list:
            if result.outcome is ResetOutcome.PASSWORD_REFUSED and result.problem is not None:
                self.error = words.login.PASSWORD_PROBLEMS[result.problem]
                return []
            if result.outcome is ResetOutcome.SECOND_FACTOR_REQUIRED:
                self.step, self.error = FACTOR, words.login.RESET_SECOND_FACTOR
                return []
            if result.outcome is not ResetOutcome.DONE:
                self.step, self._link = INVALID, ""
                return []
            await self._forget()  # this browser's own session ended with the others
            self.step, self.notice, self.error = DONE, words.login.RESET_DONE, ""
            return []

        return apply
