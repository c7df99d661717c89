"""/cancel-2fa-reset: the user's link to cancel an admin's pending reset of their 2FA."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.language import t
from sms2fa_app.components.layout import card
from sms2fa_app.state import words
from sms2fa_app.state.admin import CancelResetState as S


def cancel_reset_page() -> rx.Component:
    """One button; opening the page changes nothing."""
    return card(
        words.pages.CANCEL_THE_RESET,
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
                rx.text(t(words.admin_pages.CANCEL_RESET_INTRO), size="2"),
                rx.button(t(words.pages.CANCEL_THE_RESET), on_click=S.cancel, loading=S.busy, size="3", width="100%"),
                rx.cond(S.message != "", rx.text(S.message, color_scheme="red", role="alert")),
                spacing="3",
            ),
        ),
        rx.link(t(words.pages.LOG_IN), href="/login", size="2"),
    )
