"""The app's two patches of how Reflex writes updates to a tab's websocket (written for Reflex 0.10.1, like
reflex_adapter.py; tests/unit/test_reflex_adapter.py checks the internals they patch): fewer frames per page change
and handler, and every delta passed through the app's words before it is sent. Kept apart from reflex_adapter.py
because these replace Reflex's code for the whole process at start-up, where the adapter's functions read and
write one state at a time. This module imports nothing from the app."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import reflex.state as reflex_state
from reflex.state import StateUpdate

# ---- websocket frames per page change and per handler -------------------------------------------------------------


def _load_events_keeping_hydrated(state: Any) -> list[Any] | None:
    """`reflex.state._load_events_for_page` without lowering `is_hydrated` and raising it again: a page change
    leaves the server's flag up (so sends nothing about it), and only a (re)connection's snapshot, which carries
    False, is followed by the flag's rise once the page's on_load handlers ran."""
    load_events = reflex_state.RegistrationContext.get().app.get_load_events(state.rx_router_url.path)
    hydrated = state.is_hydrated
    if not load_events:
        if not hydrated:
            state.is_hydrated = True
        return None
    events = reflex_state.Event.from_event_type(load_events)
    return events if hydrated else [*events, reflex_state.OnLoadInternalState.set_is_hydrated(True)]


def send_fewer_frames(app: Any) -> bool:
    """Two changes to how Reflex writes updates to a tab, each saving frames of every page change and handler:

    - a page change no longer sends `is_hydrated: false` then `true` from the server: the flag stays up on the
      server (`_load_events_keeping_hydrated`) and is sent only when it changes (after a (re)connection's
      snapshot). The browser lowers its own copy when a page change starts (state.js) and then keeps it down until
      the next connection: nothing in the app reads it (the one reader, state.js's storage writes, reads the
      flag inside each delta, which no page change sends now);
    - a state delta waits until the end of the event loop's turn: when events for the same tab follow it in that
      turn (a handler's redirect right behind its delta, `chain_updates`), both go in one update, the delta first,
      as the browser applies them in that order anyway. Two deltas are never merged (the hydration snapshot and its
      storage replay must stay apart: the browser writes no storage from a delta that says `is_hydrated: false`),
      and whatever else comes for the tab first sends the waiting delta before itself. A delta that waited goes
      only to the socket the tab had when it was built: if another connection took the tab id meanwhile, it is
      dropped (that connection's hydrate sends it all anyway), so no delta, an issued token's included, reaches a
      connection it was not built for (state/session.py's get_delta checks the socket when it builds it).

    False, and nothing changed, when the app has no websocket namespace."""
    namespace = getattr(app, "event_namespace", None)
    if namespace is None:
        return False
    reflex_state._load_events_for_page = _load_events_keeping_hydrated
    send = namespace.emit_update
    waiting: dict[str, StateUpdate] = {}
    flushes: set[asyncio.Task] = set()

    waiting_for: dict[str, str | None] = {}  # the tab's socket when its waiting delta was built

    def socket_of(token: str) -> str | None:
        return namespace.token_to_sid.get(token)

    def take_waiting(token: str) -> StateUpdate | None:
        """The tab's waiting delta, unless another connection took the tab since it was built (then dropped)."""
        held, built_for = waiting.pop(token, None), waiting_for.pop(token, None)
        return held if held is not None and built_for == socket_of(token) else None

    async def flush(token: str) -> None:
        if (update := take_waiting(token)) is not None:
            await send(update=update, token=token)

    async def emit_update(update: StateUpdate, token: str) -> None:
        held = take_waiting(token)
        if held is not None and update.events and not update.delta:
            await send(update=StateUpdate(delta=held.delta, events=update.events), token=token)
            return
        if held is not None:
            await send(update=held, token=token)
        if update.delta and not update.events:
            waiting[token], waiting_for[token] = update, socket_of(token)
            task = asyncio.get_running_loop().create_task(flush(token))  # runs at the next turn of the loop
            flushes.add(task)
            task.add_done_callback(flushes.discard)
            return
        await send(update=update, token=token)

    namespace.emit_update = emit_update
    return True


# ---- what a tab is sent ---------------------------------------------------------------------------------------


def wrap_deltas(app: Any, say: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> bool:
    """Pass every delta the app sends a tab (an event's update, a hydration's whole state) through `say`, in the
    event's task, before the socket encodes it (Reflex's middleware `postprocess` is never called). False when
    the app has no event namespace (the private `event_namespace.emit_update`)."""
    namespace = getattr(app, "event_namespace", None)
    if namespace is None:
        return False
    emit = namespace.emit_update

    async def emit_said(update: StateUpdate, token: str) -> None:
        if update.delta:
            update = dataclasses.replace(update, delta=say(update.delta))
        await emit(update, token)

    namespace.emit_update = emit_said
    return True
