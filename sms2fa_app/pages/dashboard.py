"""The signed-in home page."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.language import shown, t, t_around
from sms2fa_app.components.layout import card
from sms2fa_app.state import words
from sms2fa_app.state.dashboard import DashboardState
from sms2fa_app.state.words.catalogue import Text

_WHOLE_ADDRESS = {
    "white-space": "nowrap",
    "display": "inline-block",
    "max-width": "100%",
    "overflow": "hidden",
    "text-overflow": "ellipsis",
    "vertical-align": "bottom",
}


def _recovery_banner() -> rx.Component:
    """After a sign-in with a recovery code: how many are left, and a way to make new ones."""
    return rx.cond(
        DashboardState.recovery_banner != "",
        rx.callout(
            rx.text(
                DashboardState.recovery_banner, " ", rx.link(t(words.pages.MAKE_NEW_RECOVERY_CODES), href="/settings")
            ),
            icon="info",
            color_scheme="orange",
            role="status",
            width="100%",
        ),
    )


def _pending_reset_banner() -> rx.Component:
    """While an administrator's reset of this account's 2FA waits: what will happen, and Cancel."""
    return rx.fragment(
        rx.cond(
            DashboardState.pending_reset != "",
            rx.callout(
                rx.vstack(
                    rx.text(DashboardState.pending_reset),
                    rx.button(
                        t(words.pages.CANCEL_THE_RESET),
                        on_click=DashboardState.cancel_pending_reset,
                        loading=DashboardState.busy,
                        color_scheme="red",
                        size="2",
                    ),
                    spacing="2",
                ),
                icon="triangle_alert",
                color_scheme="red",
                role="alert",
                width="100%",
                data_testid="pending-reset",
            ),
        ),
        rx.cond(DashboardState.reset_notice != "", rx.text(DashboardState.reset_notice, role="status", size="2")),
        rx.cond(DashboardState.error != "", rx.text(DashboardState.error, role="alert", color_scheme="red", size="2")),
    )


def _status(badge: Text, color: str, heading: Text, said: rx.Var[str] | Text, link: rx.Component) -> rx.Component:
    """One state of the security card: a badge and heading, a line, a link to settings."""
    return rx.vstack(
        rx.hstack(rx.badge(t(badge), color_scheme=color), rx.heading(t(heading), size="3", as_="h2"), align="center"),
        rx.text(shown(said), size="2"),
        link,
        spacing="2",
    )


def _security_card() -> rx.Component:
    """The account's two-factor status: a prompt to turn it on, or the methods that are on."""
    return rx.card(
        rx.cond(
            DashboardState.two_factor_enabled,
            _status(
                words.pages.ON,
                "green",
                words.settings.TWO_FACTOR_ON_CARD,
                DashboardState.methods_on,
                rx.link(t(words.pages.MANAGE_TWO_FACTOR), href="/settings", size="2"),
            ),
            _status(
                words.pages.OFF,
                "orange",
                words.settings.TWO_FACTOR_OFF_CARD,
                words.settings.TWO_FACTOR_OFF_PROMPT,
                rx.link(t(words.pages.TURN_ON_TWO_FACTOR), href="/settings", weight="bold", underline="always"),
            ),
        ),
        width="100%",
        data_testid="security-card",
    )


def dashboard_page() -> rx.Component:
    """Shows who is signed in and how the account is protected; drawn only after the server-side guard passed."""
    return card(
        words.pages.DASHBOARD,
        rx.cond(
            DashboardState.signed_in_email != "",
            rx.vstack(
                _pending_reset_banner(),
                _recovery_banner(),
                rx.cond(
                    DashboardState.return_notice != "",
                    rx.callout(DashboardState.return_notice, icon="info", role="status", data_testid="return-notice"),
                ),
                rx.text(
                    t_around(
                        words.pages.SIGNED_IN_AS,
                        "email",
                        rx.text.strong(  # never broken at a hyphen: the address stays whole, cut with … when too long
                            DashboardState.signed_in_email,
                            title=DashboardState.signed_in_email,
                            style=_WHOLE_ADDRESS,
                            data_testid="signed-in-email",
                        ),
                    ),
                ),
                _security_card(),
                rx.link(t(words.pages.SECURITY_SETTINGS), href="/settings"),
                rx.cond(
                    DashboardState.is_admin,
                    rx.link(t(words.pages.ADMIN_CONSOLE), href="/admin", data_testid="admin-link"),
                ),
                rx.button(t(words.pages.LOG_OUT), on_click=DashboardState.log_out, variant="soft", size="3"),
                spacing="3",
                width="100%",
            ),
            rx.spinner(),
        ),
    )
