"""Copy buttons with spoken feedback, and fields that select their text on focus (compiled calls, no eval)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.components.browser_calls import run_in_browser

_SELECT_ON_FOCUS = "const field = document.activeElement; if (field && field.select) { field.select(); }"


def select_on_focus() -> Any:
    """An on_focus event that selects the focused field's text."""
    return run_in_browser(_SELECT_ON_FOCUS)


def copy_button(label: str, text: rx.Var[str], on_copied: Any, copied: rx.Var[bool], said: str) -> rx.Component:
    """Copy `text` to the clipboard, then say `said` while `copied`, from a live region that is always in the page
    (a region added with its text is not announced)."""
    return rx.hstack(
        rx.button(label, on_click=[rx.set_clipboard(text), on_copied], variant="soft", type="button"),
        rx.text(rx.cond(copied, said, ""), aria_live="polite", role="status", size="2", color_scheme="green"),
        align="center",
    )
