"""Reflex's generic `setvar`, sent by a bare websocket client to the production app, changes nothing and costs the
log at most one short line however often it comes (issue 20, finding 11; the unit test is
tests/unit/state/test_setvar_refused.py). Before, each one wrote the backend error's traceback."""

from __future__ import annotations

import time

import pytest
import reflex as rx

from sms2fa_app.reflex_adapter import delta_key, hydrate_event_name
from sms2fa_app.state.login import LoginState
from tests.e2e.conftest import RunningApp
from tests.support import reflex_internals
from tests.support.reflex_client import ReflexClient, handler_name

pytestmark = pytest.mark.e2e

CALLS = 40
FORGED = "forged-by-setvar"


def test_setvar_from_a_bare_client_changes_nothing_and_logs_one_short_line(app: RunningApp) -> None:
    log_start = app.log_path.stat().st_size
    hydrate = hydrate_event_name()
    with ReflexClient(app.url) as client:
        client.call(hydrate, {"vars": {}}, path="/login")
        for _ in range(CALLS):
            client.send(handler_name(LoginState, "setvar"), {"var_name": "error", "value": FORGED}, path="/login")
            client.send(handler_name(rx.State, "setvar"), {"var_name": "is_hydrated", "value": FORGED}, path="/login")
        after = client.call(hydrate, {"vars": {}}, path="/login")  # queued behind them: the whole state again
        assert FORGED not in client.everything()
    login_vars = after.delta[LoginState.get_full_name()]
    assert login_vars[delta_key("error")] == ""
    time.sleep(1)  # the app's log is written by its own process
    with app.log_path.open("rb") as log:
        log.seek(log_start)
        lines = log.read().decode(errors="replace").splitlines()
    mentions = [line for line in lines if "setvar" in line or "Traceback" in line or "backend_error" in line]
    assert len(mentions) <= 1 and "event=setvar_refused" in mentions[0], "\n".join(mentions[:20])


# Review round 2, M3: what else a bare client makes Reflex log. Before: the whole event, payload included, and a
# traceback for each unknown name; a traceback for each call with wrong arguments; the browser's text verbatim.
PAYLOAD_MARK = "floodpayload"
INJECTED = "event=login_ok user=admin"
MAX_NEW_LINES = 80  # a few short lines per kind and one traceback per exception type, whatever the number of calls
MAX_LINE_CHARS = 400


def _new_log_lines(app: RunningApp, start: int) -> list[str]:
    time.sleep(1)  # the app's log is written by its own process
    with app.log_path.open("rb") as log:
        log.seek(start)
        return log.read().decode(errors="replace").splitlines()


def test_unknown_events_bad_arguments_and_browser_errors_cost_the_log_a_few_short_lines(app: RunningApp) -> None:
    log_start = app.log_path.stat().st_size
    hydrate = hydrate_event_name()
    big = {"var_name": "error", "value": PAYLOAD_MARK * 20_000}  # 240 kB
    frontend_error = reflex_internals.frontend_exception_event_name()
    with ReflexClient(app.url) as client:
        client.call(hydrate, {"vars": {}}, path="/login")
        for number in range(CALLS):
            client.send(handler_name(LoginState, "SetVar"), big, path="/login")
            client.send(handler_name(LoginState, f"no_such_handler_{number}"), big, path="/login")
            client.send(handler_name(LoginState, "reset_form"), {"junk": PAYLOAD_MARK * 1000}, path="/login")
            client.send(frontend_error, {"info": f"TypeError: x\n{INJECTED}", "component_stack": ""}, path="/login")
        client.call(hydrate, {"vars": {}}, path="/login")  # queued behind them: the app is still answering
    lines = _new_log_lines(app, log_start)
    assert len(lines) <= MAX_NEW_LINES, "\n".join(line[:200] for line in lines[:40])
    assert max(map(len, lines)) <= MAX_LINE_CHARS
    assert not [line for line in lines if PAYLOAD_MARK * 3 in line]
    assert not [line for line in lines if line.startswith(INJECTED)]
    assert sum("Traceback" in line for line in lines) <= 2  # TypeError's once a minute; KeyError's never
