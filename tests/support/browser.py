"""Chromium for the browser tests (tests/e2e, tests/e2e_run, tests/stack): the browser, what a page received,
and the artifacts of a failed test.

Playwright's sync API keeps an event loop marked as running while it lives, which would break the async unit
tests that run afterwards: the fixtures using it are package-scoped, never session-scoped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.browser_capture import BrowserCapture, whole_number_forms

__all__ = ["BrowserCapture", "whole_number_forms"]  # re-exported for the browser suites

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
    "--host-resolver-rules=MAP localhost 127.0.0.1",  # the apps listen on IPv4 only; never try ::1 first
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


def artifact_dir(item: pytest.Item) -> Path:
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)


LINK_TOKEN = re.compile(r"(token=)[^&\s\"'\\]+")


def without_link_tokens(text: str) -> str:
    """A failed test's artifacts stay on disk: an emailed link's token in them would be a live credential at rest
    (and the after-suite scan for raw tokens would rightly find it)."""
    return LINK_TOKEN.sub(r"\1<redacted>", text)


def save_artifacts(item: pytest.Item, page: Page, capture: BrowserCapture) -> None:
    target = artifact_dir(item)
    target.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(target / "screenshot.png"), full_page=True)
    except Exception as error:  # the page may be gone; keep the other artifacts
        (target / "screenshot-error.txt").write_text(f"{error}\n")
    (target / "console.log").write_text(without_link_tokens("".join(f"{line}\n" for line in capture.console)))
    frames = "".join(f"{frame}\n" for frame in capture.frames)
    (target / "websocket-frames.txt").write_text(without_link_tokens(frames))
    (target / "navigations.txt").write_text(without_link_tokens("".join(f"{url}\n" for url in capture.navigations)))
