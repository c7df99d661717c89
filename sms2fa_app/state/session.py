"""The base state: the browser's tokens, bound to the connection that delivered them, resolved on the server for
every guard and handler. This module alone decides whose tokens a handler sees.

The browser keeps its session token and its remembered-device token in localStorage and sends them when its
websocket connects (Reflex's hydrate event) and at every page change. `BrowserTokens`, a Reflex middleware, takes
them out of those events before Reflex stores them: Reflex state (memory or Redis) keeps only their SHA-256 digests,
each with the id of the connection (socket.io session) that delivered it. A handler sees a token only when its own
event came over that connection, so a Reflex tab id replayed from another connection (it travels in the websocket
URL) reaches nothing, during or after the tab's life. A token the server issues travels to the browser in the
handler's own update and is dropped from the state as soon as that update is built (`get_delta`).

The same middleware refuses Reflex's generic `setvar` handler before any handler runs: every state has it, it sets
any var that has a setter by a name the browser picks, and each call for one without a setter logged a traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import reflex as rx

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.backend.identity.sessions import ActiveSession, IssuedSession, ResolvedSession
from sms2fa_app.backend.infra.crypto import TokenDigest
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services, get_services
from sms2fa_app.state import words
from sms2fa_app.state.link_address import take_link_token
from sms2fa_app.state.runner import run_backend

log = logging.getLogger("sms2fa.state")

LOGIN_PATH = "/login"
DASHBOARD_PATH = "/dashboard"
CHALLENGE_PATH = "/2fa-challenge"


def safe_next_path(path: str | None) -> str:
    """A same-site path to return to after login, or "" (no scheme, host, '//' or backslash tricks)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 200:
        return ""
    if any(ord(char) < 0x21 for char in path) or path.startswith((LOGIN_PATH, CHALLENGE_PATH)):
        return ""
    return path


# The browser's tokens (localStorage vars) and the backend var holding each one's (connection, digest) binding.
BROWSER_TOKENS = {"session_token": "_session_binding", "device_token": "_device_binding"}
UNBOUND = ("", "")


