"""Where keyboard focus goes when part of a page is replaced: compiled browser calls (browser_calls.py), no eval.

A control that disappears under the focus (a factor switch, a button that starts a cooldown) would leave it on
<body>; these move it to the new input or heading instead.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.components.browser_calls import run_in_browser
from sms2fa_app.components.language import shown

_FOCUS = "const target = document.getElementById(%s); if (target) { target.focus(); }"


def focus_element(element_id: str | rx.Var[str]) -> rx.event.EventSpec:
    """An event that focuses the element with this id (nothing if the page has none)."""
    if isinstance(element_id, rx.Var):
        return run_in_browser(_FOCUS % internals.js_expression(element_id), uses=element_id)
    return run_in_browser(_FOCUS % json.dumps(element_id))


def focus_on_mount(element_id: str | rx.Var[str], key: str | rx.Var[str] | None = None) -> rx.Component:
    """Invisible: focuses the element when it mounts. It runs after the page's own autofocus, so it wins over it.
    A new `key` mounts it again (React keeps an element of the same type in the same place otherwise)."""
    return rx.box(on_mount=focus_element(element_id), display="none", **({"key": key} if key is not None else {}))


def focused_heading(text: Any, heading_id: str, *, as_: str = "h2", size: str = "4") -> rx.Component:
    """A step's heading that takes the focus when the step appears: a step without a field to start on would
    leave it on <body>; tabindex -1 makes the heading focusable by script only."""
    text = shown(text)
    return rx.fragment(
        rx.heading(text, size=size, as_=as_, id=heading_id, tab_index=-1),
        focus_on_mount(heading_id, key=text),  # a step with another heading in the same place focuses it too
    )
