"""A local Plivo-compatible HTTP server for integration and end-to-end tests (stdlib only).

It answers the two calls the app makes, like Plivo does, with Basic auth (the account's auth id and token):

- `POST /v1/Account/{auth_id}/Message/` with src, dst, text, or type whatsapp and an authentication template
  (checked by plivo_whatsapp.py; its code counts as the message's), and optionally url, method: `202 {"api_id",
  "message": "message(s) queued", "message_uuid": [uuid]}`. With a status `url`, it then POSTs signed delivery
  reports there (MessageUUID, To, From, Status, ErrorCode, ...): queued, sent, then delivered unless a test
  scripted another outcome (undelivered or failed with an error code).
- `POST /v1/Account/{auth_id}/Call/` with from, to, answer_url: `201 {"api_id", "message": "call fired",
  "request_uuid"}`; then, as if the callee picked up, it POSTs a signed request to the answer URL and keeps
  the XML it gets: what the call said (tests read the code from it, like a person listening).

- `GET /v1/Number/{number}?type=carrier` (Plivo Lookup, PLIVO_LOOKUP_URL): the carrier's line type, 404 or 500
  (plivo_lookup.py; tests script answers through `lookups`).

Requests to the app (plivo_callbacks.py) are signed with X-Plivo-Signature-V3 (plivo_signing.py). Tests can script
API failures (400, 401, 403, 500 with Plivo-like JSON error bodies), slow replies and delivery outcomes.

Manual use:  python -m tests.support.plivo_server --port 8765
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.local_server import LocalServer
from tests.support.plivo_callbacks import ANSWER_DELAY_SECONDS, pick_up, send_reports, spoken_code
from tests.support.plivo_callbacks import NO_REPORT as NO_REPORT  # tests' old name for it
from tests.support.plivo_lookup import LOOKUP_PATH_PREFIX, LookupAnswers
from tests.support.plivo_whatsapp import WHATSAPP, template_code, whatsapp_problem

DEFAULT_AUTH_ID = "MALOCALPLIVOTEST0001"
DEFAULT_AUTH_TOKEN = "local-plivo-auth-token-for-tests-only"
DEFAULT_SENDER = "+14155550100"  # any E.164 sender is accepted
_MESSAGE_PATH = re.compile(r"^/v1/Account/(?P<auth_id>[^/]+)/(?P<kind>Message|Call)/?$")
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")

ERROR_BODIES = {
    400: "invalid destination number",
    401: "authentication failed: invalid auth_id or auth_token",
    403: "This destination is not allowed by the geo permissions of your account",
    404: "not found",
    500: "internal server error, please retry",
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 resets connections when tests send 20 requests at once


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


class LocalPlivo(LocalServer[dict[str, Any]]):
    """A Plivo Message API double on 127.0.0.1 and a free port. Thread-safe."""

    def __init__(self, auth_id: str = DEFAULT_AUTH_ID, auth_token: str = DEFAULT_AUTH_TOKEN, port: int = 0):
        if len(auth_id) != 20 or auth_id[:2] not in ("MA", "SA"):
            raise ValueError("auth_id must be 20 characters starting with MA or SA (as Plivo's SDK requires)")
        self.auth_id = auth_id
        self.auth_token = auth_token
        self._port = port
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._last_code: dict[str, str | None] = {}  # digits of dst -> code of its newest message
        self._failures: deque[int] = deque()
        self._delays: deque[float] = deque()
        self._outcomes: deque[tuple[str, str]] = deque()
        self._reports: list[dict[str, Any]] = []
        self._calls: list[dict[str, Any]] = []
        self.hold_reports = False  # True: accept texts but send no delivery reports
        self.hold_answers = False  # True: calls ring until a test calls `answer(request_uuid)`
        self.requests = 0  # every POST that reached the Message or Call endpoint, accepted or not
        self.lookups = LookupAnswers()  # Lookup's scripted answers and the numbers looked up
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------------

    def _serving(self) -> bool:
        return self._server is not None

    def _serve(self) -> None:
        server = _Server(("127.0.0.1", self._port), _handler_for(self))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-plivo", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def port(self) -> int:
        """The bound port (after start)."""
        assert self._server is not None, "LocalPlivo is not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Base URL for PLIVO_API_URL, e.g. http://127.0.0.1:41234 (the SDK appends /v1/Account/...)."""
        return f"http://127.0.0.1:{self.port}"

    def settings(self, sender: str = DEFAULT_SENDER) -> dict[str, str]:
        """The PLIVO_* settings that point the app here."""
        return {
            "PLIVO_AUTH_ID": self.auth_id,
            "PLIVO_AUTH_TOKEN": self.auth_token,
            "PLIVO_PHONE_NUMBER": sender,
            "PLIVO_API_URL": self.url,
            "PLIVO_LOOKUP_URL": self.url,
        }

    # ---- what tests read and script ------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages in order: dicts with src, dst, text, message_uuid, and for a WhatsApp template type
        and template (its text is "(WhatsApp) <code>") (a snapshot)."""
        with self._lock:
            return [dict(message) for message in self._messages]

    def last_code_for(self, dst: str) -> str | None:
        """The 6-digit code of the newest message to `dst` (with or without +), or None."""
        with self._lock:
            return self._last_code.get(_digits(dst))

    @property
    def reports(self) -> list[dict[str, Any]]:
        """Delivery reports sent to the app: dicts with message_uuid, status, error_code, url, reply (status)."""
        with self._lock:
            return [dict(report) for report in self._reports]

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Calls placed: dicts with to, from, answer_url, request_uuid, and once answered: reply (HTTP status),
        xml, and spoken (the texts of the Speak elements, in order)."""
        with self._lock:
            return [dict(call) for call in self._calls]

    def last_call_code_for(self, dst: str) -> str | None:
        """The code the newest answered call to `dst` read out (its one-digit Speak elements, said twice)."""
        wanted = _digits(dst)
        for call in reversed(self.calls):
            if _digits(call["to"]) == wanted and "spoken" in call:
                return spoken_code(call["spoken"])
        return None

    def deliver_next(self, status: str, error_code: str = "", count: int = 1) -> None:
        """End the next `count` messages' reports with this status (delivered, undelivered, failed) and code, or
        with none after "sent" (NO_REPORT: a message that never arrives)."""
        with self._lock:
            self._outcomes.extend([(status, error_code)] * count)

    def clear(self) -> None:
        """Forget messages, calls, reports, scripted failures, outcomes and delays."""
        with self._lock:
            self._messages.clear()
            self._last_code.clear()
            self._failures.clear()
            self._delays.clear()
            self._outcomes.clear()
            self._reports.clear()
            self._calls.clear()
            self.hold_reports = False
            self.hold_answers = False
            self.requests = 0
        self.lookups.clear()

    def fail_next(self, status: int, count: int = 1) -> None:
        """Answer the next `count` authenticated sends with this error status (400, 401, 403, 500, ...)."""
        with self._lock:
            self._failures.extend([status] * count)

    def delay_next(self, seconds: float, count: int = 1) -> None:
        """Wait this long before answering each of the next `count` sends (the message is still accepted)."""
        with self._lock:
            self._delays.extend([seconds] * count)

    # ---- request handling (called by the handler threads) -------------------------------------

    def _authorized(self, header: str | None, path_auth_id: str) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == self.auth_id and password == self.auth_token and path_auth_id == self.auth_id

    def _handle(self, kind: str, auth_header: str | None, path_auth_id: str, body: bytes) -> tuple[int, dict[str, Any]]:
        api_id = str(uuid.uuid4())
        with self._lock:
            self.requests += 1
            if not self._authorized(auth_header, path_auth_id):
                return 401, {"api_id": api_id, "error": ERROR_BODIES[401]}
            failure = self._failures.popleft() if self._failures else None
            delay = self._delays.popleft() if self._delays else 0.0
        if delay:
            time.sleep(delay)
        if failure is not None:
            return failure, {"api_id": api_id, "error": ERROR_BODIES.get(failure, f"error {failure}")}
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, {"api_id": api_id, "error": "request body is not valid JSON"}
        if kind == "Call":
            return self._place_call(api_id, payload)
        kind = payload.get("type") or "sms"
        problem = whatsapp_problem(payload) if kind == WHATSAPP else _text_problem(payload)
        if problem:
            return 400, {"api_id": api_id, "error": problem}
        message_uuid = str(uuid.uuid4())
        text = f"(WhatsApp) {template_code(payload)}" if kind == WHATSAPP else payload["text"]
        message = {"src": payload["src"], "dst": payload["dst"], "text": text, "message_uuid": message_uuid}
        if kind == WHATSAPP:  # a text's record keeps its shape; a template's says what it is and carries it
            message.update(type=kind, template=payload["template"])
        with self._lock:
            self._messages.append(message)
            match = _CODE.search(text)
            self._last_code[_digits(payload["dst"])] = match.group(1) if match else None
            outcome = self._outcomes.popleft() if self._outcomes else ("delivered", "")
            hold = self.hold_reports
        if payload.get("url") and not hold:
            self._in_background(self._report, message, payload["url"], outcome)
        return 202, {"api_id": api_id, "message": "message(s) queued", "message_uuid": [message_uuid]}

    def _place_call(self, api_id: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        missing = [name for name in ("from", "to", "answer_url") if not payload.get(name)]
        if missing:
            return 400, {"api_id": api_id, "error": f"missing parameter: {missing[0]}"}
        call = {
            "from": payload["from"],
            "to": payload["to"],
            "answer_url": payload["answer_url"],
            "request_uuid": str(uuid.uuid4()),
        }
        with self._lock:
            self._calls.append(call)
            hold = self.hold_answers
        if not hold:
            self._in_background(self._answer, call)
        return 201, {"api_id": api_id, "message": "call fired", "request_uuid": call["request_uuid"]}

    @staticmethod
    def _in_background(target: Any, *args: Any) -> None:
        threading.Thread(target=target, args=args, name="local-plivo-callback", daemon=True).start()

    def _report(self, message: dict[str, Any], url: str, outcome: tuple[str, str]) -> None:
        send_reports(self.auth_token, message, url, outcome, self._record_report)

    def _record_report(self, report: dict[str, Any]) -> None:
        with self._lock:
            self._reports.append(report)

    def answer(self, request_uuid: str) -> dict[str, Any]:
        """Pick up a held call now (see `hold_answers`); returns the call as `calls` shows it."""
        with self._lock:
            call = next(call for call in self._calls if call["request_uuid"] == request_uuid)
        self._answer(call, delay=0.0)
        with self._lock:
            return dict(call)

    def _answer(self, call: dict[str, Any], delay: float = ANSWER_DELAY_SECONDS) -> None:
        """The callee picks up: fetch the answer URL (signed) and keep what the XML says."""
        answered = pick_up(self.auth_token, call, delay)
        with self._lock:
            call.update(answered)


def _text_problem(payload: dict[str, Any]) -> str:
    missing = [name for name in ("src", "dst", "text") if not payload.get(name)]
    return f"missing parameter: {missing[0]}" if missing else ""


def _handler_for(plivo: LocalPlivo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "LocalPlivo/1.0"

        def do_POST(self) -> None:
            match = _MESSAGE_PATH.match(self.path.split("?", 1)[0])
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if match is None:
                self._reply(404, {"api_id": str(uuid.uuid4()), "error": ERROR_BODIES[404]})
                return
            status, answer = plivo._handle(match["kind"], self.headers.get("Authorization"), match["auth_id"], body)
            self._reply(status, answer)

        def do_GET(self) -> None:
            if not self.path.startswith(LOOKUP_PATH_PREFIX):
                self._reply(404, {"api_id": str(uuid.uuid4()), "error": ERROR_BODIES[404]})
            elif not plivo._authorized(self.headers.get("Authorization"), plivo.auth_id):
                self._reply(401, {"api_id": str(uuid.uuid4()), "error": ERROR_BODIES[401]})
            else:
                self._reply(*plivo.lookups.handle(self.path))

        def _reply(self, status: int, answer: dict[str, Any]) -> None:
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                pass

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


def main() -> None:
    """Run a LocalPlivo until interrupted, printing what to put in .env."""
    parser = argparse.ArgumentParser(description="Local Plivo-compatible SMS API for development and tests.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--auth-id", default=DEFAULT_AUTH_ID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    options = parser.parse_args()
    plivo = LocalPlivo(options.auth_id, options.auth_token, port=options.port).start()
    settings = [f"{name}={value}" for name, value in plivo.settings().items()]
    settings.insert(0, f"LocalPlivo listening on {plivo.url}")
    plivo.print_until_interrupted(
        settings, lambda message: f"message {message['message_uuid']} to {message['dst']}: {message['text']}"
    )


if __name__ == "__main__":
    main()
