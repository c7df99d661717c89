"""Ask first: a button that, pressed, turns into a warning with its two answers (go ahead, or not)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.components.language import shown


def ask_first(
    asking: rx.Var[bool],
    trigger: rx.Component,
    warning: rx.Var[str] | str,
    confirm: rx.Component,
    cancel: rx.Component,
    **callout: Any,
) -> rx.Component:
    """`trigger` until `asking`; then `warning` with `confirm` and `cancel` side by side, announced as an alert
    (`callout`: more props of the warning's callout, e.g. color_scheme)."""
    return rx.cond(
        asking,
        rx.callout(
            rx.vstack(rx.text(shown(warning)), rx.hstack(confirm, cancel, spacing="3"), spacing="3"),
            icon="triangle_alert",
            role="alert",
            width="100%",
            **callout,
        ),
        trigger,
    )
