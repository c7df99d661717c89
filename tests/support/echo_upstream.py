"""A tiny app to protect (stdlib only): it answers every request with JSON of what it received (method, path,
headers), so a test can see exactly which Remote-* headers the proxy let through.

Manual use:  python -m tests.support.echo_upstream --port 8780
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.local_server import free_port


class _Echo(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        body = json.dumps({"method": self.command, "path": self.path, "headers": headers}, indent=1).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read the answers."""


class EchoUpstream:
    """The echo app on 127.0.0.1 in a background thread."""

    def __init__(self, port: int = 0):
        self.port = port or free_port()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EchoUpstream:
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _Echo)
            self._server.daemon_threads = True
            threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8780)
    upstream = EchoUpstream(parser.parse_args().port).start()
    print(f"echo upstream on {upstream.url}; Ctrl-C stops it", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        upstream.stop()


if __name__ == "__main__":
    main()
