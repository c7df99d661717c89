"""The second-factor challenge after the password step: the code by text or call, its live delivery status."""

from __future__ import annotations

import asyncio
import time
import uuid

import reflex as rx

from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.delivery.whatsapp import code_channel
from sms2fa_app.backend.factors.results import Factor, VerifyStatus
from sms2fa_app.backend.factors.second_factors import FactorSummary, chosen, offered, summary_facts
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose, SendRefused
from sms2fa_app.backend.flows.code_watch import watch_code
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.models import User
from sms2fa_app.state import words
from sms2fa_app.state.cooldown import CooldownState, deadline_ms
from sms2fa_app.state.dashboard import DashboardState
from sms2fa_app.state.guard import Access, Apply, BrowserJson, Caller, guarded
from sms2fa_app.state.proof import PROOF_FIELD
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.said import ErrorId, NoticeId, said_id
from sms2fa_app.state.session import DASHBOARD_PATH, LOGIN_PATH, SessionState, safe_next_path
from sms2fa_app.state.text_instead import TextInsteadState, texted_for_whatsapp
from sms2fa_app.state.webauthn_calls import browser_answer, get_passkey

__all__ = ["ChallengeState", "Factor"]

# The delivery status is read from Redis this often while the page shows a code on its way, for at most
# WATCH_SECONDS after the send (a report later than that no longer matters to this code).
POLL_SECONDS = 2.0
WATCH_SECONDS = 180.0
RECOVERY_FIELD = "field-code"  # the recovery code's input (its id)
# A texted code that can no longer be used: the page stops its countdown and asks for a new one.
_CODE_GONE = frozenset({VerifyStatus.TOO_MANY_ATTEMPTS, VerifyStatus.EXPIRED, VerifyStatus.ALREADY_USED})


class PageFacts:
    """What the challenge page shows, gathered in one backend call (blocking)."""

    def __init__(self, available: frozenset[Factor], method: str, sent: CodeSent | SendRefused | int | None):
        self.available, self.method, self.sent = available, method, sent
        self.lock_seconds = 0  # the lockout in force
        self.code_expires_at = 0.0  # when the pending texted code stops working (0: none)


