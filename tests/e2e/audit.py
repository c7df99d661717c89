"""Every page and state the end-to-end flows reach, checked the same way: `audit(page, "where")`.

An audit runs axe-core (default rules, tests/e2e/browser_tools.py) in light and in dark mode and fails on any
violation; the first time a state is met it also saves screenshots at 375x812 and 1280x800 in both modes under
test-artifacts/screens/. The color mode is switched the way a visitor's system switches it (prefers-color-scheme,
which Reflex's color mode follows while the visitor has not picked one), and the page is left as it was: focus,
mode and size. A state met again with the same structure is not checked twice in a run.

The `page` fixture registers each test's page here; the routes the flows visit and the routes audited are kept for
after_suite.py, which fails the run (after the whole suite) if a visited page was never audited.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from playwright.sync_api import Page

from tests.e2e.browser_tools import axe_violations
from tests.support.browser import ARTIFACTS

SCREENS = ARTIFACTS / "screens"
VIEWPORTS = {"375": {"width": 375, "height": 812}, "1280": {"width": 1280, "height": 800}}
MODES = ("light", "dark")
# The page's shape, without its words: elements, roles, states. Two states with one shape look alike to axe.
_SHAPE = """() => [...document.body.querySelectorAll("*")].map(e =>
    e.tagName + (e.getAttribute("role") || "") + (e.getAttribute("aria-invalid") || "") +
    (e.getAttribute("data-state") || "") + (e.disabled ? "!" : "")).join("|")"""
_IN_MODE = "(mode) => document.documentElement.classList.contains(mode)"

visited_routes: set[str] = set()
foreign_routes: set[str] = set()  # pages of other apps the flows pass through (an OpenID client's callback)
audited_routes: set[str] = set()
_seen_states: set[str] = set()
_screens_saved: set[str] = set()


def route_of(url: str) -> str:
    """The page's path without a trailing slash ('/' for the root)."""
    path = urlsplit(url).path.rstrip("/")
    return path or "/"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def _set_mode(page: Page, mode: str) -> None:
    page.emulate_media(color_scheme=mode)  # type: ignore[arg-type]
    page.wait_for_function(_IN_MODE, arg=mode)


def _screens(page: Page, where: str, mode: str) -> None:
    """Full-page screenshots at both sizes, then the test's own size again."""
    size = page.viewport_size
    SCREENS.mkdir(parents=True, exist_ok=True)
    for width, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SCREENS / f"{_slug(where)}-{mode}-{width}.png"), full_page=True)
    if size is not None:
        page.set_viewport_size(size)


def audit_server_page(page: Page, where: str) -> None:
    """axe-core finds no violation on a page the server renders itself (the OpenID consent page): it has no
    Reflex theme to switch, so it is checked as it is."""
    audited_routes.add(route_of(page.url))
    found = axe_violations(page)
    assert found == [], f"axe-core on {where} ({route_of(page.url)}):\n" + "\n".join(map(str, found))


def audit(page: Page, where: str) -> None:
    """axe-core finds no violation on the page as it is now, in light and dark mode (screenshots the first time
    `where` is met). Fails with every violation, named by mode."""
    route = route_of(page.url)
    shape = hashlib.sha256(f"{route}\n{page.evaluate(_SHAPE)}".encode()).hexdigest()
    audited_routes.add(route)
    if shape in _seen_states:
        return
    found: list[str] = []
    try:
        for mode in MODES:
            _set_mode(page, mode)
            found += [f"[{mode}] {violation}" for violation in axe_violations(page)]
            if where not in _screens_saved:
                _screens(page, where, mode)
    finally:
        _set_mode(page, "light")
    _screens_saved.add(where)
    assert found == [], f"axe-core on {where} ({route}):\n" + "\n".join(found)
    _seen_states.add(shape)


def note_visits(urls: list[str]) -> None:
    """Record the routes a test's page showed (for the coverage check)."""
    visited_routes.update(route_of(url) for url in urls if urlsplit(url).scheme in ("http", "https"))
