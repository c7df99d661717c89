"""The second-factor challenge after the password step: the code by text or call, its live delivery status."""

from __future__ import annotations

import asyncio
import time
import uuid

import reflex as rx

from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.factors.results import Factor, VerifyResult
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose
from sms2fa_app.backend.identity.sessions import ActiveSession, Stage
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.models import User
from sms2fa_app.state import messages
from sms2fa_app.state.cooldown import CooldownState
from sms2fa_app.state.guard import Access, BrowserJson, Caller, guarded, resolve_caller
from sms2fa_app.state.proof import PROOF_FIELD
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import DASHBOARD_PATH, LOGIN_PATH, safe_next_path
from sms2fa_app.state.webauthn_calls import browser_answer, get_passkey

__all__ = ["ChallengeState", "Factor"]

# The delivery status is read from Redis this often while the page shows a code on its way, for at most
# WATCH_SECONDS after the send (a report later than that no longer matters to this code).
POLL_SECONDS = 2.0
WATCH_SECONDS = 180.0


class ChallengeState(CooldownState):
    """Checks the second factor; only the last 4 digits of the number ever reach the browser."""

    phone_ending: str = ""
    error: str = ""
    notice: str = ""
    verifying: bool = False
    resending: bool = False
    method: str = Factor.SMS.value
    has_totp: bool = False
    has_passkey: bool = False
    remember_label: str = ""
    _remember: bool = False  # the passkey form's "remember this device", kept for the browser's answer
    passkey_request: str = ""  # the passkey ceremony the page runs (webauthn_calls), answered by finish_passkey
    delivery_status: str = ""  # "Delivered", "Not delivered: try a voice call", ... ("" = nothing to show)
    delivery_lost: bool = False
    _watch_binding: str = ""  # purpose:user:session of the code whose delivery is shown
    _watch_owner: str = ""  # the running watch's id: any other one stops at its next look

    @property
    def _factor(self) -> Factor:
        return Factor(self.method) if self.method in tuple(Factor) else Factor.SMS

    async def _show(self, session: ActiveSession, user: User) -> None:
        """What the page shows about the pending user (the number's last 4 digits only)."""
        services = self._services()
        self.phone_ending = (user.phone_number or "")[-4:]
        self.has_totp = await run_backend(services.totp.is_enabled, session.user_id)
        self.has_passkey = await run_backend(services.passkeys.count, session.user_id) > 0
        self.remember_label = messages.remember_device(services.settings.remember_device_days)
        if not self._offered(self._factor):
            self.method = Factor.SMS.value

    def _offered(self, factor: Factor) -> bool:
        """Whether the user has this factor (SMS and recovery codes go with 2FA)."""
        return {Factor.TOTP: self.has_totp, Factor.PASSKEY: self.has_passkey}.get(factor, True)

    async def _send_code(
        self, session: ActiveSession, phone: str, channel: Channel = Channel.SMS, proof: str = ""
    ) -> list:
        """Text (or call with) a login code; returns the countdown and delivery-watch events (errors land in
        self.error)."""
        services = self._services()
        result = await run_backend(
            services.otp.request_code,
            purpose=Purpose.LOGIN,
            user_id=session.user_id,
            session_id=session.session_id,
            phone=phone,
            client_ip=self._client_ip(),
            channel=channel,
            proof=proof,
        )
        self.error, countdown = self._after_send(result, proof)
        events = [countdown] if countdown is not None else []
        if isinstance(result, CodeSent) and getattr(services.gateway, "reports_status", False):
            events.append(self._watch(session))
        return events

    def _watch(self, session: ActiveSession):
        """Show the delivery status of this session's newest login code, live."""
        self._watch_binding = f"{Purpose.LOGIN.value}:{session.user_id}:{session.session_id}"
        self.delivery_status, self.delivery_lost = "", False
        return ChallengeState.watch_delivery

    async def _begin(self, next_path: str = "") -> list:
        """Right after the password step: text the first code (called by the login handler); its events."""
        self.error = self.notice = ""
        self.next_path = safe_next_path(next_path)
        caller = await resolve_caller(self, Access.PENDING)
        if caller is None:
            return [rx.redirect(LOGIN_PATH)]
        session, user = caller.signed_in
        await self._show(session, user)
        # A passkey first whenever there is one; else the factor used last time.
        preferred = Factor.TOTP if user.preferred_factor == Factor.TOTP.value and self.has_totp else Factor.SMS
        self.method = (Factor.PASSKEY if self.has_passkey else preferred).value
        if self._factor is not Factor.SMS:
            return []  # nothing is texted unless texts are the way in
        return await self._send_code(session, user.phone_number or "")

    async def load(self):
        """on_load: no pending session -> login; already signed in -> dashboard; else show the true cooldown."""
        self.verifying = self.resending = False
        self.passkey_request = ""
        try:
            session = await self._session()
            if session is not None and session.is_authenticated:
                return rx.redirect(DASHBOARD_PATH)
            caller = await resolve_caller(self, Access.PENDING)
            if caller is None:
                await self._forget()
                return rx.redirect(LOGIN_PATH)
            session, user = caller.signed_in
            await self._show(session, user)
            services = self._services()
            wait = await run_backend(services.otp.resend_wait, user_id=session.user_id, purpose=Purpose.LOGIN)
        except ServiceUnavailable:
            self.error = messages.SERVICE_UNAVAILABLE
            return None
        events = [self._start_cooldown(wait)]
        if getattr(services.gateway, "reports_status", False):
            events.append(self._watch(session))
        return [event for event in events if event is not None]

    @guarded(access=Access.PENDING, busy="verifying")
    async def verify(self, caller: Caller, form_data: dict) -> list:
        """Check the code; on success a new token at stage authenticated and a redirect."""
        session, _user = caller.signed_in
        services = self._services()
        factor = self._factor
        self.notice = ""
        if factor is Factor.PASSKEY:
            return []  # a passkey answers through start_passkey
        result = await self._check_factor(session, factor, form_data.get("code", ""))
        if not result.ok:
            self.error = messages.verify_failed(result, factor)
            return []
        if factor is Factor.SMS:
            await run_backend(services.accounts.set_preferred_factor, session.user_id, Factor.SMS)
        return await self._passed(session, factor, remember=form_data.get("remember") in ("on", "true"))

    async def _passed(self, session: ActiveSession, factor: Factor, *, remember: bool) -> list:
        """The second factor is right: the session moves on under a new token (and the device is remembered)."""
        services = self._services()
        issued = await run_backend(services.sessions.advance, self._token(), Stage.AUTHENTICATED, factor.value)
        if issued is None:
            return [rx.redirect(LOGIN_PATH)]
        self._adopt(issued)
        self._watch_owner = self._watch_binding = ""
        if remember:
            self.device_token = await run_backend(services.devices.remember, session.user_id, self._user_agent())
        target = safe_next_path(self.next_path) or DASHBOARD_PATH
        self.next_path = ""
        return [rx.redirect(target)]

    @guarded(access=Access.PENDING, busy="verifying")
    async def start_passkey(self, caller: Caller, form_data: dict) -> list:
        """Ask the browser for one of the user's passkeys (for this session's single-use challenge)."""
        session, _user = caller.signed_in
        self.notice = ""
        options = await run_backend(
            self._services().passkeys.authentication_options, session.user_id, session.session_id
        )
        if options is None:
            self.has_passkey, self.method, self.error = False, Factor.SMS.value, messages.PASSKEY_NONE
            return []
        self.method = Factor.PASSKEY.value
        self._remember = form_data.get("remember") in ("on", "true")
        self.passkey_request = get_passkey(options)
        return []

    @guarded(access=Access.PENDING, busy="verifying")
    async def finish_passkey(self, caller: Caller, answer: BrowserJson) -> list:
        """The browser's answer: a refusal in words (the other factors stay offered), or the assertion checked."""
        session, _user = caller.signed_in
        self.passkey_request = ""
        refused, credential = browser_answer(answer)
        if refused:
            self.error = messages.passkey_browser_error(refused)
            return []
        result = await self._check_factor(session, Factor.PASSKEY, credential)
        if not result.ok:
            self.error = messages.verify_failed(result, Factor.PASSKEY)
            return []
        return await self._passed(session, Factor.PASSKEY, remember=self._remember)

    @guarded(access=Access.PENDING, busy="resending")
    async def resend(self, caller: Caller, form_data: dict) -> list:
        """Text a new code; the server refuses it during the cooldown whatever the browser shows.
        `form_data` holds the proof of work when the widget is shown."""
        session, user = caller.signed_in
        self.notice = ""
        events = await self._send_code(session, user.phone_number or "", proof=form_data.get(PROOF_FIELD, ""))
        if not self.error:
            self.notice = messages.CODE_SENT.format(ending=self.phone_ending)
        return events

    @guarded(access=Access.PENDING, busy="resending")
    async def call_me(self, caller: Caller, form_data: dict) -> list:
        """Call instead: a new code read out by a voice call, under the same cooldown and limits as a text."""
        session, user = caller.signed_in
        self.notice = ""
        self.method = Factor.SMS.value
        phone = user.phone_number or ""
        events = await self._send_code(session, phone, Channel.VOICE, proof=form_data.get(PROOF_FIELD, ""))
        if not self.error:
            self.notice = messages.CALLING.format(ending=self.phone_ending)
        return events

    @rx.event(background=True)
    async def watch_delivery(self):
        """Follow the newest code's delivery reports (one Redis read every POLL_SECONDS) until the state is
        final, the page moves on, a newer watch takes over or WATCH_SECONDS pass."""
        owner = uuid.uuid4().hex
        async with self:
            binding, self._watch_owner = self._watch_binding, owner
        deadline = time.monotonic() + WATCH_SECONDS
        services = self._services()
        while binding and time.monotonic() < deadline:
            try:
                delivery = await run_backend(services.deliveries.latest, binding)
                lost = delivery is not None and delivery.state.lost
                user_id = int(binding.split(":")[1])
                wait = (
                    await run_backend(services.otp.resend_wait, user_id=user_id, purpose=Purpose.LOGIN) if lost else 0
                )
            except ServiceUnavailable:
                return
            async with self:
                if self._watch_owner != owner:
                    return
                self.delivery_status = messages.delivery_status(delivery)
                self.delivery_lost = lost
                if lost:  # the text will not come: its cooldown was given back, so a call can follow now
                    self._start_cooldown(wait)
                if delivery is None or delivery.state.final:  # nothing (more) to follow
                    self._watch_owner = ""
                    return
            await asyncio.sleep(POLL_SECONDS)

    @guarded(access=Access.PENDING, busy="resending")
    async def use_method(self, caller: Caller, method: str) -> list:
        """Switch between a passkey, the texted code, the authenticator app and a recovery code."""
        session, user = caller.signed_in
        self.notice = ""
        if method not in tuple(Factor) or not self._offered(Factor(method)):
            return []
        self.method = method
        if self._factor is not Factor.SMS:
            return []
        pending = await run_backend(
            self._services().otp.has_pending_code,
            purpose=Purpose.LOGIN,
            user_id=session.user_id,
            session_id=session.session_id,
        )
        if pending:
            return []
        return await self._send_code(session, user.phone_number or "")

    async def _check_factor(self, session: ActiveSession, factor: Factor, code: str) -> VerifyResult:
        return await run_backend(
            self._services().second_factors.verify,
            session.user_id,
            factor,
            code,
            purpose=Purpose.LOGIN,
            binding=session.session_id,
        )
