"""A browser tab as Reflex's websocket sees it, for bench/load.py: no browser, the same frames.

Reflex's frontend (utils/state.js) talks Socket.IO v5 over Engine.IO v4 on `/_event/?token=<tab uuid>`:
the CONNECT packet carries `hydrate_and_load` (with the compiled state's hashes and schema), every handler
call is `42/_event,["event", {name, payload, router_data}]`, and a client-side navigation after a
`_redirect` sends `update_vars_internal` (the localStorage vars) and `on_load_internal`. Updates come back
as `42/_event,["event", {delta, events}]`; the server pings ("2") and the tab answers ("3").
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

SUFFIX = "_rx_state_"  # how Reflex names a var in deltas and in client storage
UPDATE_VARS = "reflex___state____update_vars_internal_state.update_vars_internal"
ON_LOAD = "reflex___state____on_load_internal_state.on_load_internal"
# SMS2FA_BENCH_TRACE=<dir>: every frame a tab sends (>) or receives (<) is appended to <dir>/frames.log, in the
# same directory as the app's statement traces (bench/counting_site/sitecustomize.py).
TRACE_DIR = os.environ.get("SMS2FA_BENCH_TRACE", "")
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"


# The minifier writes the hashes either as an array literal or, when shorter, as one string it splits:
# initialStateHashes=["a","b"] or initialStateHashes=`a.b`.split(`.`) (the form of today's bundles).
STATE_HASHES = re.compile(r"initialStateHashes=(?:\[(?P<array>[^\]]*)\]|`(?P<dotted>[0-9a-f.]*)`\.split\(`\.`\))")

Problem = Callable[["Tab"], str]  # what went wrong on the page, or ""


class FlowError(RuntimeError):
    """A simulated login did not end where a person's would (message shown, timeout, wrong page)."""


@dataclass(frozen=True)
class Frontend:
    """What the compiled frontend sends with its first connect, and the names of the app's states."""

    reflex_version: str
    state_schema: str
    state_hashes: list[str]
    root: str  # reflex___state____state
    session: str  # the SessionState's full name (holds the localStorage token)

    @classmethod
    def from_build(cls, web_dir: Path, reflex_version: str, root: str, session: str) -> Frontend:
        """Read the schema and hashes from the built JS bundle the browser downloads."""
        for bundle in sorted((web_dir / "build" / "client" / "assets").glob("*.js")):
            text = bundle.read_text(errors="replace")
            hashes = STATE_HASHES.search(text)
            schema = re.search(r"stateSchema=`([0-9a-f]+)`", text)
            if hashes and schema:
                listed = hashes["array"] if hashes["array"] is not None else hashes["dotted"]
                return cls(reflex_version, schema[1], re.findall(r"[0-9a-f]{16}", listed), root, session)
        raise RuntimeError(f"no initialStateHashes/stateSchema in {web_dir}/build/client/assets")


