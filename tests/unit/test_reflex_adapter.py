"""Reflex's private internals are touched in the adapters only: sms2fa_app/reflex_adapter.py and its siblings
reflex_frames.py and reflex_language.py (the app) and tests/support/reflex_internals.py (the tests). These tests pin
the Reflex release they were written for and check that each internal they touch still exists with the shape they
rely on, so that an upgrade fails here, by name, before it fails somewhere in a flow."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import importlib.metadata
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import reflex as rx
import reflex.state

from sms2fa_app import reflex_adapter, reflex_frames
from sms2fa_app.reflex_adapter import StateUpdate
from tests.support import reflex_internals

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = (
    "sms2fa_app/reflex_adapter.py, sms2fa_app/reflex_frames.py, sms2fa_app/reflex_language.py and "
    "tests/support/reflex_internals.py"
)
# Where Reflex's private modules may be imported, or its private attributes read (besides these tests).
ADAPTER_FILES = {
    Path("sms2fa_app/reflex_adapter.py"),
    Path("sms2fa_app/reflex_frames.py"),  # the websocket-frame patches installed at start-up
    Path("sms2fa_app/reflex_language.py"),  # a switch of language sends the words on screen again
    Path("tests/support/reflex_internals.py"),
}
# A private module of Reflex's packages, or a private name of Reflex's the app or the tests have relied on.
PRIVATE_TOUCH = re.compile(
    r"^\s*(?:from|import)\s+(?:reflex_base|reflex_components_\w+|reflex\.\w+)"
    r"|\._(?:get_root_state|mark_dirty|update_router_vars|clean|js_expr|var_value|var_data|get_all_var_data|token_manager)\b"
    r"|_reflex_internal_init|_override_base_method|__globals__|_no_chain_background_task|_rx_state_"
    r"|hydrate_and_load|update_vars_internal|\btoken_to_sid|\b_token_manager|EventContext|FIELD_MARKER|rx_router_\w+"
)


@pytest.mark.parametrize("package", ["reflex", "reflex-base"])
def test_reflex_is_the_release_the_adapters_were_written_for(package: str) -> None:
    installed = importlib.metadata.version(package)
    assert installed == reflex_adapter.REFLEX_VERSION == "0.10.1", (
        f"{package} is {installed}, the adapters were written for {reflex_adapter.REFLEX_VERSION}: re-check every "
        f"function of {ADAPTERS} against the new release (this file checks each internal's shape), then update "
        "REFLEX_VERSION"
    )


def test_only_the_adapters_touch_reflex_internals() -> None:
    """Elsewhere only `import reflex as rx` and its public names; the adapters hold every private import and
    every private name."""
    offenders = []
    for folder in ("sms2fa_app", "tests", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative in ADAPTER_FILES or relative == Path(__file__).relative_to(ROOT):
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                offenders += [f"{relative}:{number}: {hit.group(0).strip()}" for hit in PRIVATE_TOUCH.finditer(line)]
    assert not offenders, f"Reflex internals touched outside {ADAPTERS}:\n" + "\n".join(offenders)


# ---- the app's adapter (sms2fa_app/reflex_adapter.py) ----------------------------------------------------------


def _root() -> rx.State:
    return reflex_internals.new_root_state()


def check_event_names() -> None:
    from reflex.state import State, UpdateVarsInternalState

    assert "hydrate_and_load" in State.event_handlers
    assert "update_vars_internal" in UpdateVarsInternalState.event_handlers
    assert reflex_adapter.hydrate_event_name().endswith(".hydrate_and_load")


def check_delta_key() -> None:
    root = _root()
    root.is_hydrated = True
    [changed] = root.get_delta().values()
    assert reflex_adapter.delta_key("is_hydrated") in changed, changed
    assert reflex_adapter.var_of_delta_key(reflex_adapter.delta_key("is_hydrated")) == "is_hydrated"


def check_answered_without_change() -> None:
    update = reflex_adapter.answered_without_change()
    assert update.delta == {} and update.events == []


def check_event_context() -> None:
    from reflex_base.event.context import EventContext

    assert {"router_data", "emit_delta_impl"} <= {field.name for field in dataclasses.fields(EventContext)}
    sent: list[dict[str, Any]] = []

    async def emit_delta(_token: str, delta: dict[str, Any]) -> None:
        sent.append(delta)

    async def inside_an_event() -> str | None:
        reflex_internals.enter_event(emit_delta)
        EventContext.get().router_data["sid"] = "sid-1"
        await reflex_adapter.emit_delta_to_event_page({"state": {"x": 1}})
        assert reflex_adapter.in_event()
        return reflex_adapter.event_connection_id()

    assert asyncio.run(inside_an_event()) == "sid-1" and sent == [{"state": {"x": 1}}]


def check_override_base_method() -> None:
    from reflex.state import BaseState, _override_base_method

    assert callable(_override_base_method)
    assert callable(BaseState.get_delta) and callable(BaseState.__getstate__)


def check_root_state_and_storage() -> None:
    root = _root()
    assert reflex_adapter.root_state(root) is root
    reflex_adapter.store_quietly(root, "is_hydrated", True)
    assert root.is_hydrated is True and reflex_adapter.stored_value(root, "is_hydrated") is True
    assert "is_hydrated" not in root.dirty_vars


def check_tab_sockets() -> None:
    from reflex.app import App, EventNamespace

    assert isinstance(inspect.getattr_static(EventNamespace, "token_to_sid"), property)
    assert isinstance(inspect.getattr_static(App, "event_namespace"), property)
    assert reflex_adapter.tab_sockets() is None  # no app serves sockets in the unit tests


def check_connection_scope() -> None:
    """socket.io keeps each connection's environ (engine.io's ASGI driver puts the scope under `asgi.scope`), and
    the app's event namespace names its namespace; Reflex's deploy_url is the pages' URL."""
    from engineio.async_drivers import asgi as engineio_asgi
    from reflex.app import EventNamespace
    from socketio.base_server import BaseServer

    assert "asgi.scope" in inspect.getsource(engineio_asgi.translate_request)
    assert list(inspect.signature(BaseServer.get_environ).parameters) == ["self", "sid", "namespace"]
    assert "namespace" in inspect.signature(EventNamespace.__init__).parameters
    assert reflex_adapter.connection_scope("sid-1") is None  # no app serves sockets in the unit tests
    assert reflex_adapter.frontend_url() == rx.config.get_config().deploy_url


