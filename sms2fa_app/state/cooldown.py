"""The resend cooldown shown by every code form; the server sets the seconds, the browser only counts down."""

from __future__ import annotations

import asyncio
import math
import time
import uuid

import reflex as rx

from sms2fa_app.backend.factors.sms_codes import CodeSent, SendRefusal, SendRefused
from sms2fa_app.state import messages
from sms2fa_app.state.proof import next_challenge
from sms2fa_app.state.session import SessionState

# A running countdown touches its state once a second; one silent for this long is gone (its worker ended).
COUNTDOWN_STALE_SECONDS = 3.0


class CooldownState(SessionState):
    """Seconds until "Resend code" is allowed, ticking down live; the server refuses early resends anyway.

    At most one countdown task runs per state: `count_down` is public (the browser can call it at will),
    so a call while one runs is ignored, and the running one follows the newest deadline."""

    resend_seconds: int = 0
    pow_challenge: str = ""  # a proof-of-work challenge for the widget, while sends need proofs
    _countdown_deadline: float = 0.0  # wall-clock time the cooldown ends
    _countdown_alive_at: float = 0.0  # last tick of the running countdown (0 = none runs)
    _countdown_owner: str = ""  # the running countdown's id: any other loop stops at its next tick

    def _start_cooldown(self, seconds: int):
        """Show the server's remaining wait; the countdown event when none is running yet."""
        self.resend_seconds = max(0, int(seconds))
        self._countdown_deadline = time.time() + self.resend_seconds
        if self.resend_seconds == 0 or self._countdown_running():
            return None
        return CooldownState.count_down

    def _stop_cooldown(self) -> None:
        """No wait to show any more (the step changed): the running countdown stops at its next tick."""
        self.resend_seconds = 0
        self._countdown_deadline = 0.0
        self._countdown_owner = ""
        self._countdown_alive_at = 0.0

    def _countdown_running(self) -> bool:
        return time.time() - self._countdown_alive_at < COUNTDOWN_STALE_SECONDS

    def _after_send(self, result: CodeSent | SendRefused, proof: str = "") -> tuple[str, object]:
        """(error message or "", countdown event) for the result of a send; `proof` is the proof of work that
        came with it (spent now), and the widget gets a new challenge when one is needed."""
        needed = isinstance(result, SendRefused) and result.reason is SendRefusal.PROOF_REQUIRED
        self.pow_challenge = next_challenge(self._services(), needed=needed, posted=proof)
        if isinstance(result, CodeSent):
            return "", self._start_cooldown(result.resend_after_seconds)
        countdown = None
        if result.reason is SendRefusal.COOLDOWN:
            countdown = self._start_cooldown(result.retry_after_seconds)
        return messages.send_refused(result), countdown

    @rx.event(background=True)
    async def count_down(self):
        """Show the seconds left until the deadline, once a second, while no other countdown runs."""
        owner = uuid.uuid4().hex
        async with self:
            if self._countdown_running() or self._countdown_deadline <= time.time():
                return
            self._countdown_alive_at, self._countdown_owner = time.time(), owner
        while True:
            async with self:
                remaining = self._countdown_deadline - time.time()
            await asyncio.sleep(max(0.05, remaining - math.floor(remaining - 1e-3)))  # to the next whole second
            async with self:
                if self._countdown_owner != owner:  # stopped, or a newer countdown took over
                    return
                self.resend_seconds = max(0, math.ceil(self._countdown_deadline - time.time() - 1e-3))
                if self.resend_seconds == 0:
                    self._countdown_alive_at, self._countdown_owner = 0.0, ""
                    return
                self._countdown_alive_at = time.time()
