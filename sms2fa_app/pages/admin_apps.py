"""/admin/apps: the apps signing their users in through sms2fa (OpenID clients)."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.forms import said_callout
from sms2fa_app.components.language import t
from sms2fa_app.pages.admin_layout import admin_shell
from sms2fa_app.state.admin import AdminAppsState as S
from sms2fa_app.state.words import admin_pages as W

REGISTER_COMMAND = 'make oidc-client NAME=... REDIRECT_URIS="..."'


def _client_row(client: rx.Var) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(rx.text.strong(client["name"]), " · ", client["kind"], size="2"),
                rx.text(client["id"], size="1", font_family="monospace"),
                rx.text(client["uris"], size="1", color_scheme="gray"),
                rx.cond(client["disabled"] != "", rx.badge(t(W.DISABLED), color_scheme="red")),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                client["public"] == "",
                rx.button(t(W.NEW_SECRET), on_click=S.rotate_secret(client["id"]), variant="soft", size="1"),
            ),
            rx.cond(
                client["disabled"] != "",
                rx.button(t(W.ENABLE), on_click=S.set_disabled(client["id"], "enable"), variant="soft", size="1"),
                rx.button(
                    t(W.DISABLE),
                    on_click=S.set_disabled(client["id"], "disable"),
                    variant="soft",
                    color_scheme="red",
                    size="1",
                ),
            ),
            align="center",
            width="100%",
        ),
        width="100%",
    )


def admin_apps_page() -> rx.Component:
    """Every registered app; `make oidc-client` registers new ones."""
    return admin_shell(
        W.APPS_TITLE,
        S,
        said_callout(S.notice, S.notice_id, icon="info", color_scheme="green", id="admin-apps-notice"),
        said_callout(S.error, S.error_id, icon="triangle_alert", color_scheme="red", role="alert"),
        rx.cond(
            S.new_secret != "",
            rx.code(S.new_secret, id="admin-new-secret", size="3"),
        ),
        rx.foreach(S.clients, _client_row),
        rx.text(t(W.REGISTER_APP_WITH, command=REGISTER_COMMAND), size="2", color_scheme="gray"),
    )