def check_page_address() -> None:
    root = _root()
    reflex_internals.set_router_data(root, {"pathname": "/p", "asPath": "/p?token=t&a=1", "query": {"token": "t"}})
    reflex_internals.set_page_url(root, "http://localhost/p?token=t&a=1")
    address = reflex_adapter.page_address(root)
    assert address.query == {"token": "t"} and address.href_query.get("token") == "t", address
    reflex_adapter.replace_router_data_address(root, {}, "/p?a=1")
    reflex_adapter.replace_router_page(root, "/p?a=1", "/p?a=1", {})
    reflex_adapter.replace_router_href(root, "http://localhost/p?a=1")
    assert "token" not in repr(reflex_adapter.page_address(root))


def check_state_and_tab_managers() -> None:
    from reflex.istate.manager.redis import StateManagerRedis
    from reflex.utils.token_manager import LocalTokenManager, RedisTokenManager

    assert inspect.isasyncgenfunction(inspect.unwrap(StateManagerRedis.modify_state))
    for manager in (RedisTokenManager, LocalTokenManager):
        assert list(inspect.signature(manager.link_token_to_sid).parameters) == ["self", "token", "sid"]
        assert inspect.iscoroutinefunction(manager.link_token_to_sid)
    assert issubclass(RedisTokenManager, LocalTokenManager)
    assert "_token_manager" in inspect.getsource(__import__("reflex.app").app.EventNamespace.__init__)


def check_compiled_browser_calls() -> None:
    uses = rx.Var(_js_expr="state.x")
    assert reflex_adapter.js_expression(uses) == "state.x"
    spec = reflex_adapter.call_function_event(reflex_adapter.bundled_function("return 1;", uses), rx.console_log)
    assert reflex_internals.handler_qualname(spec) == "_call_function"
    compiled = reflex_internals.compiled_event(spec)
    assert compiled.startswith('ReflexEvent("_call_function", {function:(() => {return 1;})'), compiled
    assert "callback:(_result) => {" in compiled, compiled


