"""The admin console's frame: wider than the user pages (charts), with its own navigation and the refusal shown
to anyone who may not use it."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.forms import said_callout
from sms2fa_app.components.language import document_language, language_picker, shown, t
from sms2fa_app.components.session_cookie import session_cookie
from sms2fa_app.state import words
from sms2fa_app.state.admin import AdminState
from sms2fa_app.state.words.catalogue import Text


def admin_shell(title: str | Text, state: type[AdminState], *children: rx.Component) -> rx.Component:
    """A titled admin page; its content shows only to an admitted admin, the refusal to anyone else."""
    return rx.box(
        session_cookie(),
        document_language(),
        rx.el.header(
            rx.hstack(
                rx.link(rx.heading(t(words.admin_pages.CONSOLE_NAME), size="4"), href="/admin", underline="none"),
                rx.link(t(words.pages.ADMIN_ACCOUNTS), href="/admin", size="2"),
                rx.link(t(words.pages.ADMIN_SMS_OPERATIONS), href="/admin/sms", size="2"),
                rx.link(t(words.pages.ADMIN_APPS), href="/admin/apps", size="2"),
                rx.spacer(),
                rx.link(t(words.pages.BACK_TO_THE_APP), href="/dashboard", size="2"),
                language_picker(),
                rx.color_mode.button(aria_label=t(words.pages.TOGGLE_DARK_MODE)),
                spacing="4",
                wrap="wrap",  # a phone: the links go to a second line rather than off the screen
                width="100%",
                padding="12px 16px",
                align="center",
            ),
        ),
        rx.el.main(
            rx.vstack(
                rx.heading(shown(title), size="6", as_="h1"),
                said_callout(
                    state.refusal,
                    state.refusal_id,
                    icon="shield_alert",
                    color_scheme="red",
                    role="alert",
                    id="admin-refusal",
                ),
                rx.cond(state.admitted, rx.vstack(*children, spacing="5", width="100%")),
                spacing="4",
                width="100%",
                max_width="1100px",
                margin="0 auto",
                padding="16px",
            ),
        ),
        min_height="100vh",
        width="100%",
    )
