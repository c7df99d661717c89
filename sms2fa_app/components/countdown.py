"""Waits counted down in the browser: the server sends a deadline once, these tick with no server event.

`deadline` is epoch milliseconds on the server's clock (0 = no wait); `max_seconds` caps what is shown, so a
browser whose clock runs behind never shows a longer wait than the server imposes. `waiting` is the text
while the wait runs, with `{seconds}` (57) or `{clock}` (0:57) filled in; `ready` is the text after it. The
server refuses early requests whatever the browser shows. Reusable for every wait: resend cooldowns, lockouts,
throttles.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.components.language import shown

_LIBRARY = rx.asset("countdown.js", shared=True).importable_path


class Countdown(rx.Component):
    """`waiting` with the seconds left, then `ready` (a span with role=timer)."""

    library = _LIBRARY
    tag = "Countdown"

    deadline: rx.Var[int]
    max_seconds: rx.Var[int]
    waiting: rx.Var[str]
    ready: rx.Var[str]


class CountdownButton(rx.Component):
    """A Radix button, disabled and labelled `waiting` while the wait runs (or while `busy`), then `ready`."""

    library = _LIBRARY
    tag = "CountdownButton"

    deadline: rx.Var[int]
    max_seconds: rx.Var[int]
    waiting: rx.Var[str]
    ready: rx.Var[str]
    busy: rx.Var[bool]
    type: rx.Var[str]
    variant: rx.Var[str]
    size: rx.Var[str]
    form_no_validate: rx.Var[bool]  # a submit button: only the app's messages, never the browser's own
    auto_focus: rx.Var[bool]

    on_click: rx.EventHandler[rx.event.no_args_event_spec]


def countdown(deadline: rx.Var[int] | int, *, waiting: str, ready: str = "", max_seconds: int = 0) -> rx.Component:
    """Text that counts down to `deadline` (see the module doc)."""
    return Countdown.create(deadline=deadline, max_seconds=max_seconds, waiting=shown(waiting), ready=shown(ready))


def countdown_button(
    deadline: rx.Var[int] | int,
    on_click: Any | None,
    *,
    waiting: str,
    ready: str,
    max_seconds: int = 0,
    busy: rx.Var[bool] | bool = False,
    **props: Any,
) -> rx.Component:
    """A button enabled once `deadline` passed (see the module doc)."""
    if on_click is not None:  # None: a form's submit button
        props["on_click"] = on_click
    return CountdownButton.create(
        deadline=deadline, max_seconds=max_seconds, waiting=shown(waiting), ready=shown(ready), busy=busy, **props
    )