def check_fewer_frames() -> None:
    from reflex.app import EventNamespace
    from reflex.state import Event, OnLoadInternalState, RegistrationContext, _load_events_for_page

    assert list(inspect.signature(_load_events_for_page).parameters) == ["state"]
    assert "set_is_hydrated" in OnLoadInternalState.event_handlers and callable(RegistrationContext.get)
    assert callable(Event.from_event_type)
    assert list(inspect.signature(EventNamespace.emit_update).parameters) == ["self", "update", "token"]


def check_html_element() -> None:
    assert issubclass(reflex_adapter.HtmlElement, rx.Component)


APP_INTERNALS: dict[str, Callable[[], None]] = {
    "hydrate_event_name, page_change_event_name": check_event_names,
    "delta_key, var_of_delta_key": check_delta_key,
    "answered_without_change": check_answered_without_change,
    "event_connection_id, in_event, emit_delta_to_event_page": check_event_context,
    "override_base_method": check_override_base_method,
    "root_state, stored_value, store_quietly": check_root_state_and_storage,
    "tab_sockets": check_tab_sockets,
    "connection_scope, frontend_url": check_connection_scope,
    "page_address, replace_router_*": check_page_address,
    "wrap_state_loading, wrap_tab_linking": check_state_and_tab_managers,
    "js_expression, bundled_function, call_function_event": check_compiled_browser_calls,
    "HtmlElement": check_html_element,
}
# The websocket-frame patches (sms2fa_app/reflex_frames.py).
FRAME_INTERNALS: dict[str, Callable[[], None]] = {
    "send_fewer_frames, wrap_deltas": check_fewer_frames,
}


# ---- the tests' adapter (tests/support/reflex_internals.py) -----------------------------------------------------


def check_background_handler_globals() -> None:
    from reflex_base.event import EventHandler

    assert "_no_chain_background_task" in EventHandler.__get__.__globals__


def check_router_data_and_clean() -> None:
    root = _root()
    reflex_internals.set_router_data(root, {"sid": "sid-1", "token": "tab-1", "ip": "127.0.0.1"})
    assert root.router.session.session_id == "sid-1" and root.router.session.client_token == "tab-1"
    root.is_hydrated = True
    reflex_internals.mark_delivered(root)
    assert not root.dirty_vars


def check_event_arguments() -> None:
    spec = rx.redirect("/somewhere")
    assert reflex_internals.handler_qualname(spec).startswith("_redirect")
    assert reflex_internals.event_arguments(spec)["path"] == "/somewhere"


def check_process_event() -> None:
    from reflex_base.event.processor.base_state_processor import process_event

    assert list(inspect.signature(process_event).parameters) == ["handler", "payload", "state", "root_state"]


def check_redis_state_manager() -> None:
    from reflex.istate.manager.redis import StateManagerRedis

    assert isinstance(reflex_internals.redis_state_manager_without_connection(), StateManagerRedis)


def check_subprocess_scripts() -> None:
    from reflex.utils import exec as reflex_exec
    from reflex.utils import prerequisites

    assert "dry_run" in inspect.signature(prerequisites.get_compiled_app).parameters
    assert callable(reflex_exec.get_reload_paths)
    assert "defineConfig" in reflex_internals.rendered_vite_config()


TEST_INTERNALS: dict[str, Callable[[], None]] = {
    "allow_direct_background_calls": check_background_handler_globals,
    "new_root_state, set_router_data, mark_delivered": check_router_data_and_clean,
    "handler_qualname, event_arguments, literal_value": check_event_arguments,
    "process_event": check_process_event,
    "redis_state_manager_without_connection": check_redis_state_manager,
    "compile_app_script, print_reload_paths_script, rendered_vite_config": check_subprocess_scripts,
}

# ---- both ---------------------------------------------------------------------------------------------------------

