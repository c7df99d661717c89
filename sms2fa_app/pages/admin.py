"""/admin: accounts — search by email, one account's state, and the admin's actions on it."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.forms import form_error, said_callout
from sms2fa_app.pages.admin_layout import admin_shell
from sms2fa_app.state.admin import AdminUsersState as S


def _search() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.label("Email contains", html_for="admin-query", style={"font-weight": "500"}),
            rx.input(id="admin-query", name="query", max_length=254, width="320px", auto_complete="off"),
            rx.button("Search", type="submit", loading=S.busy),
            align="center",
            spacing="3",
        ),
        on_submit=S.search,
    )


def _result(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["email"]),
        rx.table.cell("2FA ", row["two_factor"]),
        rx.table.cell(rx.button("Open", size="1", variant="soft", on_click=S.choose(row["id"]))),
    )


def _results() -> rx.Component:
    return rx.cond(
        S.results.length() > 0,
        rx.table.root(rx.table.body(rx.foreach(S.results, _result)), width="100%", id="admin-results"),
        rx.cond(S.searched, rx.text("No account matches.", color_scheme="gray")),
    )


def _entries(title: str, entries: rx.Var, empty: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="3", as_="h3"),
        rx.foreach(
            entries,
            lambda entry: rx.text(entry["what"], " · ", entry["when"], size="2"),
        ),
        rx.cond(entries.length() == 0, rx.text(empty, size="2", color_scheme="gray")),
        spacing="1",
    )


def _reset_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Reset two-factor authentication", size="3", as_="h3"),
            rx.text(
                "Only after you have verified the person's identity. The reset takes effect after a waiting period; "
                "the user is mailed and texted a link to cancel it.",
                size="2",
            ),
            rx.el.label("How you verified their identity", html_for="admin-check", style={"font-weight": "500"}),
            rx.el.select(
                rx.el.option("Choose…", value=""),
                rx.foreach(S.check_options, lambda option: rx.el.option(option[1], value=option[0])),
                id="admin-check",
                name="check",
            ),
            rx.el.label("What you checked (10 to 120 characters)", html_for="admin-note", style={"font-weight": "500"}),
            rx.input(id="admin-note", name="note", max_length=120, width="100%", auto_complete="off"),
            rx.el.label(  # Radix draws the box as a button, which a wrapping <label> does not name
                rx.checkbox(name="confirmed", id="admin-confirmed", aria_labelledby="admin-confirmed-label"),
                rx.el.span("I verified this person's identity as described above.", id="admin-confirmed-label"),
                style={"display": "flex", "gap": "8px", "align-items": "center"},
            ),
            rx.button("Schedule reset", type="submit", color_scheme="red", loading=S.busy),
            spacing="2",
            width="100%",
        ),
        on_submit=S.schedule_reset,
        reset_on_submit=True,
    )


def _account() -> rx.Component:
    user = S.user
    return rx.card(
        rx.vstack(
            rx.heading(user["email"], size="4", as_="h2", id="admin-account"),
            rx.text("Two-factor authentication: ", rx.text.strong(user["two_factor"]), id="admin-2fa"),
            rx.text("Factors: ", user["factors"], id="admin-factors"),
            rx.text("Live sessions: ", user["sessions"]),
            rx.cond(user["locked"] != "", rx.text("Codes locked for ", user["locked"], color_scheme="red")),
            rx.cond(
                S.pending_reset != "",
                rx.callout(
                    rx.text("A reset of two-factor authentication takes effect on ", S.pending_reset, "."),
                    color_scheme="amber",
                    id="admin-pending-reset",
                ),
            ),
            rx.hstack(
                rx.button("End all sessions", on_click=S.end_sessions, variant="outline", loading=S.busy),
                rx.button("Clear lockout", on_click=S.clear_lockout, variant="outline", loading=S.busy),
                rx.cond(
                    S.pending_reset != "",
                    rx.button("Cancel the reset", on_click=S.cancel_reset, variant="outline", loading=S.busy),
                ),
                spacing="3",
            ),
            rx.cond((user["two_factor"] == "on") & (S.pending_reset == ""), _reset_form()),
            rx.grid(
                _entries("Last sign-ins", S.sign_ins, "No sign-in in the last 90 days."),
                _entries("Lockouts", S.lockouts, "No lockout in the last 90 days."),
                _entries("Admin actions", S.audit, "None."),
                columns="3",
                spacing="4",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def admin_page() -> rx.Component:
    """Accounts: search, one account, actions."""
    return admin_shell(
        "Accounts",
        S,
        _search(),
        said_callout(
            S.notice,
            S.notice_id,
            icon="check",
            color_scheme="green",
            high_contrast=True,
            role="status",
            id="admin-notice",
        ),
        form_error(S.error, S.error_id),
        _results(),
        rx.cond(S.user.length() > 0, _account()),
    )
