"""/activity: the security activity of the last 90 days."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.layout import card
from sms2fa_app.state.activity import ActivityState


def _entry(entry: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(rx.text.strong(entry["what"]), size="2"),
        rx.text(entry["when"], " · ", entry["browser"], " · ", entry["network"], size="1", color_scheme="gray"),
        role="listitem",
        padding_y="6px",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
    )


def activity_page() -> rx.Component:
    """Sign-ins, failed second-factor attempts, lockouts and account changes, newest first."""
    return card(
        "Security activity",
        rx.text("The last 90 days: sign-ins, wrong codes, lockouts and changes to your account.", size="2"),
        rx.box(rx.foreach(ActivityState.entries, _entry), role="list", width="100%"),
        rx.cond(ActivityState.entries.length() == 0, rx.text("Nothing yet.", color_scheme="gray")),
        rx.link("Back to settings", href="/settings", size="2"),
    )
