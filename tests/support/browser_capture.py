"""What a browser page received and kept during an end-to-end test, for the leak checks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import phonenumbers
from playwright.sync_api import Frame, Page, WebSocket


@dataclass
class BrowserCapture:
    """What the browser received and kept: websocket frames, console lines, and storage snapshots."""

    frames: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        """Record the page's console, its URLs (client-side route changes too) and every websocket frame it receives."""
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        page.on("framenavigated", self._navigated)
        page.on("websocket", self._watch)

    def _navigated(self, frame: Frame) -> None:
        if frame.parent_frame is None:
            self.navigations.append(frame.url)

    def _watch(self, websocket: WebSocket) -> None:
        def received(payload: str | bytes) -> None:
            self.frames.append(payload.decode(errors="replace") if isinstance(payload, bytes) else payload)

        websocket.on("framereceived", received)

    def snapshot(self, page: Page) -> str:
        """Record (and return) the page's URL, HTML, cookies, localStorage and sessionStorage as one text."""
        storage = page.evaluate(
            "() => JSON.stringify({local: {...window.localStorage}, session: {...window.sessionStorage}})"
        )
        cookies = json.dumps(page.context.cookies())
        text = "\n".join([f"url: {page.url}", page.content(), f"cookies: {cookies}", f"storage: {storage}"])
        self.snapshots.append(text)
        return text

    def everything(self) -> str:
        """All frames and snapshots so far, as one text to search."""
        return "\n".join([*self.frames, *self.snapshots])

    def assert_absent(self, *needles: str, frames_from: int = 0) -> None:
        """Fail if a needle is in a frame (from index `frames_from`) or a snapshot; name where, not the haystack."""
        for needle in needles:
            assert needle, "empty needle"
            for index, frame in enumerate(self.frames[frames_from:], start=frames_from):
                assert needle not in frame, f"{needle!r} leaked in websocket frame #{index}"
            for index, snapshot in enumerate(self.snapshots):
                assert needle not in snapshot, f"{needle!r} leaked in page snapshot #{index}"


def whole_number_forms(e164: str) -> list[str]:
    """The ways a whole phone number could leak: '+14155551212', '14155551212', '4155551212'."""
    number = phonenumbers.parse(e164)
    national = phonenumbers.national_significant_number(number)
    return [e164, e164.lstrip("+"), national]
