"""The middleware that runs before every event (registered by sms2fa_app.py) for the browser's tokens: it takes an
emailed link's token out of the router data, refuses Reflex's generic `setvar`, and hands the event to
SessionState._admit to bind or void the browser's credentials for its connection. Kept apart from state/session.py,
which holds the session state itself and what it does with the credentials."""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.state.refusal_log import RefusalLog
from sms2fa_app.state.session import SessionState

SETVAR = "setvar"  # Reflex's generic setter, on every state; the app never calls it
_REFUSED_SETVARS = RefusalLog("setvar_refused")


class BrowserTokens(rx.Middleware):
    """Runs before every event (registered by sms2fa_app.py): takes a link's token out of the router data, refuses
    Reflex's `setvar` (any state var by name, and a traceback in the log for each one without a setter), then runs
    SessionState._admit."""

    async def preprocess(self, app: Any, state: Any, event: rx.event.Event) -> internals.StateUpdate | None:
        """Forget a link's raw token first (the state is stored whatever the answer); refuse a `setvar`; else bind
        or void the browser's credentials for this event's connection."""
        session = await state.get_state(SessionState)
        session._take_link_token()
        if event.name.rpartition(".")[2] == SETVAR:
            _REFUSED_SETVARS.note(state=event.name.rpartition(".")[0].rpartition(".")[2])
            return internals.answered_without_change()  # no handler runs, nothing changes
        await session._admit(event)
        return None
