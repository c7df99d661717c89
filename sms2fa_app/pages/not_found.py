"""The page for an address the app does not have."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.layout import card


def not_found_page() -> rx.Component:
    """Says so plainly and leads home."""
    return card(
        "Page not found",
        rx.text("There is no page at this address. It may have moved, or the link may be incomplete.", size="2"),
        rx.link("Go to the home page", href="/", underline="always", size="3"),
    )
