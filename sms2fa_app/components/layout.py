"""The card layout every page is drawn in."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.brand import logo_link
from sms2fa_app.components.language import document_language, language_picker, shown, t
from sms2fa_app.components.session_cookie import session_cookie
from sms2fa_app.state import words
from sms2fa_app.state.errors import AppErrorState
from sms2fa_app.state.words.catalogue import Text

NARROW = "440px"  # one card: a form or a step
WIDE = "960px"  # a page of sections (settings) with their index beside them


def page_shell(*children: rx.Component, max_width: str | rx.Var[str] = NARROW) -> rx.Component:
    """Centers content on small and large screens, with a color-mode toggle; the header and the main
    landmark let assistive technology jump to the page's content."""
    return rx.box(
        session_cookie(),
        document_language(),
        rx.el.header(
            rx.hstack(
                logo_link(),
                rx.spacer(),
                language_picker(),
                rx.color_mode.button(aria_label=t(words.pages.TOGGLE_DARK_MODE)),
                width="100%",
                padding="12px 16px",
                align="center",
            ),
        ),
        rx.el.main(
            rx.center(
                rx.box(
                    rx.cond(
                        AppErrorState.message != "",
                        rx.callout(
                            rx.hstack(
                                rx.text(AppErrorState.message),
                                rx.spacer(),
                                rx.button(
                                    t(words.pages.DISMISS), on_click=AppErrorState.dismiss, variant="ghost", size="1"
                                ),
                                width="100%",
                            ),
                            color_scheme="red",
                            role="alert",
                            margin_bottom="12px",
                        ),
                    ),
                    *children,
                    width="100%",
                    max_width=max_width,
                ),
                padding="16px",
                width="100%",
            ),
        ),
        min_height="100vh",
        width="100%",
    )


def card(title: str | Text, *children: rx.Component, subtitle: rx.Component | str | None = None) -> rx.Component:
    """A titled card inside the page shell (a catalogue entry as title is said in the tab's language)."""
    header = [rx.heading(shown(title), size="6", as_="h1")]
    if subtitle is not None:
        header.append(
            rx.text(shown(subtitle), color_scheme="gray", size="2") if isinstance(subtitle, str) else subtitle
        )
    return page_shell(rx.card(rx.vstack(*header, *children, spacing="4", width="100%"), size="3", width="100%"))
