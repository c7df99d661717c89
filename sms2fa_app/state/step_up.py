"""The step-up: a signed-in session asked for a factor again because a protected page's `recent` rule found its
last one too old (state/protected.py). A right factor is recorded in the session (its auth_time moves), the
session goes on under a new token, and the browser goes back to the page it came from."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.factors.second_factors import chosen
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.state import words
from sms2fa_app.state.cooldown import CooldownState
from sms2fa_app.state.guard import Apply, Caller, guarded
from sms2fa_app.state.proof import PROOF_FIELD
from sms2fa_app.state.protected import SETTINGS_PATH
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.said import ErrorId, NoticeId
from sms2fa_app.state.session import DASHBOARD_PATH, LOGIN_PATH, SessionState, safe_next_path

# A passkey needs the browser's ceremony, which this page does not run: the other factors are offered.
_NOT_OFFERED = frozenset({Factor.PASSKEY})


class StepUpState(ErrorId, NoticeId, CooldownState, SessionState):
    """Asks a signed-in user for one of their second factors again; only the number's last 4 digits are shown."""

    method: str = Factor.SMS.value
    has_totp: bool = False
    phone_ending: str = ""
    error: str = ""
    notice: str = ""
    verifying: bool = False
    sending: bool = False
    _available: list[str] = []  # the factors offered, as the page loaded

    @property
    def _offered(self) -> frozenset[Factor]:
        return frozenset(Factor(name) for name in self._available)

    def _back_path(self) -> str:
        """The protected page that asked for the step-up (the dashboard when none is remembered)."""
        return safe_next_path(self.next_path) or DASHBOARD_PATH

    @guarded(busy=None)
    async def load(self, caller: Caller) -> list:
        """on_load: offer the user's factors (a texted code is sent on request, not by the visit)."""
        session, user = caller.signed_in
        available = await run_backend(self._services().second_factors.available, session.user_id, Purpose.STEP_UP)
        offered = available - _NOT_OFFERED
        if not offered:  # 2FA is off now: nothing to ask again, and the page would send the tab straight back here
            return [rx.redirect(SETTINGS_PATH)]
        self._available = sorted(offered)
        self.has_totp = Factor.TOTP in offered
        self.method = chosen(user.preferred_factor, offered).value
        self.phone_ending = (user.phone_number or "")[-4:]
        self.error = self.notice = ""
        self.verifying = self.sending = False
        return []

    @guarded(busy="sending", slow=True)
    async def send_code(self, caller: Caller, form_data: dict) -> Apply:
        """Text a step-up code to the user's number (under the same cooldown and limits as every code);
        `form_data` holds the proof of work when the widget is shown."""
        session, user = caller.signed_in
        proof = form_data.get(PROOF_FIELD, "")
        step_up = self._services().sign_in.send_step_up_code
        sent = await run_backend(step_up, session, user, self._client_ip(), proof)

        async def apply() -> list:
            self.error = self._after_send(sent, proof)
            self.notice = "" if self.error else words.challenge.CODE_SENT.format(ending=self.phone_ending)
            return []

        return apply

    @guarded(busy="verifying")
    async def verify(self, caller: Caller, form_data: dict) -> list:
        """Check the factor; when right, a new token and back to the page."""
        session, _user = caller.signed_in
        factor = chosen(self.method, self._offered)
        self.notice = ""
        step_up = self._services().sign_in.step_up
        step = await run_backend(step_up, self._token(), session, factor, form_data.get("code", ""))
        if not step.verify.ok:
            self.error = self._verify_failed(step.verify, factor)
            return []
        if step.issued is None:  # the session ended meanwhile
            return [rx.redirect(LOGIN_PATH)]
        self._adopt(step.issued)
        target, self.next_path = self._back_path(), ""
        return [rx.redirect(target)]

    @guarded()
    async def use_method(self, caller: Caller, method: str) -> list:
        """Switch between the texted code, the authenticator app and a recovery code."""
        if Factor.named(method) in self._offered:
            self.method, self.error, self.notice = method, "", ""
        return []
