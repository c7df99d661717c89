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
