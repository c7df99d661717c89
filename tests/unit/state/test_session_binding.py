"""The browser's credentials are bound to the connection that delivered them, and Reflex state never keeps them raw.

Events are fed through the BrowserTokens middleware as Reflex does before every handler; `on_connection` sets the
socket.io session id Reflex writes into the state's router data for each event, and `handshakes` holds the
credentials each connection's handshake carried (api/socket_path.py keeps their digests in the ASGI scope).
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import reflex as rx

from sms2fa_app.backend.identity.session_cookie import BrowserCredentials
from sms2fa_app.backend.infra.crypto import TokenDigest, token_digest
from sms2fa_app.backend.services import Services
from sms2fa_app.reflex_adapter import delta_key, page_change_event_name
from sms2fa_app.state import session as session_module
from sms2fa_app.state.browser_tokens import BrowserTokens
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.session import _HYDRATE, SessionState
from tests.support import reflex_internals
from tests.support.factories import PASSWORD, create_user
from tests.support.states import make_state, redirect_path, run

TICKET_KEY = delta_key("cookie_ticket")


def root_of(state: Any) -> Any:
    while state.parent_state is not None:
        state = state.parent_state
    return state


def on_connection(state: Any, sid: str) -> None:
    """The next events come over the websocket connection `sid`."""
    root = root_of(state)
    reflex_internals.set_router_data(root, {"sid": sid, "token": "tab-1"})


@pytest.fixture
def handshakes(monkeypatch: pytest.MonkeyPatch) -> dict[str, BrowserCredentials]:
    """connection id -> the credentials its handshake's cookies carried (none for an unknown connection)."""
    known: dict[str, BrowserCredentials] = {}
    monkeypatch.setattr(session_module, "_handshake_credentials", lambda sid: known.get(sid, BrowserCredentials()))
    return known


def cookies(session: str = "", device: str = "") -> BrowserCredentials:
    return BrowserCredentials(TokenDigest.of(session), TokenDigest.of(device))


async def receive(state: Any, name: str, payload: dict[str, Any] | None = None) -> rx.event.Event:
    """Run the middleware for one event of the current connection; returns the event as the handler gets it."""
    event = rx.event.Event(name=name, payload=payload or {})
    assert await BrowserTokens().preprocess(None, root_of(state), event) is None
    return event


def signed_in(services: Services) -> str:
    create_user(services)
    issued = services.accounts.log_in("ada@example.com", PASSWORD).issued
    assert issued is not None
    return issued.token


def ticket_in(delta: dict[str, Any]) -> str:
    return delta.get(SessionState.get_full_name(), {}).get(TICKET_KEY, "")


async def test_the_hydrate_binds_the_handshake_cookie_and_keeps_only_its_digest(
    services: Services, handshakes: dict[str, BrowserCredentials]
) -> None:
    token = signed_in(services)
    state = make_state(LoginState)
    on_connection(state, "sid-a")
    handshakes["sid-a"] = cookies(token)
    await receive(state, _HYDRATE, {"vars": {}})
    assert state._session_binding == ("sid-a", token_digest(token))
    assert token not in repr(root_of(state).__dict__) and token.encode() not in pickle.dumps(root_of(state))
    assert (await state._session()) is not None


async def test_another_connection_with_the_same_tab_gets_nothing_and_clears_the_page(
    services: Services, handshakes: dict[str, BrowserCredentials]
) -> None:
    token = signed_in(services)
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    handshakes["sid-a"] = cookies(token)
    await receive(state, _HYDRATE)
    state.signed_in_email = "ada@example.com"

    on_connection(state, "sid-replay")  # the tab id, replayed: no hydrate, straight to a handler
    await receive(state, f"{SessionState.get_full_name()}.require_authenticated")
    assert state._token() is None and state._session_binding == ("", "")
    assert state.signed_in_email == ""
    events = await run(state.require_authenticated())
    assert redirect_path(events) == "/login"
    assert not ticket_in(root_of(state).get_delta())  # nothing is sent to clear the real browser's cookie either


async def test_a_reconnect_that_delivers_the_same_cookie_keeps_the_page(
    services: Services, handshakes: dict[str, BrowserCredentials]
) -> None:
    token = signed_in(services)
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    handshakes["sid-a"] = handshakes["sid-b"] = cookies(token)
    await receive(state, _HYDRATE)
    state.signed_in_email = "ada@example.com"
    on_connection(state, "sid-b")  # a new socket after a worker restart: the browser hydrates first
    await receive(state, _HYDRATE)
    assert state.signed_in_email == "ada@example.com"
    assert state._session_binding == ("sid-b", token_digest(token))


