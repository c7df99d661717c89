"""/dev/outbox: development-only list of the texts the app sent."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.layout import card
from sms2fa_app.state.dev_outbox import DevOutboxState


def dev_outbox_page() -> rx.Component:
    """Recipient, time and text of each development message."""
    return card(
        "Development outbox",
        rx.text(
            "Texts go here because no Plivo credentials are set. This page does not exist in production.", size="2"
        ),
        rx.button("Refresh", on_click=DevOutboxState.refresh, variant="soft"),
        rx.foreach(
            DevOutboxState.messages,
            lambda message: rx.card(
                rx.text(rx.text.strong(message["to"]), " · ", message["at"], size="2"),
                rx.text(message["text"]),
                width="100%",
            ),
        ),
        rx.cond(DevOutboxState.messages.length() == 0, rx.text("No messages yet.", color_scheme="gray")),
    )