@dataclass
class Tab:
    """One connected tab: the state it holds (deltas applied), the redirects it was sent, its localStorage."""

    frontend: Frontend
    socket: ClientConnection
    path: str
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    redirects: list[str] = field(default_factory=list)
    storage: dict[str, str] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)  # when the flow passed its milestones
    frames_in: int = 0
    frames_out: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task | None = None

    @classmethod
    async def open(cls, base_url: str, frontend: Frontend, path: str) -> Tab:
        """GET the page's HTML, connect the websocket with the boot event, as a new tab does."""
        await http_get(base_url, path)
        host = base_url.removeprefix("http://")
        token = str(uuid.uuid4())
        socket = await connect(
            f"ws://{host}/_event/?token={token}&EIO=4&transport=websocket",
            subprotocols=[frontend.reflex_version],  # type: ignore[list-item]
            origin=base_url,  # type: ignore[arg-type]
            user_agent_header=USER_AGENT,
            max_size=2**22,
            ping_interval=None,  # Engine.IO pings itself
        )
        tab = cls(frontend, socket, path)
        opened = json.loads(str(await socket.recv())[1:])
        assert "sid" in opened, opened
        boot = tab._event(f"{frontend.root}.hydrate_and_load", {"hashes": frontend.state_hashes})
        await tab._send("40/_event," + json.dumps({"event": boot, "state_schema": frontend.state_schema}))
        tab._reader = asyncio.create_task(tab._read())
        return tab

    def _event(self, name: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        event: dict[str, Any] = {"name": name, "router_data": {"pathname": self.path, "asPath": self.path}}
        if payload is not None:
            event["payload"] = payload
        return event

    def _log(self, direction: str, frame: str) -> None:
        if TRACE_DIR:
            with open(Path(TRACE_DIR) / "frames.log", "a") as log:
                log.write(f"{time.monotonic():.3f} {direction} {self.path} {frame[:400]}\n")

    async def _send(self, frame: str) -> None:
        self.frames_out += 1
        self._log(">", frame)
        await self.socket.send(frame)

    async def emit(self, name: str, payload: dict[str, Any] | None = None) -> None:
        """Call a handler, the way an on_click or on_submit does."""
        await self._send("42/_event," + json.dumps(["event", self._event(name, payload)]))

    async def submit(self, handler: str, fields: dict[str, str]) -> None:
        """Submit a form: Reflex's form data keeps name/value pairs, by name and by id (field_<name>)."""
        pairs = [[name, value] for name, value in fields.items()]
        pairs += [[f"field_{name}", value] for name, value in fields.items()]
        await self.emit(handler, {"form_data": {"__reflex_form_data__": pairs}})

    async def navigate(self, path: str) -> None:
        """A client-side route change: localStorage vars, then the page's on_load events."""
        self.path = path
        self.var(self.frontend.root, "is_hydrated", False)  # as state.js does; the server leaves it (send_fewer_frames)
        root = self.frontend.root
        if self.storage:
            await self.emit(f"{root}.{UPDATE_VARS}", {"vars": self.storage})
        await self.emit(f"{root}.{ON_LOAD}")

    def var(self, state: str, name: str, value: Any = ...) -> Any:
        """Read (or set) a var of the tab's copy of a state."""
        if value is not ...:
            self.state.setdefault(state, {})[name + SUFFIX] = value
        return self.state.get(state, {}).get(name + SUFFIX)

    @property
    def hydrated(self) -> bool:
        return self.var(self.frontend.root, "is_hydrated") is True

    async def _read(self) -> None:
        session_token = f"{self.frontend.session}.session_token{SUFFIX}"
        async for frame in self.socket:
            self.frames_in += 1
            text = str(frame)
            self._log("<", text)
            if text == "2":
                await self._send("3")
                continue
            if not text.startswith("42/_event,"):
                continue
            name, update = json.loads(text[len("42/_event,") :])
            if name != "event":
                continue
            for state, changes in (update.get("delta") or {}).items():
                self.state.setdefault(state, {}).update(changes)
                if state == self.frontend.session and f"session_token{SUFFIX}" in changes:
                    self.storage[session_token] = changes[f"session_token{SUFFIX}"]
            for event in update.get("events") or []:
                if event.get("name") == "_redirect":
                    self.redirects.append(event["payload"]["path"])
            self._changed.set()

    async def until(self, ready: Callable[[Tab], bool], timeout: float, fail: Problem = lambda _t: "") -> None:
        """Wait until `ready(tab)`; FlowError when `fail(tab)` names a problem, or at the timeout."""
        deadline = time.monotonic() + timeout
        while not ready(self):
            problem = fail(self)
            if problem:
                raise FlowError(problem)
            if self._reader is not None and self._reader.done():
                raise FlowError(f"websocket closed on {self.path}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise FlowError(f"timeout on {self.path}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                continue

    async def follow_redirect(self, timeout: float, fail: Problem = lambda _t: "") -> str:
        """Wait for the server's next redirect and go there (client-side navigation, as React Router does)."""
        seen = len(self.redirects)
        await self.until(lambda tab: len(tab.redirects) > seen, timeout, fail)
        path = self.redirects[-1]
        await self.navigate(path)
        return path

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self.socket.close()


async def http_get(base_url: str, path: str) -> int:
    """One HTTP/1.1 GET (Connection: close); returns the status, reads and drops the body."""
    host, _, port = base_url.removeprefix("http://").partition(":")
    reader, writer = await asyncio.open_connection(host, int(port or 80))
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {USER_AGENT}\r\n"
        "Accept: text/html\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    )
    writer.write(request.encode())
    await writer.drain()
    status_line = await reader.readline()
    while await reader.read(65536):
        pass
    writer.close()
    status = int(status_line.split()[1])
    if status >= 400:
        raise FlowError(f"GET {path} answered {status}")
    return status