class SessionState(rx.State):
    """The login token lives in the browser's localStorage (never sent with HTTP requests, so no CSRF surface);
    the server keeps its digest, bound to the delivering connection, and resolves it for every handler."""

    # Written to the browser only: the server-side value is "" except while an issued token is on its way.
    session_token: str = rx.LocalStorage("", name="sms2fa_session")
    # A remembered device's random token (its hash is on the server); kept across logouts on purpose.
    device_token: str = rx.LocalStorage("", name="sms2fa_device")
    # (connection id, SHA-256) of each token as the browser delivered it or the server issued it.
    _session_binding: tuple[str, str] = UNBOUND
    _device_binding: tuple[str, str] = UNBOUND
    signed_in_email: str = ""
    next_path: str = ""
    # Said once by the login page: "You've been logged out." or "Log in to continue." (kept across _forget).
    _login_notice: str = ""
    # (path, SHA-256) of the emailed link's token the page's address carried: the raw token is never stored.
    _link_binding: tuple[str, str] = UNBOUND

    @staticmethod
    def _services() -> Services:
        return get_services()

    def _client_ip(self) -> str:
        return self.router.session.client_ip or ""

    def _user_agent(self) -> str:
        return self.router.headers.user_agent or ""

    def _connection(self) -> str:
        """The id of the websocket connection (socket.io session) this event came over.

        Read from the event's own context where Reflex set one: a background handler's state, reloaded under
        `async with self`, names the connection of the tab's latest event, which may be another's."""
        connection = internals.event_connection_id()  # None outside an event: tests call handlers directly
        return connection or self.router.session.session_id or ""

    def _tab_served_by(self, connection: str) -> bool:
        """Whether the tab's state (read under the lock) still serves `connection`: no event of another connection
        has come since. A slow handler's `apply` writes nothing otherwise: its update would go to that other
        connection's socket, and what it wrote would stay in a state that connection reads."""
        return (self.router.session.session_id or "") == connection

    def _issue(self, name: str, token: str) -> None:
        """Send a token the server just made to the browser, bound to this connection; the state keeps its digest."""
        digest = TokenDigest.of(token)
        setattr(self, BROWSER_TOKENS[name], (self._connection(), digest.hex) if digest else UNBOUND)
        setattr(self, name, token)  # in this handler's update only: get_delta drops it from the state

    def _adopt(self, issued: IssuedSession) -> None:
        """Keep a newly issued session token in the browser."""
        self._issue("session_token", issued.token)

    def _remember_device(self, token: str) -> None:
        """Keep a newly issued remembered-device token in the browser."""
        self._issue("device_token", token)

    def _bound(self, name: str) -> TokenDigest | None:
        """The digest of the browser's token `name`, if this connection delivered it (or was issued it)."""
        connection, digest = getattr(self, BROWSER_TOKENS[name])
        return TokenDigest(digest) if digest and connection == self._connection() else None

    async def _clear_private(self) -> None:
        """Reset every per-user value this state and the page states hold (not the browser's tokens)."""
        self.signed_in_email = ""
        self.next_path = ""
        pending = list(SessionState.get_substates())
        while pending:
            state_class = pending.pop()
            pending.extend(state_class.get_substates())
            (await self.get_state(state_class)).reset()

    async def _forget(self) -> None:
        """Sign this browser out: drop its session token (when it had delivered one) and every per-user value the
        page states hold, so the next page shows nothing private. A connection that delivered no token leaves the
        browser's storage alone: its state may just have expired."""
        if self._bound("session_token") is not None:
            self.session_token = ""  # the browser removes its copy
        self._session_binding = UNBOUND
        await self._clear_private()

    def _take_link_token(self) -> None:
        """Before every event (BrowserTokens): take an emailed link's token out of the router data Reflex keeps of
        the page's address, and keep its digest for the page's on_load (none when the address has no token)."""
        digest = TokenDigest.of(take_link_token(internals.root_state(self)))
        self._link_binding = (self.router.url.path, digest.hex) if digest else UNBOUND

    def _opened_link(self) -> str:
        """on_load of a link's page: the digest (hex) of the token its address carried, or ""."""
        path, digest = self._link_binding
        return digest if path == self.router.url.path else ""

    async def _admit(self, event: rx.event.Event) -> None:
        """Before every event (BrowserTokens): take the browser's tokens out of a hydrate or page-change event and
        bind their digests to this connection; forget bindings and private values that belong to another."""
        connection = self._connection()
        delivered = _take_browser_tokens(event)
        if delivered is None:  # any other event: a binding made on another connection is void here
            if any(getattr(self, binding)[0] not in ("", connection) for binding in BROWSER_TOKENS.values()):
                self._session_binding = self._device_binding = UNBOUND
                await self._clear_private()
            return
        for name, value in delivered.items():
            digest = TokenDigest.of(value)
            binding = (connection, digest.hex) if digest else UNBOUND
            bound = self._session_binding[1]
            if name == "session_token" and bound and bound != binding[1]:
                await self._clear_private()  # the values shown so far were another credential's
            setattr(self, BROWSER_TOKENS[name], binding)

    @internals.override_base_method  # Reflex builds each update through get_delta, so overriding it is supported
    def get_delta(self) -> dict[str, dict[str, Any]]:
        """The update for the browser; an issued token is in it once and then gone from the state. Reflex sends
        an update to whichever socket holds the tab id when it is sent: an issued token goes only while that is
        still the connection it was issued to (else a replayed tab id that just took the tab would get it)."""
        delta = super().get_delta()
        for name, binding in BROWSER_TOKENS.items():
            if internals.stored_value(self, name):
                internals.store_quietly(self, name, "")  # not marked dirty: the browser keeps what it was just sent
                connection = getattr(self, binding)[0]
                if not _socket_of_tab_is(self.router.session.client_token, connection):
                    mine = delta.get(self.get_full_name(), {})
                    for key in (name, internals.delta_key(name)):
                        mine.pop(key, None)
                    setattr(self, binding, UNBOUND)
                    log_event(log, logging.WARNING, "token_withheld", reason="tab_taken_by_another_connection")
        return delta

    @internals.override_base_method
    def __getstate__(self) -> dict[str, Any]:
        """What Redis stores: never a raw token (get_delta has dropped it already; this holds if it has not)."""
        fields = dict(super().__getstate__())
        for name in BROWSER_TOKENS:
            if fields.get(name):
                fields[name] = ""
        return fields

    def _login_path_back_to_here(self) -> str:
        """/login, remembering the protected page that was asked for."""
        here = safe_next_path(self.router.url.path)
        return f"{LOGIN_PATH}?next={quote(here)}" if here and here != DASHBOARD_PATH else LOGIN_PATH

    def _token(self) -> TokenDigest | None:
        """The digest of the session token this connection delivered, if any."""
        return self._bound("session_token")

    def _device(self) -> TokenDigest | None:
        """The digest of the remembered-device token this connection delivered, if any."""
        return self._bound("device_token")

    async def _session(self) -> ActiveSession | None:
        """The server-side session behind the browser's token, or None (no thread hop without a token)."""
        token = self._token()
        return await run_backend(self._services().sessions.resolve, token) if token else None

    async def _session_and_user(self) -> tuple[ActiveSession, User | None] | None:
        """The server-side session behind the browser's token and its user, in one query, or None."""
        found = await self._session_user_and()
        return None if found is None else (found.session, found.user)

    async def _session_user_and(self, facts: Mapping[str, Any] | None = None) -> ResolvedSession | None:
        """The session, its user and `facts` about them (a page's counts) in one statement, or None."""
        token = self._token()
        return await run_backend(self._services().sessions.resolve_with_facts, token, facts) if token else None

    async def _signed_in(self) -> tuple[ActiveSession, User] | None:
        """The authenticated session and its user, checked on the server for every handler."""
        found = await self._session_and_user()
        if found is None or not found[0].is_authenticated or found[1] is None:
            return None
        return found[0], found[1]

    async def require_authenticated(self):
        """on_load guard of protected pages: no session -> login; second factor pending -> challenge."""
        redirect, _signed_in = await self._guard_page()
        return redirect

    async def _guard_page(self) -> tuple[rx.event.EventSpec | None, tuple[ActiveSession, User] | None]:
        """(redirect, None) when the page must not show; (None, (session, user)) for a fully signed-in user."""
        redirect, found = await self._guard_page_with()
        return redirect, None if found is None or found.user is None else (found.session, found.user)

    async def _guard_page_with(
        self, facts: Mapping[str, Any] | None = None
    ) -> tuple[rx.event.EventSpec | None, ResolvedSession | None]:
        """`_guard_page`, with `facts` about the signed-in user read in the same statement as the session."""
        try:
            found = await self._session_user_and(facts)
        except ServiceUnavailable:
            return rx.redirect(LOGIN_PATH), None
        session, user = (found.session, found.user) if found is not None else (None, None)
        if session is None or user is None:
            await self._forget()
            self._login_notice = words.login.LOG_IN_TO_CONTINUE
            return rx.redirect(self._login_path_back_to_here()), None
        if not session.is_authenticated:  # the second factor is still to come
            return rx.redirect(CHALLENGE_PATH), None
        self.signed_in_email = user.email
        return None, found

    async def redirect_if_signed_in(self):
        """on_load of login and sign-up: a signed-in user goes to the dashboard."""
        try:
            session = await self._session()
        except ServiceUnavailable:
            return None
        if session is not None and session.is_authenticated:
            return rx.redirect(DASHBOARD_PATH)
        return None

    async def log_out(self):
        """End the server-side session and forget the token."""
        try:
            await run_backend(self._services().sessions.end, self._token())
        except ServiceUnavailable:
            log_event(log, logging.WARNING, "logout_failed", reason="unavailable")
        await self._forget()
        self._login_notice = words.login.LOGGED_OUT
        return rx.redirect(LOGIN_PATH)


