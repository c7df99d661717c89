"""Every place the app relies on Reflex's private internals, each one a small function here (written for Reflex
0.10.1: tests/unit/test_reflex_adapter.py pins the version and checks each internal's shape).

Reflex's public API (`rx.*`, `rx.event.*`, `rx.plugins.*`) does not cover what the app needs to keep browser tokens
out of stored state, to notice a hung state store and to run browser code without eval(). Those needs reach into
private modules, attributes and methods; keeping each touch here means an upgrade breaks in one named place, and
the rest of the app calls these functions. This module imports nothing from the app. The websocket-frame
patches installed once at start-up (`send_fewer_frames`, `wrap_deltas`) sit beside it in reflex_frames.py.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

import reflex as rx
from reflex.istate.data import ReflexURL, URLData
from reflex.istate.manager.redis import StateManagerRedis
from reflex.state import State, StateUpdate, UpdateVarsInternalState, _override_base_method
from reflex.utils.token_manager import LocalTokenManager, RedisTokenManager
from reflex_base.config import get_config
from reflex_base.constants import Endpoint, RouteVar
from reflex_base.constants.state import FIELD_MARKER
from reflex_base.event import BACKGROUND_TASK_MARKER, server_side
from reflex_base.event.context import EventContext
from reflex_base.utils import format as reflex_format
from reflex_base.vars.base import ComputedVar, VarData
from reflex_components_core.el.element import Element

REFLEX_VERSION = "0.10.1"  # the release these adapters were written and checked against

# The base class of an HTML element rendered by its tag name (not exported at rx.el).
HtmlElement = Element

F = TypeVar("F", bound=Callable[..., Any])

# ---- events and their wire names ------------------------------------------------------------------------------


def hydrate_event_name() -> str:
    """The first event of every websocket (re)connection: `State.hydrate_and_load`, carrying the browser's storage."""
    return f"{State.get_full_name()}.hydrate_and_load"


def page_change_event_name() -> str:
    """The event each page change sends with the browser's storage: Reflex's internal `update_vars_internal`."""
    return f"{UpdateVarsInternalState.get_full_name()}.update_vars_internal"


def delta_key(var_name: str) -> str:
    """The key a state var has in an update and in the browser's storage (Reflex suffixes FIELD_MARKER)."""
    return f"{var_name}{FIELD_MARKER}"


def var_of_delta_key(key: str) -> str:
    """The var name behind a key of an update or of the browser's storage (see delta_key)."""
    return key.removesuffix(FIELD_MARKER)


def answered_without_change() -> StateUpdate:
    """What a middleware returns to answer an event itself: an empty update, so that no handler runs."""
    return StateUpdate()


def answered_with(events: list[rx.event.EventSpec]) -> StateUpdate:
    """What a middleware returns to answer an event itself with `events` (a redirect): no handler runs, no delta."""
    return StateUpdate(events=rx.event.Event.from_event_type(events))


def handler_state_path(event_name: str) -> str:
    """The dotted path of the state whose handler an event names, below the root state ("" for none)."""
    path, _, _handler = event_name.rpartition(".")
    root = State.get_name()
    return path.removeprefix(root).removeprefix(".") if path.startswith(root) else ""


def handler_of_state_path(item: object) -> str | None:
    """The dotted path (below the root state) of the state whose handler `item` is (an event handler such as
    `MyState.load`, or a call of one); None for anything else (a lambda, a script)."""
    handler = item.handler if isinstance(item, rx.event.EventSpec) else item
    if not isinstance(handler, rx.event.EventHandler) or not handler.state_full_name:
        return None
    return handler_state_path(f"{handler.state_full_name}.handler")


def own_computed_vars(state_class: type) -> list[str]:
    """The names of the computed vars (`@rx.var`) a state class's body defines (read before Reflex sets it up)."""
    return [name for name, value in vars(state_class).items() if isinstance(value, ComputedVar)]


def own_background_handlers(state_class: type) -> list[str]:
    """The names of the `@rx.event(background=True)` handlers a state class's body defines."""
    return [name for name, value in vars(state_class).items() if getattr(value, BACKGROUND_TASK_MARKER, False)]


# ---- the event being processed (Reflex's EventContext, a context variable) ----------------------------------


