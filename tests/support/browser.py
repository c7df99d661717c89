"""Chromium for the browser tests (tests/e2e, tests/e2e_run, tests/stack): the browser, what a page received,
and the artifacts of a failed test.

Playwright's sync API keeps an event loop marked as running while it lives, which would break the async unit
tests that run afterwards: the fixtures using it are package-scoped, never session-scoped.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
import pytest
from playwright.sync_api import Browser, Frame, Page, WebSocket, expect, sync_playwright

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))  # Debian's; override for other systems
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
UI_TIMEOUT_MS = 15_000  # generous: two cores share the app, its password hashing and Chromium
# Records every Content-Security-Policy violation of the page, whatever the page does (Playwright's init scripts
# run before the page's own and are not subject to its CSP).
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "")));
"""


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="package")
def chromium_executable() -> str:
    """Debian's Chromium; missing means skip, except under CI=true where it is an error."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM)
    message = f"{CHROMIUM} is missing (run scripts/ensure_test_tools.sh as root)"
    if under_ci():
        pytest.fail(f"CI=true: end-to-end tests must run, but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="package")
def browser(chromium_executable: str) -> Iterator[Browser]:
    """Chromium driven by Playwright's sync API, shared by all e2e tests."""
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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


def artifact_dir(item: pytest.Item) -> Path:
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)


def save_artifacts(item: pytest.Item, page: Page, capture: BrowserCapture) -> None:
    target = artifact_dir(item)
    target.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(target / "screenshot.png"), full_page=True)
    except Exception as error:  # the page may be gone; keep the other artifacts
        (target / "screenshot-error.txt").write_text(f"{error}\n")
    (target / "console.log").write_text("".join(f"{line}\n" for line in capture.console))
    (target / "websocket-frames.txt").write_text("".join(f"{frame}\n" for frame in capture.frames))
    (target / "navigations.txt").write_text("".join(f"{url}\n" for url in capture.navigations))