_HYDRATE = internals.hydrate_event_name()  # the first event of every (re)connection
_PAGE_CHANGE = internals.page_change_event_name()  # storage sent at each page change


def _socket_of_tab_is(tab: str, connection: str) -> bool:
    """Whether this worker's websocket for the tab is `connection` (True when no app serves sockets: tests)."""
    sockets = internals.tab_sockets()
    return sockets is None or sockets.get(tab) == connection


def _take_browser_tokens(event: rx.event.Event) -> dict[str, object] | None:
    """The browser's tokens from a hydrate or page-change event, removed from it so Reflex never stores them
    (a hydrate names every token: one the browser lacks is ""); None for any other event."""
    if event.name not in (_HYDRATE, _PAGE_CHANGE):
        return None
    storage = event.payload.get("vars") if isinstance(event.payload, dict) else None
    storage = storage if isinstance(storage, dict) else {}
    delivered: dict[str, object] = dict.fromkeys(BROWSER_TOKENS, "") if event.name == _HYDRATE else {}
    owner = SessionState.get_full_name()
    for key in list(storage):
        state_name, _, var = str(key).rpartition(".")
        name = internals.var_of_delta_key(var)
        if state_name == owner and name in BROWSER_TOKENS:
            delivered[name] = storage.pop(key)
    return delivered


SETVAR = "setvar"  # Reflex's generic setter, on every state; the app never calls it
REFUSAL_LOG_SECONDS = 60.0  # at most one line per worker this often, however many are refused


class _RefusedSetvars:
    """Counts refused `setvar` events and says so in one short line at most every REFUSAL_LOG_SECONDS: a flood of
    them must not become a flood of log lines."""

    def __init__(self) -> None:
        self.unlogged = 0
        self.logged_at = -REFUSAL_LOG_SECONDS

    def refuse(self, event: rx.event.Event) -> internals.StateUpdate:
        self.unlogged += 1
        now = time.monotonic()
        if now - self.logged_at >= REFUSAL_LOG_SECONDS:
            state_name = event.name.rpartition(".")[0].rpartition(".")[2]
            log_event(log, logging.WARNING, "setvar_refused", state=state_name, count=self.unlogged)
            self.unlogged, self.logged_at = 0, now
        return internals.answered_without_change()  # no handler runs, nothing changes


_REFUSED_SETVARS = _RefusedSetvars()


class BrowserTokens(rx.Middleware):
    """Runs before every event (registered by sms2fa_app.py): takes a link's token out of the router data, refuses
    Reflex's `setvar` (any state var by name, and a traceback in the log for each one without a setter), then runs
    SessionState._admit."""

    async def preprocess(self, app: Any, state: Any, event: rx.event.Event) -> internals.StateUpdate | None:
        """Forget a link's raw token first (the state is stored whatever the answer); refuse a `setvar`; else bind
        or void the browser's tokens for this event's connection."""
        session = await state.get_state(SessionState)
        session._take_link_token()
        if event.name.rpartition(".")[2] == SETVAR:
            return _REFUSED_SETVARS.refuse(event)
        await session._admit(event)
        return None
