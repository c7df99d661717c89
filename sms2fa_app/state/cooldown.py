"""The resend cooldown shown by every code form; the server sets the seconds, the browser only counts down."""

from __future__ import annotations

import asyncio
import math
import time
import uuid

import reflex as rx

from sms2fa_app.backend.factors.sms_codes import CodeSent, SendRefusal, SendRefused
from sms2fa_app.state import messages
from sms2fa_app.state.session import SessionState


class CooldownState(SessionState):
    """Seconds until "Resend code" is allowed, ticking down live; the server refuses early resends anyway."""

    resend_seconds: int = 0
    _countdown_id: str = ""

    def _start_cooldown(self, seconds: int):
        """Show the server's remaining wait and start the live countdown (any older countdown stops)."""
        self.resend_seconds = max(0, int(seconds))
        self._countdown_id = uuid.uuid4().hex
        return CooldownState.count_down if self.resend_seconds > 0 else None

    def _after_send(self, result: CodeSent | SendRefused) -> tuple[str, object]:
        """(error message or "", countdown event) for the result of a send."""
        if isinstance(result, CodeSent):
            return "", self._start_cooldown(result.resend_after_seconds)
        countdown = None
        if result.reason is SendRefusal.COOLDOWN:
            countdown = self._start_cooldown(result.retry_after_seconds)
        return messages.send_refused(result), countdown

    @rx.event(background=True)
    async def count_down(self):
        """Show the seconds left until the deadline, once a second; only the newest countdown keeps going.

        Each tick recomputes from the deadline, so extra or restarted countdowns never speed it up."""
        async with self:
            countdown_id = self._countdown_id
            deadline = time.monotonic() + self.resend_seconds
        while True:
            remaining = deadline - time.monotonic()
            await asyncio.sleep(max(0.05, remaining - math.floor(remaining - 1e-3)))  # to the next whole second
            async with self:
                if self._countdown_id != countdown_id:
                    return
                self.resend_seconds = max(0, math.ceil(deadline - time.monotonic() - 1e-3))
                if self.resend_seconds == 0:
                    return
