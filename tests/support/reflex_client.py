"""A bare Reflex websocket client: one connection, speaking Engine.IO 4 / Socket.IO 5 as the browser does.

What a browser sends is under the page's control; this client sends exactly what a test says, on a connection of
its own. The tests use it to replay a tab id on another connection and to send many events at once from many
connections (limits that must hold across backend workers).
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

NAMESPACE = "/_event"
ROOT_STATE = "reflex___state____state"


@dataclass
class Update:
    """One update the backend sent: the state delta and the events the browser should run."""

    delta: dict[str, dict[str, Any]]
    events: list[dict[str, Any]]

    def text(self) -> str:
        return json.dumps({"delta": self.delta, "events": self.events})

    def redirects(self) -> list[str]:
        """The paths of the redirect events in this update."""
        return [event["payload"].get("path", "") for event in self.events if event.get("name") == "_redirect"]


@dataclass
class ReflexClient:
    """`with ReflexClient(url, tab_id) as client: client.send(name, payload, path)`."""

    base_url: str  # http://host:port of the backend (or of the proxy in front of it)
    tab_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    headers: dict[str, str] = field(default_factory=dict)
    updates: list[Update] = field(default_factory=list)
    new_tab_id: str | None = None  # set when the backend refused the tab id as a duplicate and gave another
    _socket: ClientConnection | None = None

    def __enter__(self) -> ReflexClient:
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        url = f"{scheme}://{parts.netloc}{NAMESPACE}/?EIO=4&transport=websocket&token={quote(self.tab_id)}"
        self._socket = connect(url, additional_headers=self.headers, open_timeout=15, max_size=2**24)
        opening = self._socket.recv(timeout=15)
        assert str(opening).startswith("0"), opening
        self._socket.send(f"40{NAMESPACE},")
        self._expect(lambda kind, _data: kind == "40", timeout=15)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def send(self, name: str, payload: dict[str, Any] | None = None, path: str = "/") -> None:
        """Send one event, as the browser does for a handler call on page `path`."""
        assert self._socket is not None
        event = {
            "name": name,
            "payload": payload or {},
            "router_data": {"pathname": path, "asPath": path},
        }
        self._socket.send(f"42{NAMESPACE}," + json.dumps(["event", event]))

    def call(
        self, name: str, payload: dict[str, Any] | None = None, path: str = "/", timeout: float = 15, quiet: float = 1.0
    ) -> Update:
        """Send one event and collect its updates: until the first arrives, then until none came for `quiet`
        seconds (Reflex no longer marks an event's last update). Returns them merged."""
        start = len(self.updates)
        self.send(name, payload, path)
        self._expect(lambda kind, _data: len(self.updates) > start, timeout)
        with contextlib.suppress(TimeoutError):
            while True:
                before = len(self.updates)
                self._expect(lambda kind, _data, before=before: len(self.updates) > before, quiet)
        merged = Update({}, [])
        for update in self.updates[start:]:
            for state, values in update.delta.items():
                merged.delta.setdefault(state, {}).update(values)
            merged.events.extend(update.events)
        return merged

    def everything(self) -> str:
        """Every update received so far, as one text to search."""
        return "\n".join(update.text() for update in self.updates)

    def _expect(self, done: Any, timeout: float) -> None:
        """Read packets (answering pings, recording updates) until `done(kind, data)` is true."""
        assert self._socket is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer from {self.base_url} within {timeout:.1f}s")
            try:
                raw = str(self._socket.recv(timeout=left))
            except TimeoutError:
                continue
            except ConnectionClosed as error:
                raise ConnectionError(f"the backend closed the connection: {error}") from error
            if raw == "2":  # Engine.IO ping
                self._socket.send("3")
                continue
            kind, data = _parse(raw)
            if kind == "42" and data and data[0] == "event":
                body = data[1]
                self.updates.append(Update(body.get("delta") or {}, body.get("events") or []))
            elif kind == "42" and data and data[0] == "new_token":
                self.new_tab_id = data[1]
            elif kind == "44":
                raise ConnectionError(f"the backend refused the connection: {data}")
            if done(kind, data):
                return


def _parse(raw: str) -> tuple[str, Any]:
    """('40' | '42' | '44' | ..., decoded data) of a Socket.IO packet in the Reflex namespace."""
    kind, rest = raw[:2], raw[2:]
    if rest.startswith(NAMESPACE):
        rest = rest[len(NAMESPACE) :].removeprefix(",")
    while rest and rest[0].isdigit():  # an ack id, unused here
        rest = rest[1:]
    try:
        return kind, json.loads(rest) if rest else None
    except json.JSONDecodeError:
        return kind, rest


def handler_name(state: type, handler: str) -> str:
    """The event name of `state.handler`, as the compiled frontend sends it."""
    return f"{state.get_full_name()}.{handler}"  # type: ignore[attr-defined]
