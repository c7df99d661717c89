"""The websocket's frames skip the nested HTTP middleware stacks (issue 24), and nothing else does."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from sms2fa_app.api.routes import api_app
from sms2fa_app.api.socket_path import direct_socket


class Recorder:
    """An ASGI app or middleware that notes the path of each scope it sees."""

    def __init__(self, app: ASGIApp | None = None, seen: list[str] | None = None):
        self.app, self.seen = app, seen if seen is not None else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.seen.append(scope["path"])
        if self.app is not None:
            await self.app(scope, receive, send)


def reflex_like(socket: Recorder, middleware_seen: list[str]) -> ASGIApp:
    """Our routes over an app shaped like Reflex's API (a middleware, the socket mounted at /_event)."""
    reflex_api = Starlette(routes=[Mount("/_event", socket)], middleware=[Middleware(Recorder, seen=middleware_seen)])
    ours = api_app()
    ours.mount("", reflex_api)
    return direct_socket("/_event")(ours)


async def call(app: ASGIApp, kind: str, path: str) -> None:
    async def receive() -> dict:
        return {"type": "websocket.disconnect"} if kind == "websocket" else {"type": "http.request", "body": b""}

    async def send(_message: dict) -> None:
        return None

    scope = {"type": kind, "path": path, "root_path": "", "headers": [], "query_string": b"", "method": "GET"}
    await app(scope, receive, send)


async def test_the_socket_is_reached_without_the_nested_middleware() -> None:
    socket, middleware_seen = Recorder(), []
    app = reflex_like(socket, middleware_seen)
    await call(app, "websocket", "/_event/")
    assert socket.seen == ["/_event/"]
    assert middleware_seen == []


async def test_other_paths_go_through_the_stack() -> None:
    socket, middleware_seen = Recorder(), []
    app = reflex_like(socket, middleware_seen)
    await call(app, "websocket", "/_eventual")
    await call(app, "http", "/_event/")  # long polling is off; if it came, it would take the usual way
    assert socket.seen == ["/_event/"]
    assert middleware_seen == ["/_eventual", "/_event/"]


def test_without_a_socket_mount_the_app_is_unchanged() -> None:
    app = api_app()
    assert direct_socket("/_event")(app) is app
