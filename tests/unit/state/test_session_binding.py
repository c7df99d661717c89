"""The browser's tokens are bound to the connection that delivered them, and Reflex state never keeps them raw.

Events are fed through the BrowserTokens middleware as Reflex does before every handler; `on_connection` sets the
socket.io session id Reflex writes into the state's router data for each event.
"""

from __future__ import annotations

import pickle
from typing import Any

import reflex as rx

from sms2fa_app.backend.infra.crypto import token_digest
from sms2fa_app.backend.services import Services
from sms2fa_app.reflex_adapter import delta_key
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.session import _HYDRATE, _PAGE_CHANGE, BrowserTokens, SessionState
from tests.support import reflex_internals
from tests.support.factories import PASSWORD, create_user
from tests.support.states import make_state, redirect_path, run

SESSION_KEY = f"{SessionState.get_full_name()}.{delta_key('session_token')}"
DEVICE_KEY = f"{SessionState.get_full_name()}.{delta_key('device_token')}"
OTHER_KEY = f"reflex___state____state.some_state.{delta_key('theme')}"


def root_of(state: Any) -> Any:
    while state.parent_state is not None:
        state = state.parent_state
    return state


def on_connection(state: Any, sid: str) -> None:
    """The next events come over the websocket connection `sid`."""
    root = root_of(state)
    reflex_internals.set_router_data(root, {"sid": sid, "token": "tab-1"})


async def receive(state: Any, name: str, storage: dict[str, Any] | None = None) -> rx.event.Event:
    """Run the middleware for one event of the current connection; returns the event as the handler gets it."""
    event = rx.event.Event(name=name, payload={"vars": storage} if storage is not None else {})
    assert await BrowserTokens().preprocess(None, root_of(state), event) is None
    return event


def signed_in(services: Services) -> str:
    create_user(services)
    issued = services.accounts.log_in("ada@example.com", PASSWORD).issued
    assert issued is not None
    return issued.token


async def test_the_token_is_taken_out_of_the_event_and_only_its_digest_is_kept(services: Services) -> None:
    token = signed_in(services)
    state = make_state(LoginState)
    on_connection(state, "sid-a")
    event = await receive(state, _HYDRATE, {SESSION_KEY: token, OTHER_KEY: "dark"})
    assert event.payload["vars"] == {OTHER_KEY: "dark"}  # Reflex applies the rest as usual, never the token
    assert state.session_token == ""
    assert state._session_binding == ("sid-a", token_digest(token))
    assert token not in repr(root_of(state).__dict__) and token.encode() not in pickle.dumps(root_of(state))
    assert (await state._session()) is not None


async def test_another_connection_with_the_same_tab_gets_nothing_and_clears_the_page(services: Services) -> None:
    token = signed_in(services)
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    await receive(state, _HYDRATE, {SESSION_KEY: token})
    state.signed_in_email = "ada@example.com"

    on_connection(state, "sid-replay")  # the tab id, replayed: no hydrate, straight to a handler
    await receive(state, f"{SessionState.get_full_name()}.require_authenticated")
    assert state._token() is None and state._session_binding == ("", "")
    assert state.signed_in_email == ""
    events = await run(state.require_authenticated())
    assert redirect_path(events) == "/login"
    assert state.session_token == ""  # nothing is sent to wipe the real browser's storage either


async def test_a_reconnect_that_delivers_the_same_token_keeps_the_page(services: Services) -> None:
    token = signed_in(services)
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    await receive(state, _HYDRATE, {SESSION_KEY: token})
    state.signed_in_email = "ada@example.com"
    on_connection(state, "sid-b")  # a new socket after a worker restart: the browser hydrates first
    await receive(state, _HYDRATE, {SESSION_KEY: token})
    assert state.signed_in_email == "ada@example.com"
    assert state._session_binding == ("sid-b", token_digest(token))


async def test_a_hydrate_without_the_token_or_with_another_one_clears_the_page(services: Services) -> None:
    token = signed_in(services)
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    await receive(state, _HYDRATE, {SESSION_KEY: token})
    state.signed_in_email = "ada@example.com"
    on_connection(state, "sid-b")
    await receive(state, _HYDRATE, {})  # hydrate with a stolen tab id, without the browser's storage
    assert state.signed_in_email == "" and state._token() is None

    await receive(state, _PAGE_CHANGE, {SESSION_KEY: token})
    state.signed_in_email = "ada@example.com"
    await receive(state, _PAGE_CHANGE, {SESSION_KEY: "another-browser-token"})
    assert state.signed_in_email == ""


async def test_a_page_change_keeps_a_token_it_does_not_mention(services: Services) -> None:
    token = signed_in(services)
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    await receive(state, _HYDRATE, {SESSION_KEY: token, DEVICE_KEY: "device-token"})
    await receive(state, _PAGE_CHANGE, {SESSION_KEY: token})
    assert state._device() is not None and state._token() is not None


async def test_anything_but_a_short_string_binds_nothing(services: Services) -> None:
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    for value in ({"$ne": ""}, ["token"], 7, None, "x" * 200, ""):
        await receive(state, _HYDRATE, {SESSION_KEY: value})
        assert state._token() is None


async def test_an_issued_token_reaches_the_browser_once_and_never_stays(services: Services) -> None:
    create_user(services)
    state = make_state(LoginState)
    on_connection(state, "sid-a")
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    issued = state.session_token
    assert issued and state._session_binding == ("sid-a", token_digest(issued))
    assert issued.encode() not in pickle.dumps(state.parent_state.parent_state)  # what Redis would store
    delta = root_of(state).get_delta()
    assert delta[SessionState.get_full_name()][delta_key("session_token")] == issued
    assert state.session_token == ""
    reflex_internals.mark_delivered(root_of(state))  # Reflex cleans the tree once the update is delivered
    assert SessionState.get_full_name() not in root_of(state).get_delta()  # sent once
    assert (await state._session()) is not None  # the digest still resolves on this connection


async def test_logging_out_wipes_the_browser_copy_only_on_the_connection_that_delivered_it(
    services: Services,
) -> None:
    token = signed_in(services)
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    await receive(state, _HYDRATE, {SESSION_KEY: token})
    await state._forget()
    assert "session_token" in state.dirty_vars and state.session_token == ""

    fresh = make_state(SessionState)  # e.g. a state that expired: this connection delivered nothing yet
    on_connection(fresh, "sid-b")
    await fresh._forget()
    assert "session_token" not in fresh.dirty_vars


async def test_the_first_token_a_state_sees_clears_nothing(services: Services) -> None:
    """A fresh state (a new tab, or one that expired) holds nobody's values: binding its first token resets no
    page state (with Redis that would load every page state of the tab)."""
    token = signed_in(services)
    login = make_state(LoginState)
    login.error = "shown before the token arrived"
    on_connection(login, "sid-a")
    await receive(login, _HYDRATE, {SESSION_KEY: token})
    assert login.error == "shown before the token arrived"
