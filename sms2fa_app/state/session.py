"""The base state: the browser's session token, resolved on the server for every guard and handler."""

from __future__ import annotations

import logging
from urllib.parse import quote

import reflex as rx
from reflex_base.event import EventSpec

from sms2fa_app.backend.identity.sessions import ActiveSession, IssuedSession, Stage
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services, get_services
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


class SessionState(rx.State):
    """Holds the login token in localStorage (never sent with HTTP requests, so no CSRF surface;
    the server keeps only its hash) and resolves it on the server."""

    session_token: str = rx.LocalStorage("", name="sms2fa_session")
    # A remembered device's random token (its hash is on the server); kept across logouts on purpose.
    device_token: str = rx.LocalStorage("", name="sms2fa_device")
    signed_in_email: str = ""
    next_path: str = ""

    @staticmethod
    def _services() -> Services:
        return get_services()

    def _client_ip(self) -> str:
        return self.router.session.client_ip or ""

    def _user_agent(self) -> str:
        return self.router.headers.user_agent or ""

    def _adopt(self, issued: IssuedSession) -> None:
        """Keep a newly issued token in the browser."""
        self.session_token = issued.token

    async def _forget(self) -> None:
        """Drop the token and every per-user value the page states hold, so the next page shows nothing private."""
        self.session_token = ""
        self.signed_in_email = ""
        self.next_path = ""
        pending = list(SessionState.get_substates())
        while pending:
            state_class = pending.pop()
            pending.extend(state_class.get_substates())
            (await self.get_state(state_class)).reset()

    def _login_path_back_to_here(self) -> str:
        """/login, remembering the protected page that was asked for."""
        here = safe_next_path(self.router.url.path)
        return f"{LOGIN_PATH}?next={quote(here)}" if here and here != DASHBOARD_PATH else LOGIN_PATH

    def _token(self) -> str:
        """The browser's session token, if it is a string at all (the browser can send anything)."""
        return self.session_token if isinstance(self.session_token, str) else ""

    def _device(self) -> str:
        """The browser's remembered-device token, if it is a string at all."""
        return self.device_token if isinstance(self.device_token, str) else ""

    async def _session(self) -> ActiveSession | None:
        """The server-side session behind the browser's token, or None (no thread hop without a token)."""
        token = self._token()
        return await run_backend(self._services().sessions.resolve, token) if token else None

    async def _session_and_user(self) -> tuple[ActiveSession, User | None] | None:
        """The server-side session behind the browser's token and its user, in one query, or None."""
        token = self._token()
        return await run_backend(self._services().sessions.resolve_with_user, token) if token else None

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

    async def _guard_page(self) -> tuple[EventSpec | None, tuple[ActiveSession, User] | None]:
        """(redirect, None) when the page must not show; (None, (session, user)) for a fully signed-in user."""
        try:
            session, user = await self._session_and_user() or (None, None)
        except ServiceUnavailable:
            return rx.redirect(LOGIN_PATH), None
        if session is None or user is None:
            await self._forget()
            return rx.redirect(self._login_path_back_to_here()), None
        if session.stage is Stage.PASSWORD_VERIFIED:
            return rx.redirect(CHALLENGE_PATH), None
        self.signed_in_email = user.email
        return None, (session, user)

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
        return rx.redirect(LOGIN_PATH)
