"""The second-factor challenge page (placeholder until the OTP UI lands)."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.layout import card
from sms2fa_app.state.session import SessionState


def challenge_page() -> rx.Component:
    """Asks for the second factor."""
    return card(
        "Two-factor authentication",
        rx.text("Your account uses two-factor authentication."),
        rx.button("Log out", on_click=SessionState.log_out, variant="soft"),
    )
