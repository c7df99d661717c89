"""The page's half of the credential cookies: trades the websocket's tickets for cookies (session_cookie.js)."""

from __future__ import annotations

import reflex as rx

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.state.session import SessionState

_LIBRARY = rx.asset("session_cookie.js", shared=True).importable_path


class SessionCookie(rx.Component):
    """Renders nothing; posts each new ticket to the cookie endpoint, then goes to `return_to` if there is one."""

    library = _LIBRARY
    tag = "SessionCookie"

    ticket: rx.Var[str]
    return_to: rx.Var[str]
    # Where the ticket sits in the page's state, so the component can empty it once posted.
    state_name: rx.Var[str]
    ticket_key: rx.Var[str]


def session_cookie() -> rx.Component:
    """On every page: whichever page a sign-in, step-up or logout happens on, its ticket is traded."""
    return SessionCookie.create(
        ticket=SessionState.cookie_ticket,
        return_to=SessionState.cookie_return_to,
        state_name=SessionState.get_full_name(),
        ticket_key=internals.delta_key("cookie_ticket"),
    )
