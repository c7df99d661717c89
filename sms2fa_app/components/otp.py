"""The one-time-code input, the countdown resend button and the phone field, shared by every page."""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.components.forms import field_error


def otp_input(error: rx.Var[str] | str = "") -> rx.Component:
    """'Verification code': numeric keyboard, one-time-code autofill, focused."""
    return rx.vstack(
        rx.el.label("Verification code", html_for="field-code", style={"font-weight": "500", "font-size": "14px"}),
        rx.input(
            id="field-code",
            name="code",
            type="text",
            auto_complete="one-time-code",
            input_mode="numeric",
            pattern=r"[0-9 \-]*",
            max_length=9,
            placeholder="123456",
            auto_focus=True,
            size="3",
            width="100%",
            style={"letter-spacing": "0.3em", "font-variant-numeric": "tabular-nums"},
        ),
        field_error(error, "field-code"),
        spacing="1",
        width="100%",
    )


def resend_button(seconds: rx.Var[int], on_click: Any, loading: rx.Var[bool] | bool = False) -> rx.Component:
    """'Resend code', disabled with the seconds left while the server's cooldown runs."""
    return rx.button(
        rx.cond(seconds > 0, "Resend code in " + seconds.to_string() + "s", "Resend code"),
        type="button",
        variant="soft",
        size="3",
        width="100%",
        on_click=on_click,
        disabled=(seconds > 0) | loading,
        loading=loading,
    )


def phone_field(
    value: rx.Var[str], on_change: Any, preview: rx.Var[str], error: rx.Var[str] | str = ""
) -> rx.Component:
    """'Phone number' in any common format, with the E.164 form the server understood."""
    return rx.vstack(
        rx.el.label("Phone number", html_for="field-phone", style={"font-weight": "500", "font-size": "14px"}),
        rx.input(
            id="field-phone",
            name="phone",
            type="tel",
            auto_complete="tel",
            placeholder="+1 415 555 2671",
            value=value,
            on_change=on_change.debounce(250),
            auto_focus=True,
            size="3",
            width="100%",
        ),
        rx.cond(
            preview != "",
            rx.text("We'll text ", rx.code(preview), size="2", color_scheme="gray"),
        ),
        field_error(error, "field-phone"),
        spacing="1",
        width="100%",
    )
