"""The one touch of Reflex's private parts the tab's language needs (written for Reflex 0.10.1, like
reflex_adapter.py): after a switch, the words already on screen are sent again, to be said in the new language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx


def send_again(state: rx.State, wanted: Callable[[Any], bool]) -> int:
    """Mark each var of the tab's loaded states whose value is `wanted` as changed (Reflex's private `dirty_vars`
    and `_mark_dirty`), so the event's update carries it again with nothing changed; the number of vars marked.
    Only the states in memory are looked at: the caller loads the ones it means (`get_state`)."""
    marked = 0
    pending = [state._get_root_state()]
    while pending:
        current = pending.pop()
        pending.extend(current.substates.values())
        names = [name for name in type(current).base_vars if wanted(current.__dict__.get(name))]
        if names:
            current.dirty_vars.update(names)
            current._mark_dirty(names)
            marked += len(names)
    return marked
