"""The page for an address the app does not have."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.language import t
from sms2fa_app.components.layout import card
from sms2fa_app.state import words


def not_found_page() -> rx.Component:
    """Says so plainly and leads home."""
    return card(
        words.pages.PAGE_NOT_FOUND,
        rx.text(t(words.pages.NO_PAGE_HERE), size="2"),
        rx.link(t(words.pages.GO_HOME), href="/", underline="always", size="3"),
    )