def event_connection_id() -> str | None:
    """The socket.io session id of the connection the current event came over, from Reflex's EventContext (set for
    each event, background ones included); None outside an event or when Reflex did not record one."""
    try:
        connection = EventContext.get().router_data.get(RouteVar.SESSION_ID)
    except LookupError:
        return None
    return connection if isinstance(connection, str) and connection else None


def in_event() -> bool:
    """Whether an event is being processed here (Reflex's EventContext is set)."""
    try:
        EventContext.get()
    except LookupError:
        return False
    return True


async def emit_delta_to_event_page(delta: dict[str, dict[str, Any]]) -> None:
    """Send `delta` straight to the page of the current event over its websocket (EventContext.emit_delta), with no
    state loaded; nothing outside an event."""
    try:
        context = EventContext.get()
    except LookupError:
        return
    await context.emit_delta(delta)


# ---- state internals ------------------------------------------------------------------------------------------


def override_base_method(method: F) -> F:
    """Mark a BaseState method (get_delta, __getstate__) as an intended override: Reflex refuses to build a state
    class that shadows one of its own methods without its private `_override_base_method` marker."""
    return _override_base_method(method)


def root_state(state: rx.State) -> rx.State:
    """The root of the state tree `state` belongs to (Reflex's private `_get_root_state`)."""
    return state._get_root_state()


def stored_value(state: rx.State, name: str) -> Any:
    """A var's value read from the instance's own storage (`__dict__`), without Reflex's attribute machinery."""
    return state.__dict__.get(name)


def store_quietly(state: rx.State, name: str, value: Any) -> None:
    """Set a var in the instance's storage (`__dict__`) without marking it dirty: the browser is not told."""
    state.__dict__[name] = value


def tab_sockets() -> Mapping[str, str] | None:
    """Tab id -> socket.io session id of this worker's websockets (the running app's `event_namespace.token_to_sid`);
    None when no app serves sockets in this process (unit tests build states without one)."""
    app = getattr(sys.modules.get(rx.config.get_config().module), "app", None)  # imported by Reflex at start
    namespace = getattr(app, "event_namespace", None)
    return None if namespace is None else namespace.token_to_sid


# ---- the page's address in the root state's router data -------------------------------------------------------


class PageAddress(NamedTuple):
    """The parts of the root state's router data that repeat the page's address."""

    query: Mapping[str, Any]  # router_data's parsed query
    origin: str  # router_data's full address (path and query)
    href: str  # rx_router_url's href
    href_query: Mapping[str, Any]  # the query parameters parsed from href
    raw_path: str  # rx_router_page's raw path (with the query)
    full_raw_path: str
    params: Mapping[str, Any]  # rx_router_page's parameters


def page_address(root: rx.State) -> PageAddress:
    """Every copy of the page's address that Reflex keeps in the root state (router_data, rx_router_url and
    rx_router_page, all stored with the tab's state)."""
    data = root.router_data
    href = str(root.rx_router_url.href)
    page = root.rx_router_page
    return PageAddress(
        query=data.get(RouteVar.QUERY) or {},
        origin=str(data.get(RouteVar.ORIGIN, "")),
        href=href,
        href_query=ReflexURL(href).query_parameters,
        raw_path=page.raw_path,
        full_raw_path=page.full_raw_path,
        params=page.params,
    )


def replace_router_data_address(root: rx.State, query: Mapping[str, Any], origin: str) -> None:
    """Replace the query and the origin in the root state's raw router data (RouteVar.QUERY, RouteVar.ORIGIN)."""
    root.router_data = {**root.router_data, RouteVar.QUERY: dict(query), RouteVar.ORIGIN: origin}


def replace_router_page(root: rx.State, raw_path: str, full_raw_path: str, params: Mapping[str, Any]) -> None:
    """Replace the page's paths and parameters in the root state's rx_router_page var (a frozen dataclass)."""
    root.rx_router_page = dataclasses.replace(
        root.rx_router_page, raw_path=raw_path, full_raw_path=full_raw_path, params=dict(params)
    )


def replace_router_href(root: rx.State, href: str) -> None:
    """Replace the page's URL in the root state's rx_router_url var."""
    root.rx_router_url = URLData.from_url(ReflexURL(href))


# ---- the Redis state manager and tab records ------------------------------------------------------------------

LoadUnderLock = Callable[..., Any]  # StateManager.modify_state(token, **context): an async context manager
LinkTab = Callable[[str, str], Any]  # TokenManager.link_token_to_sid(token, sid): a coroutine


