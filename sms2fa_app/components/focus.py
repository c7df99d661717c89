"""Where keyboard focus goes when part of a page is replaced: compiled browser calls (browser_calls.py), no eval.

A control that disappears under the focus (a factor switch, a button that starts a cooldown) would leave it on
<body>; these move it to the new input or heading instead.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex_base.event import EventSpec
from reflex_base.vars.base import Var

from sms2fa_app.components.browser_calls import run_in_browser

_FOCUS = "const target = document.getElementById(%s); if (target) { target.focus(); }"


def focus_element(element_id: str | Var[str]) -> EventSpec:
    """An event that focuses the element with this id (nothing if the page has none)."""
    if isinstance(element_id, Var):
        return run_in_browser(_FOCUS % element_id._js_expr, uses=element_id)
    return run_in_browser(_FOCUS % json.dumps(element_id))


def focus_on_mount(element_id: str | Var[str]) -> rx.Component:
    """Invisible: focuses the element when it mounts. It runs after the page's own autofocus, so it wins over it."""
    return rx.box(on_mount=focus_element(element_id), display="none")
