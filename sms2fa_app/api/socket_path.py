"""The websocket's path around the HTTP stack: Reflex mounts its socket.io app inside its own Starlette app,
which rx.App's api_transformer mounts inside ours, so every frame the app sends went through two more Starlette
middleware stacks (each wraps `send` to turn exceptions into HTTP errors, which a websocket never gets). Issue 24's
profile had that wrapper among the top functions holding the GIL. Reflex's outermost app (its per-request
contexts, the error middleware) still runs first.

Every websocket handshake passes `SocketHandshake` first, whichever way it goes: a browser's handshake from a page
of another site (its Origin) is refused, so no other site can open a socket signed in with the user's cookie
(cross-site WebSocket hijacking). The Cookie header is taken out of the scope, because Reflex copies the
handshake's headers into router data it stores with the tab's state (in Redis with several workers); only the
digests of the credential cookies stay, under HANDSHAKE_SCOPE_KEY, for state/session.py to bind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from sms2fa_app.backend.identity.session_cookie import HANDSHAKE_SCOPE_KEY, CookiePolicy, browser_credentials
from sms2fa_app.backend.infra.events import log_event

MAX_DEPTH = 4  # our app > Reflex's API app > the socket's mount
POLICY_VIOLATION = 1008  # the websocket close code of a refused handshake (the client sees HTTP 403)

log = logging.getLogger("sms2fa.api")


class SocketHandshake:
    """Checks a websocket handshake's Origin and swaps its Cookie header for the credentials' digests."""

    def __init__(self, page_origins: frozenset[str], policy: CookiePolicy):
        self._origins = page_origins
        self._policy = policy

    def __call__(self, scope: Scope) -> Scope | None:
        """The scope the socket app gets, or None to refuse the handshake. A handshake without Origin is not a
        browser's (browsers always send it): such a client holds whatever cookie it sends."""
        headers = scope.get("headers") or []
        origin = next((value for name, value in headers if name.lower() == b"origin"), None)
        if origin is not None and origin.decode("latin-1").lower() not in self._origins:
            log_event(log, logging.WARNING, "socket_origin_refused", origin=origin.decode("latin-1")[:80])
            return None
        cookies = "; ".join(value.decode("latin-1") for name, value in headers if name.lower() == b"cookie")
        kept = [(name, value) for name, value in headers if name.lower() != b"cookie"]
        return {**scope, "headers": kept, HANDSHAKE_SCOPE_KEY: browser_credentials(cookies, self._policy)}


async def refuse_handshake(receive: Receive, send: Send) -> None:
    """Close a websocket before accepting it: the client gets 403."""
    await receive()  # websocket.connect
    await send({"type": "websocket.close", "code": POLICY_VIOLATION})


def find_mount(app: ASGIApp, path: str, depth: int = 0) -> ASGIApp | None:
    """The app mounted at `path`, in `app` or the apps it mounts at "" (None if there is none)."""
    for route in getattr(app, "routes", ()):
        if not isinstance(route, Mount):
            continue
        if route.path == path:
            return route.app
        if route.path == "" and depth < MAX_DEPTH:
            found = find_mount(route.app, path, depth + 1)
            if found is not None:
                return found
    return None


def direct_socket(event_path: str, handshake: Callable[[Scope], Scope | None] | None = None):  # type: ignore[no-untyped-def]
    """An api_transformer (after the one that mounts Reflex): websocket connections to `event_path` go straight
    to the socket app; everything else, and everything when Reflex moved its socket, goes the usual way. Every
    websocket first passes `handshake` (the app's SocketHandshake), wherever it goes."""

    def transform(app: ASGIApp) -> ASGIApp:
        socket_app = find_mount(app, event_path)
        if socket_app is None and handshake is None:
            return app
        prefix = event_path.rstrip("/") + "/"

        async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "websocket" and handshake is not None:
                checked = handshake(scope)
                if checked is None:
                    await refuse_handshake(receive, send)
                    return
                scope = checked
            if socket_app is not None and scope["type"] == "websocket" and (scope["path"] + "/").startswith(prefix):
                await socket_app(scope, receive, send)
            else:
                await app(scope, receive, send)

        return dispatch

    return transform
