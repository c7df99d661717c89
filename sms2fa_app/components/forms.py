"""Form parts: labelled fields with their error, form-level errors, submit buttons."""

from __future__ import annotations

from typing import Any

import reflex as rx


def field_error(message: rx.Var[str] | str, field_id: str) -> rx.Component:
    """An error shown under its field and announced to screen readers."""
    return rx.cond(
        message != "",
        rx.text(message, id=f"{field_id}-error", color_scheme="red", size="2", role="alert"),
    )


def labeled_input(
    label: str,
    name: str,
    *,
    error: rx.Var[str] | str = "",
    type_: str = "text",
    autocomplete: str = "off",
    **props: Any,
) -> rx.Component:
    """A visible label bound to its input, with the input's error below it."""
    field_id = f"field-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font-weight": "500", "font-size": "14px"}),
        rx.input(
            id=field_id,
            name=name,
            type=type_,
            auto_complete=autocomplete,
            width="100%",
            size="3",
            **props,
        ),
        field_error(error, field_id),
        spacing="1",
        width="100%",
    )


def form_error(message: rx.Var[str] | str) -> rx.Component:
    """A message about the whole form, above its button."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )


def submit_button(label: str, loading: rx.Var[bool] | bool) -> rx.Component:
    """The form's main button, with a loading state that also blocks double submits."""
    return rx.button(label, type="submit", loading=loading, disabled=loading, size="3", width="100%")


def new_password_fields(
    state: Any,
    *,
    label: str = "Password",
    confirm_label: str = "Confirm password",
    password_error: rx.Var[str] | str = "",
    confirm_error: rx.Var[str] | str = "",
    rule: str = "",
) -> rx.Component:
    """A new password and its confirmation; `rule` (the length rule) shows under the field before anything is
    typed; what is typed is rated on the server (`state.rate_password`, debounced) and the strength hint shows
    under it. The password itself is never kept in a state."""
    password = labeled_input(
        label,
        "password",
        error=password_error,
        type_="password",
        autocomplete="new-password",
        on_change=state.rate_password.debounce(300),
    )
    return rx.vstack(
        rx.vstack(password, rx.text(rule, size="1", color_scheme="gray"), spacing="1", width="100%")
        if rule
        else password,
        rx.cond(
            state.password_hint != "",
            rx.text(state.password_hint, size="2", color_scheme="gray", aria_live="polite"),
        ),
        labeled_input(
            confirm_label, "confirm_password", error=confirm_error, type_="password", autocomplete="new-password"
        ),
        spacing="3",
        width="100%",
    )
