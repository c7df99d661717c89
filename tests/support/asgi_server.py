"""Serve an ASGI app (the app's own HTTP routes) on 127.0.0.1 and a free port, for integration tests.

A stdlib threading HTTP server takes each request and runs the ASGI app on one event loop in a background
thread, so requests really cross a socket (the local Plivo calls the app over HTTP) while the test keeps
the same process, Services and clock.
"""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class AsgiServer:
    """`with AsgiServer(app) as server:` ... `server.url` ..."""

    def __init__(self, app: Any):
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="asgi-loop", daemon=True)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> AsgiServer:
        self._loop_thread.start()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="asgi-http", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join(timeout=5)
        self._loop.close()

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port>"""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def call(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, list, bytes]:
        """Run one request through the app; (status, headers, body)."""
        future = asyncio.run_coroutine_threadsafe(self._run(method, target, headers, body), self._loop)
        return future.result(timeout=30)

    async def _run(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes):
        parts = urlsplit(target)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 0),
        }
        sent = False
        answer: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        await self._app(scope, receive, send)
        return answer["status"], answer["headers"], answer["body"]


def _handler_for(server: AsgiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = server.call(self.command, self.path, list(self.headers.items()), body)
            self.send_response(status)
            for name, value in headers:
                if name.lower() != b"content-length":
                    self.send_header(name.decode(), value.decode())
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
