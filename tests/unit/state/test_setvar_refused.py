"""Reflex's generic `setvar` handler is refused for every state (issue 20, finding 11).

Every state has it, and the browser may call it with any variable name: one that has no setter raised inside
Reflex and wrote a long traceback per call (a cheap way to flood the log); one that has a setter (the root
state's `is_hydrated`) was set. The app calls no `setvar`, so the middleware refuses it before any handler runs.

`dispatch` does what Reflex's event processor does with an event: the app's middleware first (an update it
returns answers the event), else the handler, and an exception goes to the app's backend exception handler.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import reflex as rx

from sms2fa_app.state.browser_tokens import BrowserTokens
from sms2fa_app.state.errors import on_backend_error
from sms2fa_app.state.login import LoginState
from tests.support import reflex_internals
from tests.support.states import make_state
from tests.unit.state.test_session_binding import on_connection, root_of

CALLS = 50


async def dispatch(root: Any, state_class: type[rx.State], payload: dict[str, Any]) -> None:
    """One `setvar` event for `state_class`, processed as Reflex processes it."""
    event = rx.event.Event(name=f"{state_class.get_full_name()}.setvar", payload=payload)
    if await BrowserTokens().preprocess(None, root, event) is not None:
        return  # answered by the middleware: no handler runs
    substate = root.get_substate(state_class.get_full_name().split(".")[1:]) if state_class is not rx.State else root
    try:
        await reflex_internals.process_event(state_class.event_handlers["setvar"], dict(event.payload), substate, root)
    except Exception as error:  # what Reflex's processor does with any handler's exception
        on_backend_error(error)


async def test_setvar_changes_nothing_and_many_calls_log_one_short_line(caplog: pytest.LogCaptureFixture) -> None:
    login = make_state(LoginState)
    root = root_of(login)
    on_connection(login, "sid-a")
    caplog.set_level(logging.DEBUG)
    for _ in range(CALLS):
        await dispatch(root, LoginState, {"var_name": "error", "value": "forged"})
        await dispatch(root, rx.State, {"var_name": "is_hydrated", "value": True})
    assert login.error == "" and root.is_hydrated is False
    lines = [record for record in caplog.records if record.name.startswith("sms2fa")]
    assert [record.getMessage().split()[0] for record in lines] == ["event=setvar_refused"], [
        record.getMessage()[:120] for record in lines
    ]
    assert lines[0].exc_info is None and "\n" not in lines[0].getMessage()
    assert all("forged" not in record.getMessage() for record in caplog.records)
