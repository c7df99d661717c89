"""The strength hint under every new-password field (sign-up, reset, change), as a state mixin."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.backend.identity.passwords import password_strength
from sms2fa_app.state import words
from sms2fa_app.state.guard import Access, Caller, guarded
from sms2fa_app.state.runner import run_backend


class PasswordHintState(rx.State, mixin=True):
    """`rate_password` rates what is typed (debounced by the page); only the hint comes back."""

    password_hint: str = ""
    hint_busy: bool = False

    @guarded(access=Access.ANYONE, busy="hint_busy", error="password_hint")
    async def rate_password(self, _caller: Caller, value: str) -> list:
        """Rate a new password as it is typed (zxcvbn; the server checks it again on submit)."""
        strength = await run_backend(password_strength, value)
        self.password_hint = words.login.password_strength(strength) if value else ""
        return []
