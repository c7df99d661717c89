"""The one-time-code input, the countdown resend button and the phone field, shared by every page."""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.components.countdown import countdown_button
from sms2fa_app.components.forms import labeled_input


def otp_input(error: rx.Var[str] | str = "") -> rx.Component:
    """'Verification code': numeric keyboard, one-time-code autofill, focused."""
    return labeled_input(
        "Verification code",
        "code",
        error=error,
        autocomplete="one-time-code",
        input_mode="numeric",
        pattern=r"[0-9 \-]*",
        max_length=9,
        placeholder="123456",
        auto_focus=True,
        style={"letter-spacing": "0.3em", "font-variant-numeric": "tabular-nums"},
    )


def resend_button(
    deadline: rx.Var[int], on_click: Any, loading: rx.Var[bool] | bool = False, *, max_seconds: int = 0
) -> rx.Component:
    """'Resend code', disabled with the seconds left until the server's deadline (counted in the browser)."""
    return countdown_button(
        deadline,
        on_click,
        waiting="Resend code in {seconds}s",
        ready="Resend code",
        max_seconds=max_seconds,
        busy=loading,
        type="button",
        variant="soft",
        size="3",
        width="100%",
    )


def phone_field(
    value: rx.Var[str], on_change: Any, preview: rx.Var[str], error: rx.Var[str] | str = ""
) -> rx.Component:
    """'Phone number' in any common format, with the E.164 form the server understood."""
    return rx.vstack(
        labeled_input(
            "Phone number",
            "phone",
            error=error,
            type_="tel",
            autocomplete="tel",
            placeholder="+1 415 555 2671",
            value=value,
            on_change=on_change.debounce(250),
            auto_focus=True,
        ),
        rx.cond(preview != "", rx.text("We'll text ", rx.code(preview), size="2", color_scheme="gray")),
        spacing="1",
        width="100%",
    )