SHAPES = [
    *[("sms2fa_app/reflex_adapter.py", functions, check) for functions, check in APP_INTERNALS.items()],
    *[("sms2fa_app/reflex_frames.py", functions, check) for functions, check in FRAME_INTERNALS.items()],
    *[("tests/support/reflex_internals.py", functions, check) for functions, check in TEST_INTERNALS.items()],
]


@pytest.mark.parametrize(("adapter", "functions", "check"), SHAPES, ids=[functions for _, functions, _ in SHAPES])
def test_each_internal_an_adapter_touches_keeps_its_shape(
    adapter: str, functions: str, check: Callable[[], None]
) -> None:
    try:
        contextvars.copy_context().run(check)  # an event context a check sets stays in it
    except Exception as error:
        pytest.fail(f"{adapter} {functions}: Reflex changed ({error!r})", pytrace=True)


# ---- send_fewer_frames: a delta and the events right behind it in one frame, never two deltas (issue 24) ------


@dataclass
class FakeNamespace:
    """Records what would go to each tab's socket, one entry per frame."""

    frames: list[tuple[str, StateUpdate]] = field(default_factory=list)
    token_to_sid: dict[str, str] = field(default_factory=lambda: {"tab": "sid-1", "tab-1": "sid-2", "tab-2": "sid-3"})

    async def emit_update(self, update: StateUpdate, token: str) -> None:
        self.frames.append((token, update))


@dataclass
class FakeApp:
    event_namespace: FakeNamespace = field(default_factory=FakeNamespace)


@pytest.fixture
def fewer_frames_app() -> Iterator[FakeApp]:
    original = reflex.state._load_events_for_page
    app = FakeApp()
    assert reflex_frames.send_fewer_frames(app)
    yield app
    reflex.state._load_events_for_page = original  # the adapter replaces Reflex's for the process


def redirect() -> Any:
    return reflex.state.Event(name="_redirect", payload={"path": "/dashboard"})


async def settled() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_a_delta_and_the_redirect_right_behind_it_go_in_one_frame(fewer_frames_app: FakeApp) -> None:
    namespace = fewer_frames_app.event_namespace
    await namespace.emit_update(StateUpdate(delta={"s": {"token": "t"}}), "tab")
    await namespace.emit_update(StateUpdate(events=[redirect()]), "tab")
    await settled()
    [(token, update)] = fewer_frames_app.event_namespace.frames
    assert token == "tab" and update.delta == {"s": {"token": "t"}} and update.events == [redirect()]


async def test_two_deltas_stay_two_frames_in_their_order(fewer_frames_app: FakeApp) -> None:
    namespace = fewer_frames_app.event_namespace
    await namespace.emit_update(StateUpdate(delta={"root": {"is_hydrated": False}}), "tab")
    await namespace.emit_update(StateUpdate(delta={"s": {"token": "t"}}), "tab")
    await settled()
    assert [update.delta for _token, update in fewer_frames_app.event_namespace.frames] == [
        {"root": {"is_hydrated": False}},
        {"s": {"token": "t"}},
    ]


async def test_a_lone_delta_goes_out_at_the_next_turn_and_tabs_stay_apart(fewer_frames_app: FakeApp) -> None:
    namespace = fewer_frames_app.event_namespace
    await namespace.emit_update(StateUpdate(delta={"s": {"x": 1}}), "tab-1")
    await namespace.emit_update(StateUpdate(events=[redirect()]), "tab-2")
    await settled()
    frames = fewer_frames_app.event_namespace.frames
    assert [(token, update.delta, len(update.events)) for token, update in frames] == [
        ("tab-2", {}, 1),
        ("tab-1", {"s": {"x": 1}}, 0),
    ]


async def test_a_waiting_delta_is_dropped_when_another_connection_took_the_tab(fewer_frames_app: FakeApp) -> None:
    namespace = fewer_frames_app.event_namespace
    await namespace.emit_update(StateUpdate(delta={"s": {"token": "t"}}), "tab")
    namespace.token_to_sid["tab"] = "sid-of-a-replayed-tab-id"  # before the next turn of the loop
    await settled()
    await namespace.emit_update(StateUpdate(events=[redirect()]), "tab")
    assert [update.delta for _token, update in namespace.frames] == [{}]  # the redirect alone, no token
