"""The websocket's path around the HTTP stack: Reflex mounts its socket.io app inside its own Starlette app,
which rx.App's api_transformer mounts inside ours, so every frame the app sends went through two more Starlette
middleware stacks (each wraps `send` to turn exceptions into HTTP errors, which a websocket never gets). Issue 24's
profile had that wrapper among the top functions holding the GIL. Reflex's outermost app (its per-request
contexts, the error middleware) still runs first.
"""

from __future__ import annotations

from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_DEPTH = 4  # our app > Reflex's API app > the socket's mount


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


def direct_socket(event_path: str):  # type: ignore[no-untyped-def]
    """An api_transformer (after the one that mounts Reflex): websocket connections to `event_path` go straight
    to the socket app; everything else, and everything when Reflex moved its socket, goes the usual way."""

    def transform(app: ASGIApp) -> ASGIApp:
        socket_app = find_mount(app, event_path)
        if socket_app is None:
            return app
        prefix = event_path.rstrip("/") + "/"

        async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "websocket" and (scope["path"] + "/").startswith(prefix):
                await socket_app(scope, receive, send)
            else:
                await app(scope, receive, send)

        return dispatch

    return transform
