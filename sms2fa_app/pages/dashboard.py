"""The signed-in home page."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.layout import card
from sms2fa_app.state.session import SessionState


def dashboard_page() -> rx.Component:
    """Shows who is signed in; drawn only after the server-side guard passed."""
    return card(
        "Dashboard",
        rx.cond(
            SessionState.signed_in_email != "",
            rx.vstack(
                rx.text("Signed in as ", rx.text.strong(SessionState.signed_in_email)),
                rx.link("Security settings", href="/settings"),
                rx.button("Log out", on_click=SessionState.log_out, variant="soft", size="3"),
                spacing="3",
                width="100%",
            ),
            rx.spinner(),
        ),
    )
