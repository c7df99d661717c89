"""The base state: the browser's credentials, bound to the connection that delivered them, resolved on the server
for every guard and handler. This module alone decides whose credentials a handler sees.

The browser keeps its session token and its remembered-device token in HttpOnly cookies, which no script of the
page can read (api/session_cookie.py sets and clears them). Its websocket's handshake carries them: api/socket_path.py
refuses a handshake from another site's page, takes the Cookie header out before Reflex copies the headers into
state it stores, and leaves their SHA-256 digests in the connection's ASGI scope. The hydrate event that opens
every connection binds those digests to the connection (socket.io session) in the state: a handler sees a
credential only when its own event came over that connection, so a Reflex tab id replayed from another connection
(it travels in the websocket URL) reaches nothing, during or after the tab's life.

A token the server issues (sign-in, step-up, remembered device) is bound to the issuing connection at once, and
reaches the browser as a single-use ticket (backend/identity/cookie_tickets.py) in the handler's own update, which
the page trades for its cookies; `get_delta` makes the ticket while it builds that update and keeps nothing of the
raw token. A logout's update carries a ticket that clears the cookie.

The BrowserTokens middleware (state/browser_tokens.py), which hands every event to `_admit`, also refuses
Reflex's generic `setvar` handler before any handler runs: every state has it, it sets any var that has a setter
by a name the browser picks, and each call for one without a setter logged a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import reflex as rx

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.backend.identity.cookie_tickets import CookieGrant
from sms2fa_app.backend.identity.session_cookie import HANDSHAKE_SCOPE_KEY, NO_CREDENTIALS, BrowserCredentials
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


# Each browser credential: the backend var holding its (connection, digest) binding, and the one holding a token
# this handler issued until its ticket is made (get_delta).
BINDINGS = {"session": "_session_binding", "device": "_device_binding"}
ISSUED = {"session": "_session_token", "device": "_device_token"}
UNBOUND = ("", "")


class SessionState(rx.State):
    """The login token lives in an HttpOnly cookie (scripts cannot read it; SameSite=Lax keeps other sites' posts
    without it); the server keeps its digest, bound to the delivering connection, and resolves it for every
    handler."""

    # A ticket for the browser's cookies and where to go once it is traded: set in one update only (get_delta),
    # "" in the state.
    cookie_ticket: str = ""
    cookie_return_to: str = ""
    # (connection id, SHA-256) of each credential as the handshake delivered it or the server issued it.
    _session_binding: tuple[str, str] = UNBOUND
    _device_binding: tuple[str, str] = UNBOUND
    # A token issued in this handler, raw only until the update is built; never stored (__getstate__).
    _session_token: str = ""
    _device_token: str = ""
    # (connection, digest) of a session that ended here: the browser drops its cookie if it still holds it.
    _cookie_to_clear: tuple[str, str] = UNBOUND
    # forward-auth's `rd`, checked: the page of another app to return to once signed in (and the ticket traded).
    _return_url: str = ""
    _return_after_cookie: str = ""
    _return_signed_in: str = ""  # `rd` for a browser signed in already: sent once as cookie_return_to, no ticket
    _return_refused: bool = False  # `rd` asked more than the session has: the dashboard says so, once
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

    def _issue(self, kind: str, token: str) -> None:
        """Bind a token the server just made to this connection; its ticket goes in this handler's update."""
        digest = TokenDigest.of(token)
        setattr(self, BINDINGS[kind], (self._connection(), digest.hex) if digest else UNBOUND)
        setattr(self, ISSUED[kind], token)

    def _adopt(self, issued: IssuedSession) -> None:
        """Give the browser a newly issued session token."""
        self._issue("session", issued.token)

    def _remember_device(self, token: str) -> None:
        """Give the browser a newly issued remembered-device token."""
        self._issue("device", token)

    def _bound(self, kind: str) -> TokenDigest | None:
        """The digest of the browser's credential `kind`, if this connection delivered it (or was issued it)."""
        connection, digest = getattr(self, BINDINGS[kind])
        return TokenDigest(digest) if digest and connection == self._connection() else None

    async def _clear_private(self) -> None:
        """Reset every per-user value this state and the page states hold (not the browser's tokens)."""
        self.signed_in_email = ""
        self.next_path = ""
        self._return_url = ""
        for state_class in SessionState.get_substates():
            await self._reset_states_from(state_class)

    async def _reset_states_from(self, top: type[rx.State]) -> None:
        """Reset `top` and every state below it to their defaults (a page's per-user values)."""
        pending = [top]
        while pending:
            state_class = pending.pop()
            pending.extend(state_class.get_substates())
            (await self.get_state(state_class)).reset()

    async def _forget(self) -> None:
        """Sign this browser out: drop its session cookie (when this connection had delivered or been issued it)
        and every per-user value the page states hold, so the next page shows nothing private. A connection that
        delivered no credential leaves the browser's cookie alone: its state may just have expired."""
        bound = self._bound("session")
        if bound is not None:
            self._cookie_to_clear = (self._connection(), bound.hex)
        self._session_token = ""
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
        """Before every event (BrowserTokens): a hydrate (a connection's first event) binds the credentials its
        handshake carried; any other event voids bindings and private values made on another connection."""
        connection = self._connection()
        if event.name == _HYDRATE:
            await self._bind_handshake(_handshake_credentials(connection), connection)
            return
        if any(getattr(self, binding)[0] not in ("", connection) for binding in BINDINGS.values()):
            self._session_binding = self._device_binding = UNBOUND
            await self._clear_private()

    async def _bind_handshake(self, credentials: BrowserCredentials, connection: str) -> None:
        """Bind the handshake's credentials to `connection`, except one already bound on it: the server issued it
        on this connection after the handshake, so it is newer than the handshake's cookie."""
        delivered = {"session": credentials.session, "device": credentials.device}
        await self._bind(delivered, connection, keep_issued=True)

    async def _bind(self, delivered: dict[str, TokenDigest | None], connection: str, *, keep_issued: bool) -> None:
        """Bind each delivered credential's digest to `connection` (with `keep_issued`, not over one already bound
        on it); values shown so far for another session go."""
        for kind, digest in delivered.items():
            bound_on, bound_digest = getattr(self, BINDINGS[kind])
            if keep_issued and bound_digest and bound_on == connection:
                continue
            binding = (connection, digest.hex) if digest else UNBOUND
            bound = self._session_binding[1]
            if kind == "session" and bound and bound != binding[1]:
                await self._clear_private()  # the values shown so far were another credential's
            setattr(self, BINDINGS[kind], binding)

    def _leave_signed_in(self, path: str, session: ActiveSession) -> list:
        """Where a completed sign-in goes: forward-auth's `rd` (another app) once the page has traded the ticket
        for its cookie, which that app's proxy checks; else `path` here (the dashboard, for an `rd` it cannot pass)."""
        back, self._return_url = self._return_url, ""
        if back and self._reaches(back, session):
            self._return_after_cookie = back
            return []  # the page goes there itself (components/session_cookie.js)
        return [rx.redirect(DASHBOARD_PATH if back else path)]

    def _reaches(self, url: str, session: ActiveSession) -> bool:
        """Whether `session` passes the rule of `url`; if not, going there would loop back to this login."""
        reaches = self._services().forward_auth.admits(session.assurance.level, url)
        self._return_refused = not reaches
        return reaches

    def _keep_return_url(self, requested: object) -> None:
        """Remember forward-auth's `rd` from the login page's address for after the sign-in, if it is safe."""
        self._return_url = self._services().return_targets.safe(requested) or ""

    @internals.override_base_method  # Reflex builds each update through get_delta, so overriding it is supported
    def get_delta(self) -> dict[str, dict[str, Any]]:
        """The update for the browser, with the ticket for what this handler issued or ended; the raw tokens are
        gone from the state before the update is built. Reflex sends an update to whichever socket holds the tab
        id when it is sent: a ticket goes only while that is still the connection it was made for (else a
        replayed tab id that just took the tab would get it)."""
        grant, return_to = self._ticket_grant()
        delta = super().get_delta()
        if grant:
            mine = delta.setdefault(self.get_full_name(), {})
            mine[internals.delta_key("cookie_ticket")] = self._services().cookie_tickets.issue(grant)
            mine[internals.delta_key("cookie_return_to")] = return_to
        elif self._return_signed_in:
            delta.setdefault(self.get_full_name(), {})[internals.delta_key("cookie_return_to")] = self._return_signed_in
            self._return_signed_in = ""
        return delta

    def _ticket_grant(self) -> tuple[CookieGrant, str]:
        """Take what this handler issued or ended out of the state: the grant for the browser's ticket (what still
        goes to the connection it was made for) and the page to go to once it is traded."""
        tab = self.router.session.client_token
        tokens = {}
        for kind, issued in ISSUED.items():
            token = getattr(self, issued)
            if not token:
                continue
            setattr(self, issued, "")
            if _socket_of_tab_is(tab, getattr(self, BINDINGS[kind])[0]):
                tokens[kind] = token
            else:
                setattr(self, BINDINGS[kind], UNBOUND)
                log_event(log, logging.WARNING, "token_withheld", reason="tab_taken_by_another_connection")
        clear_connection, clear = self._cookie_to_clear
        if clear:
            self._cookie_to_clear = UNBOUND
            clear = clear if _socket_of_tab_is(tab, clear_connection) else ""
        return_to = self._return_after_cookie
        if return_to:
            self._return_after_cookie = ""
        grant = CookieGrant(tokens.get("session", ""), tokens.get("device", ""), clear)
        return grant, return_to if grant.session_token else ""

    @internals.override_base_method
    def __getstate__(self) -> dict[str, Any]:
        """What Redis stores: never a raw token (get_delta has dropped them already; this holds if it has not)."""
        fields = dict(super().__getstate__())
        for name in ISSUED.values():
            if fields.get(name):
                fields[name] = ""
        return fields

    def _login_path_back_to_here(self) -> str:
        """/login, remembering the protected page that was asked for."""
        here = safe_next_path(self.router.url.path)
        return f"{LOGIN_PATH}?next={quote(here)}" if here and here != DASHBOARD_PATH else LOGIN_PATH

    def _token(self) -> TokenDigest | None:
        """The digest of the session token this connection delivered, if any."""
        return self._bound("session")

    def _device(self) -> TokenDigest | None:
        """The digest of the remembered-device token this connection delivered, if any."""
        return self._bound("device")

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
        from sms2fa_app.state.language import LanguageState  # it imports this module: imported here

        await (await self.get_state(LanguageState))._follow_user(user)  # the user's chosen language, no read of its own
        return None, found

    async def redirect_if_signed_in(self):
        """on_load of login and sign-up: a signed-in user goes to the dashboard, or back to forward-auth's `rd`."""
        try:
            session = await self._session()
        except ServiceUnavailable:
            return None
        query = self.router.url.query_parameters
        if session is not None and session.is_authenticated and query.get("prompt") != "login":
            back = self._services().return_targets.safe(query.get("rd"))
            if not back or not self._reaches(back, session):
                return rx.redirect(DASHBOARD_PATH)
            if urlsplit(back).netloc != urlsplit(self._services().settings.base_url).netloc:
                return rx.redirect(back)  # another host: the page loads it whole
            self._return_signed_in = back  # this host: the router would look for it among this bundle's pages
        return None  # (with `prompt=login` too: the OpenID provider asks this signed-in browser to sign in again)

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


def _socket_of_tab_is(tab: str, connection: str) -> bool:
    """Whether this worker's websocket for the tab is `connection` (True when no app serves sockets: tests)."""
    sockets = internals.tab_sockets()
    return sockets is None or sockets.get(tab) == connection


def _handshake_credentials(connection: str) -> BrowserCredentials:
    """The credentials the handshake of websocket `connection` carried (api/socket_path.py left them in its
    scope); none when there is no such connection here (tests build states without one)."""
    scope = internals.connection_scope(connection)
    found = scope.get(HANDSHAKE_SCOPE_KEY) if scope is not None else None
    return found if isinstance(found, BrowserCredentials) else NO_CREDENTIALS
