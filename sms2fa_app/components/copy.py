"""Copy buttons with spoken feedback, and fields that select their text on focus (compiled calls, no eval)."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.components.browser_calls import run_in_browser
from sms2fa_app.state.words.common import CLIPBOARD_FAILED, CLIPBOARD_WRITTEN

_SELECT_ON_FOCUS = "const field = document.activeElement; if (field && field.select) { field.select(); }"

# Resolves with CLIPBOARD_WRITTEN once the browser wrote the clipboard, else with CLIPBOARD_FAILED (no clipboard,
# permission refused, page not focused): never before the write is done.
_WRITE = """
const text = %(text)s;
if (!navigator.clipboard || typeof navigator.clipboard.writeText !== "function") {
  return Promise.resolve("%(failed)s");
}
return navigator.clipboard.writeText(text).then(() => "%(written)s", () => "%(failed)s");
"""


_FOCUS_AND_SELECT = "const field = document.getElementById(%s); if (field) { field.focus(); field.select(); }"


def select_on_focus() -> Any:
    """An on_focus event that selects the focused field's text."""
    return run_in_browser(_SELECT_ON_FOCUS)


def select_when_refused(message: rx.Var[str], field_id: str) -> rx.Component:
    """Invisible: for each new `message` (a refusal of what the field holds), focus the field and select its text,
    to be typed over, even when the focus never left it (Enter)."""
    select = run_in_browser(_FOCUS_AND_SELECT % json.dumps(field_id))
    return rx.cond(message != "", rx.box(key=message, on_mount=select, display="none"))


def copy_button(
    label: str | rx.Var[str], text: rx.Var[str], on_result: Any, said: rx.Var[str], *, failed: rx.Var[bool]
) -> rx.Component:
    """Copy `text` to the clipboard; once the write resolved, `on_result` gets CLIPBOARD_WRITTEN or
    CLIPBOARD_FAILED and the state says `said` from a live region that is always in the page (a region added with
    its text is not announced); red while `failed`."""
    body = _WRITE % {"text": internals.js_expression(text), "written": CLIPBOARD_WRITTEN, "failed": CLIPBOARD_FAILED}
    return rx.hstack(
        rx.button(label, on_click=run_in_browser(body, on_result, uses=text), variant="soft", type="button"),
        rx.text(said, aria_live="polite", role="status", size="2", color_scheme=rx.cond(failed, "red", "green")),
        align="center",
    )
