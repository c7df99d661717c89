"""/cancel-2fa-reset: the user's link to cancel an admin's pending reset of their 2FA."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.layout import card
from sms2fa_app.state.admin import CancelResetState as S


def cancel_reset_page() -> rx.Component:
    """One button; opening the page changes nothing."""
    return card(
        "Cancel the reset",
        rx.cond(
            S.done,
            rx.callout(
                S.message,
                color_scheme=rx.cond(S.cancelled, "green", "red"),
                role="status",
                id="cancel-result",
                custom_attrs={"data-message-id": S.message_id},
            ),
            rx.vstack(
                rx.text(
                    "An administrator scheduled a reset of two-factor authentication on your account. If you didn't "
                    "ask for it, cancel it: nothing will change.",
                    size="2",
                ),
                rx.button("Cancel the reset", on_click=S.cancel, loading=S.busy, size="3", width="100%"),
                rx.cond(S.message != "", rx.text(S.message, color_scheme="red", role="alert")),
                spacing="3",
            ),
        ),
        rx.link("Log in", href="/login", size="2"),
    )
