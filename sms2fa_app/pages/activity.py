"""/activity: the security activity of the last 90 days, a page at a time, with a filter by kind."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.language import t
from sms2fa_app.components.layout import card
from sms2fa_app.state import words
from sms2fa_app.state.activity import ALL, ActivityState


def _entry(entry: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(
            rx.text.strong(entry["what"]),
            rx.cond(entry["repeated"] != "", rx.badge(entry["repeated"], color_scheme="gray", margin_left="8px")),
            size="2",
        ),
        rx.text(entry["when"], " · ", entry["browser"], " · ", entry["network"], size="1", color_scheme="gray"),
        role="listitem",
        padding_y="6px",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
        data_testid="activity-row",
    )


def _filter() -> rx.Component:
    """A native select (keyboard and screen readers know it), labelled."""
    return rx.hstack(
        rx.el.label(t(words.pages.SHOW), html_for="activity-kind", style={"font-size": "14px", "font-weight": "500"}),
        rx.el.select(
            rx.el.option(t(words.activity.ALL_KINDS), value=ALL),
            *[rx.el.option(t(label), value=kind) for kind, label in words.activity.CATEGORIES.items()],
            id="activity-kind",
            value=ActivityState.kind,
            on_change=ActivityState.show_kind,
            style={
                "min-height": "32px",
                "padding": "0 8px",
                "border-radius": "var(--radius-2)",
                "border": "1px solid var(--gray-a7)",
                "background": "var(--color-surface)",
                "color": "var(--gray-12)",
            },
        ),
        align="center",
        spacing="2",
    )


def _pager() -> rx.Component:
    """Newer and Older, with where we are; shown when there is more than one page."""
    return rx.cond(
        ActivityState.pages > 1,
        rx.hstack(
            rx.button(
                t(words.pages.NEWER),
                on_click=ActivityState.turn_page("newer"),
                disabled=ActivityState.page == 0,
                variant="soft",
            ),
            rx.text(
                t(
                    words.pages.PAGE_OF,
                    page=(ActivityState.page + 1).to_string(),
                    pages=ActivityState.pages.to_string(),
                ),
                size="2",
                data_testid="activity-page",
            ),
            rx.button(
                t(words.pages.OLDER),
                on_click=ActivityState.turn_page("older"),
                disabled=ActivityState.page >= ActivityState.pages - 1,
                variant="soft",
            ),
            align="center",
            justify="between",
            width="100%",
        ),
    )


def activity_page() -> rx.Component:
    """Sign-ins, failed second-factor attempts, lockouts and account changes, newest first."""
    return card(
        words.pages.SECURITY_ACTIVITY,
        rx.text(t(words.pages.ACTIVITY_INTRO), size="2"),
        _filter(),
        rx.box(rx.foreach(ActivityState.entries, _entry), role="list", width="100%"),
        rx.cond(ActivityState.entries.length() == 0, rx.text(t(words.pages.NOTHING_YET), color_scheme="gray")),
        _pager(),
        rx.link(t(words.pages.BACK_TO_SETTINGS), href="/settings", size="2"),
    )