class ChallengeState(ErrorId, NoticeId, TextInsteadState, CooldownState, SessionState):
    """Checks the second factor; only the last 4 digits of the number ever reach the browser."""

    phone_ending: str = ""
    email_hint: str = ""  # "a…@example.com": whose sign-in this is
    code_expires_at: int = 0  # epoch ms when the pending texted code stops working (0 = none known)
    not_sent: bool = False  # a send was refused and no code is pending: the page says so, not "we sent"
    error: str = ""
    notice: str = ""
    verifying: bool = False
    resending: bool = False
    method: str = Factor.SMS.value
    has_totp: bool = False
    has_passkey: bool = False
    _available: list[str] = []  # the user's factors for the login (SecondFactors.available), as the page loaded
    remember_label: str = ""  # "" for an admin: a remembered device never spares an admin the second factor
    _remember: bool = False  # the passkey form's "remember this device", kept for the browser's answer
    passkey_request: str = ""  # the passkey ceremony the page runs (webauthn_calls), answered by finish_passkey
    delivery_status: str = ""  # "Delivered", "Not delivered: try a voice call", ... ("" = nothing to show)
    delivery_status_id = said_id("delivery_status")
    delivery_lost: bool = False
    _watch_binding: str = ""  # purpose:user:session of the code whose delivery is shown
    _watch_owner: str = ""  # the running watch's id: any other one stops at its next look
    _shown_session: int = 0  # the login session this page shows (its first visit picks the factor)

    @property
    def _offered(self) -> frozenset[Factor]:
        return frozenset(Factor(name) for name in self._available)

    @property
    def _factor(self) -> Factor:
        return chosen(self.method, self._offered)

    def _offer(self, available: frozenset[Factor]) -> None:
        self._available = sorted(available)
        self.has_totp, self.has_passkey = Factor.TOTP in available, Factor.PASSKEY in available

    def _reports_status(self) -> bool:
        return bool(getattr(self._services().gateway, "reports_status", False))

    def _channel(self, user: User) -> Channel:
        """How the user's codes go: WhatsApp when they chose it and it is configured, else a text."""
        return code_channel(user.phone_channel, self._services().gateway)

    async def _send_code(
        self, session: ActiveSession, user: User, channel: Channel | None = None, proof: str = ""
    ) -> CodeSent | SendRefused:
        """Send (or call with) a login code to the user's number by their channel, in their language (slow:
        outside the lock); a landline is called."""
        return await run_backend(
            self._services().otp.request_code,
            purpose=Purpose.LOGIN,
            user_id=session.user_id,
            session_id=session.session_id,
            phone=user.phone_number or "",
            client_ip=self._client_ip(),
            channel=channel or self._channel(user),
            proof=proof,
            user_locale=user.locale,
        )

    def _code_or_wait(self, session: ActiveSession, user: User) -> CodeSent | SendRefused | int:
        """The session's first code (sent now), or the resend wait when one is already pending (blocking)."""
        otp = self._services().otp
        binding = {"purpose": Purpose.LOGIN, "user_id": session.user_id, "session_id": session.session_id}
        if otp.has_pending_code(**binding):
            return otp.resend_wait(user_id=session.user_id, purpose=Purpose.LOGIN)
        return otp.request_code(
            **binding,
            phone=user.phone_number or "",
            client_ip=self._client_ip(),
            user_locale=user.locale,
            channel=self._channel(user),
        )

    def _page_facts(
        self, session: ActiveSession, user: User, summary: FactorSummary, method: str, first_visit: bool
    ) -> PageFacts:
        """The user's factors (from the summary read with the session), the factor shown (on the first visit a
        passkey whenever there is one, else the factor used last time) and, for a texted code, the send or the
        wait (blocking: one hop)."""
        services = self._services()
        available = offered(user, summary, Purpose.LOGIN)
        if first_visit and Factor.PASSKEY in available:
            method = Factor.PASSKEY.value
        factor = chosen(method, available)
        sent = self._code_or_wait(session, user) if factor is Factor.SMS else None
        facts = PageFacts(available, factor.value, sent)
        facts.lock_seconds = services.lockout.wait(session.user_id)
        # A code sent now says when it expires; otherwise ask the pending one.
        fresh = isinstance(sent, CodeSent) and sent.expires_at
        facts.code_expires_at = sent.expires_at if fresh else self._code_deadline(session)
        return facts

    def _code_deadline(self, session: ActiveSession) -> float:
        """When the session's pending login code stops working (blocking; 0: none)."""
        otp = self._services().otp
        return otp.code_expires_at(purpose=Purpose.LOGIN, user_id=session.user_id, session_id=session.session_id)

    @guarded(access=Access.ANYONE, busy=None, slow=True)
    async def load(self, _caller: Caller) -> Apply:
        """on_load: no pending session -> login; already signed in -> dashboard; else show the page and text
        the session's first code unless one is pending (the text goes out without the lock)."""
        token, shown_session, shown_method = self._token(), self._shown_session, self.method

        def caller_and_page() -> tuple[ActiveSession | None, User | None, bool, PageFacts | None]:
            """The caller and their factors (one statement), then the page's facts: one thread hand-off."""
            found = self._services().sessions.resolve_with_facts(token, summary_facts()) if token else None
            session, user = (found.session, found.user) if found is not None else (None, None)
            if session is None or user is None or not session.awaiting_second_factor or not user.phone_number:
                return session, None, False, None
            first_visit = session.session_id != shown_session
            method = user.preferred_factor if first_visit else shown_method
            summary = FactorSummary.read(found.facts) if found is not None else FactorSummary()
            return session, user, first_visit, self._page_facts(session, user, summary, method, first_visit)

        session, user, first_visit, facts = await run_backend(caller_and_page)
        if session is None or user is None or facts is None:
            authenticated = session is not None and session.is_authenticated
            return self._leave_to(DASHBOARD_PATH if authenticated else LOGIN_PATH)

        async def apply() -> list:
            self.verifying = self.resending = False
            self.passkey_request = ""
            if first_visit:
                self.notice = ""
            self._shown_session = session.session_id
            self._show(user, facts)
            self._start_lock(facts.lock_seconds)
            if facts.lock_seconds:  # say why Verify waits
                self.error = words.challenge.locked(self._factor)
            self.code_expires_at = int(facts.code_expires_at * 1000)
            self.not_sent = isinstance(facts.sent, SendRefused) and not facts.code_expires_at
            self.code_channel = self._channel(user).value  # a pending code went the user's way, as a new one does
            if isinstance(facts.sent, int):
                self._start_cooldown(facts.sent)
            elif facts.sent is not None:
                self.error = self._after_send(facts.sent)
            if texted_for_whatsapp(self._channel(user), facts.sent):
                self.code_channel, self.notice = (
                    Channel.SMS.value,
                    words.challenge.WHATSAPP_TEXTED.format(ending=self.phone_ending),
                )
            followed = self._reports_status() or self.code_channel == Channel.WHATSAPP
            watch = facts.sent is not None and not isinstance(facts.sent, SendRefused) and followed
            return [self._watch(session)] if watch else []

        return apply

    def _leave_to(self, path: str) -> Apply:
        async def apply() -> list:
            if path == LOGIN_PATH:
                await self._forget()
            return [rx.redirect(path)]

        return apply

    def _show(self, user: User, facts: PageFacts) -> None:
        """What the page shows about the pending user (the number's last 4 digits only)."""
        self.phone_ending = (user.phone_number or "")[-4:]
        self.email_hint = words.common.masked_email(user.email)
        self._offer(facts.available)
        self.method = facts.method
        days = self._services().settings.remember_device_days
        self.remember_label = "" if user.is_admin else words.challenge.remember_device(days)

    def _watch(self, session: ActiveSession):
        """Show the delivery status of this session's newest login code, live."""
        self._watch_binding = f"{Purpose.LOGIN.value}:{session.user_id}:{session.session_id}"
        self.delivery_status, self.delivery_lost, self.text_instead_ready = "", False, False
        return ChallengeState.watch_delivery

    def _sent_events(self, session: ActiveSession, sent: CodeSent | SendRefused, proof: str, notice: str) -> list:
        """Show the result of a send (under the lock); the delivery watch's event when a code went out."""
        self.error = self._after_send(sent, proof)
        self.notice = "" if self.error else notice.format(ending=self.phone_ending)
        self.not_sent = isinstance(sent, SendRefused) and not self.code_expires_at
        if isinstance(sent, CodeSent):  # the new code replaced the old one: its own expiry counts down
            settings = self._services().settings
            self.code_expires_at = deadline_ms(self._services().clock.now(), settings.otp_ttl_seconds)
            self.code_channel = sent.channel.value
        followed = self._reports_status() or self.code_channel == Channel.WHATSAPP
        return [self._watch(session)] if isinstance(sent, CodeSent) and followed else []

    @guarded(access=Access.PENDING, busy="verifying", show_busy=False)  # a code check takes milliseconds
    async def verify(self, caller: Caller, form_data: dict) -> list:
        """Check the code; on success a new token at stage authenticated and a redirect."""
        session, user = caller.signed_in
        factor = self._factor
        self.notice = ""
        if factor is Factor.PASSKEY:
            return []  # a passkey answers through start_passkey
        remember = form_data.get("remember") in ("on", "true")
        return await self._check(session, user, factor, form_data.get("code", ""), remember)

    async def _check(self, session: ActiveSession, user: User, factor: Factor, code: str, remember: bool) -> list:
        """Check the factor, advance the session and remember the device in one backend call."""
        remember_for = self._user_agent() if remember else None
        step = await run_backend(
            self._services().sign_in.second_factor,
            self._token(),
            session,
            user,
            factor,
            code,
            remember_device_for=remember_for,
        )
        result, issued = step.verify, step.issued
        if not result.ok:
            self.error = self._verify_failed(result, factor)
            if factor is Factor.SMS and result.status in _CODE_GONE:
                self.code_expires_at = 0  # the code is gone: the page asks for a new one
            # A recovery code stays in its field (the page selects it on focus), to be corrected.
            return [rx.set_focus(RECOVERY_FIELD)] if factor is Factor.RECOVERY else []
        if issued is None:
            return [rx.redirect(LOGIN_PATH)]
        if factor is Factor.RECOVERY:  # the dashboard says how many are left, once
            (await self.get_state(DashboardState))._recovery_used = True
        self._adopt(issued)
        self._watch_owner = self._watch_binding = ""
        if step.device_token:
            self._remember_device(step.device_token)
        target = safe_next_path(self.next_path) or DASHBOARD_PATH
        self.next_path = ""
        return self._leave_signed_in(target, issued.session)

    @guarded(access=Access.PENDING, busy="verifying")
    async def start_passkey(self, caller: Caller, form_data: dict) -> list:
        """Ask the browser for one of the user's passkeys (for this session's single-use challenge)."""
        session, _user = caller.signed_in
        self.notice = ""
        options = await run_backend(
            self._services().passkeys.authentication_options, session.user_id, session.session_id
        )
        if options is None:
            self._offer(self._offered - {Factor.PASSKEY})
            self.method, self.error = Factor.SMS.value, words.challenge.PASSKEY_NONE
            return []
        self.method = Factor.PASSKEY.value
        self._remember = form_data.get("remember") in ("on", "true")
        self.passkey_request = get_passkey(options)
        return []

    @guarded(access=Access.PENDING, busy="verifying")
    async def finish_passkey(self, caller: Caller, answer: BrowserJson) -> list:
        """The browser's answer: a refusal in words (the other factors stay offered), or the assertion checked."""
        session, user = caller.signed_in
        self.passkey_request = ""
        refused, credential = browser_answer(answer)
        if refused:
            self.error = words.challenge.passkey_browser_error(refused)
            return []
        return await self._check(session, user, Factor.PASSKEY, credential, self._remember)

    @guarded(access=Access.PENDING, busy="resending", slow=True)
    async def resend(self, caller: Caller, form_data: dict) -> Apply:
        """Text a new code; the server refuses it during the cooldown whatever the browser shows.
        `form_data` holds the proof of work when the widget is shown."""
        session, user = caller.signed_in
        proof = form_data.get(PROOF_FIELD, "")
        sent = await self._send_code(session, user, proof=proof)

        async def apply() -> list:
            texted = texted_for_whatsapp(self._channel(user), sent)
            notice = words.challenge.WHATSAPP_TEXTED if texted else words.challenge.CODE_SENT
            return self._sent_events(session, sent, proof, notice)

        return apply

    @guarded(access=Access.PENDING, busy="resending", slow=True)
    async def call_me(self, caller: Caller, form_data: dict) -> Apply:
        """Call instead: a new code read out by a voice call, under the same cooldown and limits as a text."""
        session, user = caller.signed_in
        proof = form_data.get(PROOF_FIELD, "")
        sent = await self._send_code(session, user, Channel.VOICE, proof=proof)

        async def apply() -> list:
            self.method = Factor.SMS.value
            return self._sent_events(session, sent, proof, words.challenge.CALLING)

        return apply

    @rx.event(background=True)
    async def watch_delivery(self):
        """Follow the newest code's delivery reports (one Redis read every POLL_SECONDS) until the state is
        final, the page moves on, a newer watch takes over or WATCH_SECONDS pass."""
        owner = uuid.uuid4().hex
        async with self:
            binding, self._watch_owner = self._watch_binding, owner
            whatsapp = self.code_channel == Channel.WHATSAPP  # only a WhatsApp code has a text instead to wait for
        deadline = time.monotonic() + WATCH_SECONDS
        services = self._services()
        while binding and time.monotonic() < deadline:
            try:
                seen = await run_backend(watch_code, services.deliveries, services.otp, binding, whatsapp)
            except ServiceUnavailable:
                return
            async with self:
                if self._watch_owner != owner:
                    return
                status = words.challenge.delivery_status(seen.delivery)
                if (self.delivery_status, self.delivery_lost) != (status, seen.lost):  # no update while unchanged
                    self.delivery_status, self.delivery_lost = status, seen.lost
                if seen.lost:  # the text will not come: its cooldown was given back, so a call can follow now
                    self._start_cooldown(seen.resend_wait)
                if self.text_instead_ready != (seen.fallback == 0):
                    self.text_instead_ready = seen.fallback == 0
                if seen.done:
                    self._watch_owner = ""
                    return
            await asyncio.sleep(POLL_SECONDS)

    @guarded(access=Access.PENDING, busy="resending", slow=True)
    async def use_method(self, caller: Caller, method: str) -> Apply:
        """Switch between a passkey, the texted code, the authenticator app and a recovery code."""
        session, user = caller.signed_in
        valid = Factor.named(method) in self._offered
        sent, expires_at = None, 0.0
        if valid and method == Factor.SMS:
            sent = await run_backend(self._code_or_wait, session, user)
            expires_at = await run_backend(self._code_deadline, session)

        async def apply() -> list:
            self.notice = ""
            if not valid:
                return []
            self.method = method
            if method == Factor.SMS:
                self.code_expires_at = int(expires_at * 1000)
            if isinstance(sent, int):
                self.not_sent = False
                self._start_cooldown(sent)
            elif sent is not None:
                return self._sent_events(session, sent, "", "")
            return []

        return apply
