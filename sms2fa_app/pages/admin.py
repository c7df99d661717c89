"""/admin: accounts — search by email, one account's state, and the admin's actions on it."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.forms import form_error, said_callout
from sms2fa_app.components.language import t, t_around
from sms2fa_app.pages.admin_layout import admin_shell
from sms2fa_app.state import words
from sms2fa_app.state.admin import AdminUsersState as S
from sms2fa_app.state.words import admin_pages as W
from sms2fa_app.state.words.catalogue import Text


def _search() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.label(t(W.EMAIL_CONTAINS), html_for="admin-query", style={"font-weight": "500"}),
            rx.input(id="admin-query", name="query", max_length=254, width="320px", auto_complete="off"),
            rx.button(t(W.SEARCH), type="submit", loading=S.busy),
            align="center",
            spacing="3",
        ),
        on_submit=S.search,
    )


def _result(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["email"]),
        rx.table.cell(rx.cond(row["two_factor"] == "on", t(W.TWO_FACTOR_ON), t(W.TWO_FACTOR_OFF))),
        rx.table.cell(rx.button(t(W.OPEN), size="1", variant="soft", on_click=S.choose(row["id"]))),
    )


def _results() -> rx.Component:
    return rx.cond(
        S.results.length() > 0,
        rx.table.root(rx.table.body(rx.foreach(S.results, _result)), width="100%", id="admin-results"),
        rx.cond(S.searched, rx.text(t(words.admin.ADMIN_SEARCH_EMPTY), color_scheme="gray")),
    )


def _entries(title: Text, entries: rx.Var, empty: Text) -> rx.Component:
    return rx.vstack(
        rx.heading(t(title), size="3", as_="h3"),
        rx.foreach(
            entries,
            lambda entry: rx.text(entry["what"], " · ", entry["when"], size="2"),
        ),
        rx.cond(entries.length() == 0, rx.text(t(empty), size="2", color_scheme="gray")),
        spacing="1",
    )


def _reset_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t(W.RESET_TWO_FACTOR), size="3", as_="h3"),
            rx.text(t(W.RESET_ONLY_AFTER_CHECK), size="2"),
            rx.el.label(t(W.HOW_YOU_VERIFIED), html_for="admin-check", style={"font-weight": "500"}),
            rx.el.select(
                rx.el.option(t(W.CHOOSE), value=""),
                rx.foreach(S.check_options, lambda option: rx.el.option(option[1], value=option[0])),
                id="admin-check",
                name="check",
            ),
            rx.el.label(t(W.WHAT_YOU_CHECKED), html_for="admin-note", style={"font-weight": "500"}),
            rx.input(id="admin-note", name="note", max_length=120, width="100%", auto_complete="off"),
            rx.el.label(  # Radix draws the box as a button, which a wrapping <label> does not name
                rx.checkbox(name="confirmed", id="admin-confirmed", aria_labelledby="admin-confirmed-label"),
                rx.el.span(t(W.I_VERIFIED), id="admin-confirmed-label"),
                style={"display": "flex", "gap": "8px", "align-items": "center"},
            ),
            rx.button(t(W.SCHEDULE_RESET), type="submit", color_scheme="red", loading=S.busy),
            spacing="2",
            width="100%",
        ),
        on_submit=S.schedule_reset,
        reset_on_submit=True,
    )


def _on_or_off(state: rx.Var) -> rx.Var[str]:
    return rx.cond(state == "on", t(words.pages.ON), t(words.pages.OFF))


def _account() -> rx.Component:
    user = S.user
    return rx.card(
        rx.vstack(
            rx.heading(user["email"], size="4", as_="h2", id="admin-account"),
            rx.text(
                t_around(W.TWO_FACTOR_IS, "state", rx.text.strong(_on_or_off(user["two_factor"]))),
                id="admin-2fa",
                custom_attrs={"data-state": user["two_factor"]},
            ),
            rx.text(t(W.FACTORS, factors=user["factors"]), id="admin-factors"),
            rx.text(t(W.LIVE_SESSIONS, count=user["sessions"])),
            rx.cond(user["locked"] != "", rx.text(t(W.CODES_LOCKED_FOR, wait=user["locked"]), color_scheme="red")),
            rx.cond(
                S.pending_reset != "",
                rx.callout(
                    rx.text(t(W.RESET_TAKES_EFFECT, due=S.pending_reset)),
                    color_scheme="amber",
                    id="admin-pending-reset",
                ),
            ),
            rx.hstack(
                rx.button(t(W.END_ALL_SESSIONS), on_click=S.end_sessions, variant="outline", loading=S.busy),
                rx.button(t(W.CLEAR_LOCKOUT), on_click=S.clear_lockout, variant="outline", loading=S.busy),
                rx.cond(
                    S.pending_reset != "",
                    rx.button(
                        t(words.pages.CANCEL_THE_RESET), on_click=S.cancel_reset, variant="outline", loading=S.busy
                    ),
                ),
                spacing="3",
            ),
            rx.cond((user["two_factor"] == "on") & (S.pending_reset == ""), _reset_form()),
            rx.grid(
                _entries(W.LAST_SIGN_INS, S.sign_ins, W.NO_SIGN_IN),
                _entries(W.LOCKOUTS, S.lockouts, W.NO_LOCKOUT),
                _entries(W.ADMIN_ACTIONS, S.audit, W.NONE),
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
        words.pages.ADMIN_ACCOUNTS,
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
