"""The resend cooldown shown by every code form; the server sets the seconds, the browser only counts down."""

from __future__ import annotations

import asyncio

import reflex as rx

from sms2fa_app.backend.otp import CodeSent, SendRefusal, SendRefused
from sms2fa_app.state import messages
from sms2fa_app.state.session import SessionState


class CooldownState(SessionState):
    """Seconds until "Resend code" is allowed, ticking down live; the server refuses early resends anyway."""

    resend_seconds: int = 0
    _ticking: bool = False

    def _start_cooldown(self, seconds: int):
        """Show the server's remaining wait and start the live countdown."""
        self.resend_seconds = max(0, int(seconds))
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
        """Tick the visible countdown once a second until it reaches zero."""
        async with self:
            if self._ticking:
                return
            self._ticking = True
        try:
            while True:
                await asyncio.sleep(1)
                async with self:
                    if self.resend_seconds <= 0:
                        break
                    self.resend_seconds -= 1
        finally:
            async with self:
                self._ticking = False