def wrap_state_loading(app: Any, wrap: Callable[[LoadUnderLock], LoadUnderLock]) -> bool:
    """Replace the app's Redis state manager's `modify_state` (loads a tab's state under its lock before every
    event) by `wrap(original)`; False, and nothing replaced, when the states live in memory."""
    manager = app.state_manager
    if not isinstance(manager, StateManagerRedis):
        return False
    manager.modify_state = wrap(manager.modify_state)  # type: ignore[method-assign]
    return True


def wrap_tab_linking(app: Any, wrap: Callable[[LinkTab, LinkTab], LinkTab]) -> bool:
    """Replace the Redis token manager's `link_token_to_sid` (records a new websocket's tab: the duplicate-tab
    check) by `wrap(in_redis, in_this_worker)`; the second records the tab in this worker's memory only, as Reflex
    does when Redis fails. False when tabs are not recorded in Redis (the private `event_namespace._token_manager`)."""
    token_manager = getattr(getattr(app, "event_namespace", None), "_token_manager", None)
    if not isinstance(token_manager, RedisTokenManager):
        return False
    in_redis = token_manager.link_token_to_sid

    async def in_this_worker(token: str, sid: str) -> str | None:
        return await LocalTokenManager.link_token_to_sid(token_manager, token, sid)

    token_manager.link_token_to_sid = wrap(in_redis, in_this_worker)  # type: ignore[method-assign]
    return True


# ---- compiled browser calls -------------------------------------------------------------------------------------


def js_expression(var: rx.Var) -> str:
    """The JavaScript expression a Var compiles to (its private `_js_expr`)."""
    return var._js_expr


def bundled_function(body: str, uses: rx.Var | None = None) -> rx.Var:
    """A JavaScript arrow function with the statements `body`, compiled into the bundle; `uses` is a state var the
    body names, whose imports and hooks (its private VarData) the page must then carry."""
    return rx.Var(_js_expr=f"(() => {{{body}}})", _var_data=_carried(uses))


def bundled_value(body: str, uses: rx.Var | None = None) -> rx.Var:
    """What the statements `body` return, computed in the browser as the page renders (`uses` as above)."""
    return rx.Var(_js_expr=f"(() => {{{body}}})()", _var_data=_carried(uses))


def _carried(uses: rx.Var | None) -> VarData | None:
    """The imports and hooks a state var brings along (its private VarData), for a var built around it."""
    return VarData.merge(uses._get_all_var_data()) if uses is not None else None


def call_function_event(function: rx.Var, callback: Any = None, *, skip_undefined: bool = False) -> rx.event.EventSpec:
    """Reflex's `_call_function` event with `function` and a callback compiled as code (rx.call_function compiles the
    callback to a string for eval(), which the CSP refuses); the callback gets the function's result (with
    `skip_undefined`, a result of `undefined` calls nothing back)."""
    compiled = None
    if callback is not None:
        compiled = reflex_format.format_queue_events(callback, args_spec=lambda result: [result])
        if skip_undefined:
            compiled = rx.Var(
                _js_expr=f"((result) => result === undefined ? undefined : ({compiled})(result))",
                _var_data=compiled._get_all_var_data(),
            )
    return server_side("_call_function", inspect.signature(rx.call_function), function=function, callback=compiled)


def frontend_url() -> str | None:
    """Where Reflex serves the pages (its `deploy_url`: the development frontend, or the port a test runs on)."""
    return get_config().deploy_url


def connection_scope(connection: str) -> Mapping[str, Any] | None:
    """The ASGI scope of websocket `connection`'s handshake, as the socket.io server keeps it (its environ's
    `asgi.scope`); None when no app serves sockets here or the connection is unknown."""
    app = getattr(sys.modules.get(rx.config.get_config().module), "app", None)
    sio, namespace = getattr(app, "sio", None), getattr(getattr(app, "event_namespace", None), "namespace", None)
    if sio is None or namespace is None or not connection:
        return None
    try:
        environ = sio.get_environ(connection, namespace)
    except (KeyError, ValueError):
        return None
    return None if environ is None else environ.get("asgi.scope")


def socket_event_path() -> str:
    """Where Reflex mounts its socket.io app (`Endpoint.EVENT`, behind the configured backend path): the websocket
    path api/socket_path.py sends around the HTTP middleware stacks."""
    return get_config().prepend_backend_path(str(Endpoint.EVENT))
