"""A page of sections (settings): each section a card under its own heading, in one column on a phone, with an
index of the sections beside them at desktop width (the same order either way)."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.language import shown
from sms2fa_app.state import words
from sms2fa_app.state.words.catalogue import Text

# Reflex's breakpoints: initial, sm (30em), md (48em = 768 px), ... The index shows from md on.
INDEX_DISPLAY = ["none", "none", "block"]
INDEX_LABEL = words.pages.SETTINGS_SECTIONS


def section_card(title: str | Text, section_id: str, *children: rx.Component, danger: bool = False) -> rx.Component:
    """One section: a card whose h2 is the index's target (scroll margin keeps it clear of the page's top)."""
    return rx.card(
        rx.vstack(
            rx.heading(shown(title), size="4", as_="h2", color_scheme="red" if danger else None),
            *children,
            spacing="3",
            width="100%",
        ),
        id=section_id,
        size="3",
        width="100%",
        style={"scroll-margin-top": "16px", **({"box-shadow": "inset 0 0 0 1px var(--red-a7)"} if danger else {})},
        data_testid="settings-section",
    )


def section_index(sections: list[tuple[str, str]]) -> rx.Component:
    """Links to each section (title, id), sticky beside them; hidden below md, where the cards follow each other."""
    return rx.el.nav(
        rx.el.ul(
            *[
                rx.el.li(rx.link(shown(title), href=f"#{section_id}", size="2", display="block", padding_y="6px"))
                for title, section_id in sections
            ],
            style={"list-style": "none", "padding": "0", "margin": "0"},
        ),
        aria_label=shown(INDEX_LABEL),
        display=INDEX_DISPLAY,
        position="sticky",
        top="16px",
        min_width="180px",
        data_testid="section-index",
    )


def sections(
    title: str | Text, index: list[tuple[Text, str]], *cards: rx.Component, footer: rx.Component
) -> rx.Component:
    """The page's h1, then the index and the cards side by side (the cards alone on a phone); inside a page_shell
    as wide as WIDE."""
    return rx.vstack(
        rx.heading(shown(title), size="6", as_="h1"),
        rx.flex(
            section_index(index),
            rx.vstack(*cards, spacing="4", width="100%", min_width="0"),
            gap="24px",
            align="start",
            width="100%",
        ),
        footer,
        spacing="4",
        width="100%",
    )
