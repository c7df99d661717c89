"""A slow (background) handler acts for the connection whose event started it, and for nobody else.

Its `work` runs without the state lock; events of other connections may take the tab's state in between (a
Reflex tab id replayed from another connection once the tab's own socket went away: the tab id travels in the
websocket URL). When `apply` then takes the lock, the tab's state names the other connection: whatever `apply`
writes lands in a state that connection reads, and its update goes to that connection's socket. So `apply` must
write nothing then: no token bound to (or sent to) the other connection, no private value left for it to read.
"""

from __future__ import annotations

from typing import Any

import pytest

from sms2fa_app.backend.services import Services
from sms2fa_app.reflex_adapter import delta_key, stored_value
from sms2fa_app.state import login as login_module
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.session import _HYDRATE, SessionState
from tests.support.factories import PASSWORD, create_user
from tests.support.states import make_state, run
from tests.unit.state.test_session_binding import on_connection, receive, root_of

ATTACKER = "sid-replay"


def replay_during_work(monkeypatch: pytest.MonkeyPatch, state: Any, *, hydrate: bool) -> None:
    """While the victim's log_in hashes (without the lock), the replayed tab id's event runs on the tab's state."""
    real = login_module.run_hashing

    async def hashing_then_replay(*args: Any, **kwargs: Any) -> Any:
        result = await real(*args, **kwargs)
        on_connection(state, ATTACKER)
        if hydrate:  # the replaying browser asks for the whole state, with no token of its own
            await receive(state, _HYDRATE, {})
        else:
            await receive(state, f"{SessionState.get_full_name()}.require_authenticated")
        return result

    monkeypatch.setattr(login_module, "run_hashing", hashing_then_replay)


@pytest.mark.parametrize("hydrate", [False, True], ids=["straight-to-a-handler", "hydrate-first"])
async def test_a_connection_that_took_the_tab_during_log_in_gets_no_session(
    services: Services, monkeypatch: pytest.MonkeyPatch, hydrate: bool
) -> None:
    create_user(services)
    state = make_state(LoginState)
    on_connection(state, "sid-victim")
    replay_during_work(monkeypatch, state, hydrate=hydrate)

    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))

    # the tab's state now serves the replaying connection (ATTACKER): it must hold nothing of the victim
    assert state._session_binding[0] != ATTACKER, "the victim's new session was bound to the replaying connection"
    assert state._token() is None and (await state._session()) is None
    delta = root_of(state).get_delta()  # the update that would go to the tab's socket: the replaying one
    sent = delta.get(SessionState.get_full_name(), {}).get(delta_key("cookie_ticket"), "")
    assert not sent, "the victim's new session's ticket went out in the replaying connection's update"
    assert state.loading is False  # the busy flag still comes down


async def test_the_same_connection_still_signs_in(services: Services) -> None:
    """Nothing changes for the connection that started it."""
    create_user(services)
    state = make_state(LoginState)
    on_connection(state, "sid-victim")
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    assert state._session_binding[0] == "sid-victim"
    session = await state._session()
    assert session is not None and session.is_authenticated


async def test_an_issued_token_goes_only_to_the_socket_it_was_issued_to(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reflex sends an update to whichever socket holds the tab id at that moment: if another connection took the
    tab after the victim's socket went away (no event of its own yet), the issued token is withheld."""
    from sms2fa_app.state import session as session_module

    create_user(services)
    state = make_state(LoginState)
    on_connection(state, "sid-victim")
    sockets = {"now": "sid-victim"}
    monkeypatch.setattr(session_module, "_socket_of_tab_is", lambda _tab, connection: connection == sockets["now"])

    async def hashing_then_the_socket_changes(*args: Any, **kwargs: Any) -> Any:
        result = await real(*args, **kwargs)
        sockets["now"] = ATTACKER  # the tab id's socket is now the replaying connection's; no event from it yet
        return result

    real = login_module.run_hashing
    monkeypatch.setattr(login_module, "run_hashing", hashing_then_the_socket_changes)
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))

    delta = root_of(state).get_delta()
    assert not delta.get(SessionState.get_full_name(), {}).get(delta_key("cookie_ticket"), "")
    assert state._token() is None, "a token nobody received must not stay bound"
    assert not stored_value(state, "_session_token")


async def test_the_issued_token_reaches_the_socket_that_asked(services: Services) -> None:
    create_user(services)
    state = make_state(LoginState)
    on_connection(state, "sid-victim")
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    delta = root_of(state).get_delta()
    assert delta.get(SessionState.get_full_name(), {}).get(delta_key("cookie_ticket"), "")
