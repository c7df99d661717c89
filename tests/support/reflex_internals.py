"""Every place the tests rely on Reflex's private internals, each one a small function here (written for Reflex
0.10.1: tests/unit/test_reflex_adapter.py pins the version and checks each internal's shape).

The tests build state trees without a running app, feed them events as Reflex's processor does and read what a
handler returned; Reflex offers no public API for that. The app's own touches live in sms2fa_app/reflex_adapter.py,
whose functions the tests call too (delta keys, event names, raw fields). The websocket wire protocol the bare
clients speak lives in tests/support/reflex_client.py.
"""

from __future__ import annotations

import json
import types
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest
import reflex as rx
from reflex.istate.data import ReflexURL, RouterData
from reflex.istate.manager.redis import StateManagerRedis
from reflex.state import FrontendEventExceptionState
from reflex_base.event import EventHandler
from reflex_base.event.context import EventContext
from reflex_base.event.processor.base_state_processor import process_event as _process_event
from reflex_base.utils import format as reflex_format


def new_root_state() -> rx.State:
    """A fresh state tree's root, built as Reflex builds one per tab (its private `_reflex_internal_init` flag)."""
    return rx.State(_reflex_internal_init=True)


def allow_direct_background_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a test call a background handler on a state like any method: bind it to the state instead of Reflex's
    private `_no_chain_background_task` wrapper (which refuses a call outside its processor). reflex_base.event
    replaces its module object in sys.modules, so the globals the `EventHandler.__get__` descriptor reads are
    patched."""

    def bind(state: rx.State, fn: Callable[..., Any]) -> Callable[..., Any]:
        return types.MethodType(fn, state)

    monkeypatch.setitem(EventHandler.__get__.__globals__, "_no_chain_background_task", bind)


def set_router_data(root: rx.State, router_data: Mapping[str, Any]) -> None:
    """Put an event's raw router data (sid, token, ip, pathname, query...) in the root state, the way Reflex's
    processor does before each event (its private `_update_router_vars`)."""
    root.router_data = root._update_router_vars(dict(router_data), root.router_data)


def set_page_url(root: rx.State, url: str) -> None:
    """Make the root state's router data say the page is at `url` (Reflex's RouterData and ReflexURL)."""
    root.router = RouterData(url=ReflexURL(url))


def mark_delivered(state: rx.State) -> None:
    """Forget the dirty vars of `state` and its substates, as Reflex does once an update is sent (its private
    `_clean`)."""
    state._clean()


def handler_qualname(event: Any) -> str:
    """The qualified name of the function behind an EventSpec (`_redirect`, `_call_function`, `State.handler`)."""
    return event.handler.fn.__qualname__


def event_arguments(event: Any) -> dict[str, Any]:
    """An EventSpec's arguments by name, as Python values (the private `_js_expr` of each name and `_var_value` of
    each literal value)."""
    return {name._js_expr: literal_value(value) for name, value in event.args}


def literal_value(value: Any) -> Any:
    """The Python value behind a literal Var (its private `_var_value`); anything else as it is."""
    return getattr(value, "_var_value", value)


def compiled_event(event: Any) -> str:
    """The JavaScript an EventSpec compiles to in the bundle (Reflex's `format.format_event`)."""
    return str(reflex_format.format_event(event))


async def process_event(handler: Any, payload: dict[str, Any], substate: rx.State, root: rx.State) -> Any:
    """Run one event's handler as Reflex's event processor does (its `process_event`, payload as arguments)."""
    return await _process_event(handler, payload, substate, root)


def enter_event(
    emit_delta: Callable[[str, dict[str, Any]], Awaitable[None]],
    tab: str = "tab",
    router_data: dict[str, Any] | None = None,
) -> None:
    """Act as if an event of tab `tab` were being processed: set Reflex's EventContext, with `emit_delta` getting
    what the app sends the page directly (token, delta), and `router_data` the event's (its connection: "sid")."""

    async def enqueue(*_args: Any, **_kwargs: Any) -> None:
        return None

    context = EventContext(
        token=tab,
        state_manager=None,  # type: ignore[arg-type]
        enqueue_impl=enqueue,
        emit_delta_impl=emit_delta,
        router_data=router_data or {},
    )
    EventContext.set(context)


def redis_state_manager_without_connection() -> Any:
    """An instance of Reflex's Redis state manager class with no connection (the app wraps only that class)."""
    return object.__new__(StateManagerRedis)


def compile_app_script() -> str:
    """Python for a subprocess that builds the app as `reflex run` does, without writing the frontend
    (`prerequisites.get_compiled_app`)."""
    return "from reflex.utils import prerequisites; prerequisites.get_compiled_app(dry_run=True, use_rich=False)"


def print_reload_paths_script() -> str:
    """Python for a subprocess that imports rxconfig and prints, as JSON, the paths `reflex run` watches for a
    reload (`reflex.utils.exec.get_reload_paths`)."""
    return (
        "import rxconfig, json; from reflex.utils.exec import get_reload_paths; "
        "print(json.dumps([str(p) for p in get_reload_paths()]))"
    )


def rendered_vite_config() -> str:
    """.web/vite.config.js as Reflex renders it for `reflex run` (its compiler's `vite_config_template`), which
    dev_server.ListenHostPlugin patches."""
    from reflex_base.compiler.templates import vite_config_template

    return vite_config_template(base="/", hmr=True, force_full_reload=False, experimental_hmr=False, sourcemap=False)


def frontend_exception_event_name() -> str:
    """The event a page sends when its JavaScript fails (`FrontendEventExceptionState.handle_frontend_exception`):
    a browser can send it with any text, so the log-flood test sends it too."""
    return f"{FrontendEventExceptionState.get_full_name()}.handle_frontend_exception"


def as_sent(update: Mapping[str, Any]) -> dict[str, Any]:
    """An update as the socket sends it: Reflex's JSON of it, read back."""
    return json.loads(reflex_format.json_dumps(update))


def pending_delta(state: rx.State) -> dict[str, Any]:
    """What the tab of `state` would be sent now: the dirty vars of its tree (Reflex's `get_delta` on the root)."""
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    return dict(root.get_delta())