async def test_a_hydrate_without_the_cookie_or_with_another_one_clears_the_page(
    services: Services, handshakes: dict[str, BrowserCredentials]
) -> None:
    token = signed_in(services)
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    handshakes["sid-a"] = cookies(token)
    await receive(state, _HYDRATE)
    state.signed_in_email = "ada@example.com"
    on_connection(state, "sid-b")
    await receive(state, _HYDRATE)  # hydrate with a stolen tab id, without the browser's cookie
    assert state.signed_in_email == "" and state._token() is None

    on_connection(state, "sid-c")
    handshakes["sid-c"] = cookies(token)
    await receive(state, _HYDRATE)
    state.signed_in_email = "ada@example.com"
    on_connection(state, "sid-d")
    handshakes["sid-d"] = cookies("another-browser-token")
    await receive(state, _HYDRATE)
    assert state.signed_in_email == ""


async def test_other_events_of_the_connection_keep_its_credentials(
    services: Services, handshakes: dict[str, BrowserCredentials]
) -> None:
    token = signed_in(services)
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    handshakes["sid-a"] = cookies(token, "device-token")
    await receive(state, _HYDRATE)
    await receive(state, page_change_event_name(), {"vars": {}})
    await receive(state, f"{SessionState.get_full_name()}.require_authenticated")
    assert state._device() is not None and state._token() is not None


async def test_a_token_issued_on_the_connection_outlives_its_older_handshake_cookie(
    services: Services, handshakes: dict[str, BrowserCredentials]
) -> None:
    """The server binds what it issues to the issuing connection; a later hydrate on that same connection still
    carries the handshake's older cookie (or none), which must not undo the sign-in."""
    create_user(services)
    state = make_state(LoginState)
    on_connection(state, "sid-a")
    await receive(state, _HYDRATE)  # no cookie yet
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    issued = state._session_binding
    await receive(state, _HYDRATE)
    assert state._session_binding == issued and (await state._session()) is not None


async def test_an_issued_token_reaches_the_browser_only_as_a_ticket_and_never_stays(services: Services) -> None:
    create_user(services)
    state = make_state(LoginState)
    on_connection(state, "sid-a")
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    issued = state._session_token
    assert issued and state._session_binding == ("sid-a", token_digest(issued))
    assert issued.encode() not in pickle.dumps(state.parent_state.parent_state)  # what Redis would store
    delta = root_of(state).get_delta()
    ticket = ticket_in(delta)
    assert ticket and issued not in str(delta)
    assert services.cookie_tickets.redeem(ticket).session_token == issued
    assert state._session_token == ""
    reflex_internals.mark_delivered(root_of(state))  # Reflex cleans the tree once the update is delivered
    assert not ticket_in(root_of(state).get_delta())  # sent once
    assert (await state._session()) is not None  # the digest still resolves on this connection


async def test_logging_out_clears_the_cookie_only_on_the_connection_that_delivered_it(
    services: Services, handshakes: dict[str, BrowserCredentials]
) -> None:
    token = signed_in(services)
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    handshakes["sid-a"] = cookies(token)
    await receive(state, _HYDRATE)
    await state._forget()
    grant = services.cookie_tickets.redeem(ticket_in(root_of(state).get_delta()))
    assert grant is not None and grant.clear_session == token_digest(token) and not grant.session_token

    fresh = make_state(SessionState)  # e.g. a state that expired: this connection delivered nothing yet
    on_connection(fresh, "sid-b")
    await fresh._forget()
    assert not ticket_in(root_of(fresh).get_delta())


async def test_the_first_token_a_state_sees_clears_nothing(
    services: Services, handshakes: dict[str, BrowserCredentials]
) -> None:
    """A fresh state (a new tab, or one that expired) holds nobody's values: binding its first token resets no
    page state (with Redis that would load every page state of the tab)."""
    token = signed_in(services)
    login = make_state(LoginState)
    login.error = "shown before the token arrived"
    on_connection(login, "sid-a")
    handshakes["sid-a"] = cookies(token)
    await receive(login, _HYDRATE)
    assert login.error == "shown before the token arrived"
