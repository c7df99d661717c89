"""The websocket's frames skip the nested HTTP middleware stacks (issue 24), and nothing else does; every handshake
passes the Origin check and leaves the Cookie header behind (issue 22)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from sms2fa_app.api.routes import api_app
from sms2fa_app.api.socket_path import SocketHandshake, direct_socket
from sms2fa_app.backend.identity.session_cookie import HANDSHAKE_SCOPE_KEY, BrowserCredentials, CookiePolicy
from sms2fa_app.backend.infra.crypto import TokenDigest


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


# ---- the handshake: the page's Origin, and the Cookie header swapped for the credentials' digests -----------------

PAGE = "http://localhost:3000"
TOKEN, DEVICE = "s" * 43, "d" * 43  # the shape of issued tokens (anything else is no credential)


def handshake() -> SocketHandshake:
    return SocketHandshake(frozenset({PAGE}), CookiePolicy(secure=False))


async def open_socket(headers: list[tuple[bytes, bytes]]) -> tuple[list[Scope], list[dict]]:
    """A websocket handshake to /_event/ with `headers`: (the scopes the socket app saw, what went back)."""
    seen: list[Scope] = []
    sent: list[dict] = []

    async def socket(scope: Scope, _receive: Receive, _send: Send) -> None:
        seen.append(scope)

    async def receive() -> dict:
        return {"type": "websocket.connect"}

    async def send(message: dict) -> None:
        sent.append(message)

    ours = api_app()
    ours.mount("", Starlette(routes=[Mount("/_event", socket)]))
    scope = {"type": "websocket", "path": "/_event/", "root_path": "", "headers": headers, "query_string": b""}
    await direct_socket("/_event", handshake())(ours)(scope, receive, send)
    return seen, sent


async def test_a_page_of_another_site_cannot_open_the_socket() -> None:
    for origin in (b"http://evil.example", b"null", b"http://localhost:3000.evil.example", b"https://localhost:3000"):
        seen, sent = await open_socket([(b"origin", origin), (b"cookie", b"sms2fa_session=tok")])
        assert seen == [] and sent == [{"type": "websocket.close", "code": 1008}], origin


async def test_the_socket_sees_the_credentials_digests_and_never_the_cookie() -> None:
    cookies = [
        (b"cookie", b"theme=dark; sms2fa_session=" + TOKEN.encode()),
        (b"Cookie", b"sms2fa_device=" + DEVICE.encode()),
    ]
    headers = [(b"origin", PAGE.encode()), *cookies]
    seen, sent = await open_socket(headers)
    assert sent == [] and len(seen) == 1
    assert seen[0]["headers"] == [(b"origin", PAGE.encode())]
    assert seen[0][HANDSHAKE_SCOPE_KEY] == BrowserCredentials(TokenDigest.of(TOKEN), TokenDigest.of(DEVICE))
    assert TOKEN.encode() not in repr(seen[0]["headers"]).encode()


async def test_a_client_without_origin_is_no_browser_and_keeps_its_own_cookie() -> None:
    seen, _sent = await open_socket([(b"cookie", b"sms2fa_session=" + TOKEN.encode())])
    assert seen[0][HANDSHAKE_SCOPE_KEY].session == TokenDigest.of(TOKEN)
