"""Developers' own pages behind the second factor: one decorator declares a page and its rule, and the rule holds
for EVERY event of the page's state, not only for its on_load.

    @protected("/reports", state=ReportsState, level=Level.TWO_FACTOR, recent=300)
    def reports_page() -> rx.Component: ...

- `ProtectedState` is the base of such a page's state; the decorator records the rule (backend/page_access.py)
  for that state class and adds the page with its guard (`check_access`) first in on_load.
- `ProtectedEvents`, a middleware registered after BrowserTokens, runs before every event: an event whose handler
  belongs to a protected state, from a tab whose session falls short of the rule, runs no handler, changes nothing
  of the page's states (SessionState only notes the login notice or the page to come back to), gets a redirect and
  is logged (the event's name and the reason, never a token). The on_load guard makes the same check, so a page is
  guarded even where the middleware is missing (a unit test calling a handler directly).
- Where a tab goes: no session -> /login?next=<page>; the second factor pending -> the challenge, then back;
  signed in without 2FA on a two-factor page -> /settings (turn it on); the last factor older than `recent`
  -> the step-up (/step-up), then back, under a rotated token.
- EXTRA_PAGES names the developers' modules, imported at startup (`load_extra_pages`) before the app adds the
  pages the decorator collected (`add_protected_pages`): no edit of the app's core.

Only SessionState's server-side resolution (`_session_and_user`) is read, never how the token arrives.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.backend.assurance import Level
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.page_access import PageRule, Shortfall
from sms2fa_app.state import words
from sms2fa_app.state.session import CHALLENGE_PATH, LOGIN_PATH, SessionState, safe_next_path

log = logging.getLogger("sms2fa.state")

STEP_UP_PATH = "/step-up"
SETTINGS_PATH = "/settings"  # where 2FA is turned on


class ProtectedState(SessionState):
    """The base of a protected page's state: each of its events (and its substates') needs the page's rule."""

    async def check_access(self):
        """on_load guard of a protected page: nothing when the session meets the rule, else a redirect."""
        redirect, _reason = await refusal(self, rule_of(type(self)) or PageRule())
        return redirect


@dataclass(frozen=True)
class ProtectedPage:
    """A page the decorator collected, added to the app by `add_protected_pages`."""

    route: str
    component: Callable[[], rx.Component]
    state: type[ProtectedState]
    title: str
    on_load: tuple[Any, ...] = ()


_PAGES: dict[str, ProtectedPage] = {}
_RULES: dict[type, PageRule] = {}


def protected(
    route: str,
    *,
    state: type[ProtectedState],
    level: Level = Level.TWO_FACTOR,
    recent: int | None = None,
    title: str = "",
    on_load: Sequence[Any] = (),
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Declare `route` as a page that needs `level` (and with `recent`, a factor within that many seconds) for its
    on_load and for every event of `state`; `on_load`: the page's own load handlers, run after the guard."""
    rule = PageRule(level, recent)
    if not (isinstance(state, type) and issubclass(state, ProtectedState)):
        raise TypeError(f"@protected({route!r}): state= must be a subclass of ProtectedState")
    if not route.startswith("/") or safe_next_path(route) != route:
        raise ValueError(f"@protected({route!r}): the route must be a plain path such as /reports")

    def register(component: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        _RULES[state] = _RULES[state].stricter(rule) if state in _RULES else rule
        _PAGES[route] = ProtectedPage(route, component, state, title or route, tuple(on_load))
        return component

    return register


def rule_of(state_class: type) -> PageRule | None:
    """The rule of a protected state (its own, or a protected ancestor's; a ProtectedState no page declared gets
    the default: two factors); None for any other state."""
    if not issubclass(state_class, ProtectedState):
        return None
    return next((_RULES[cls] for cls in state_class.__mro__ if cls in _RULES), PageRule())


def protected_pages() -> list[ProtectedPage]:
    """The pages collected so far, in declaration order."""
    return list(_PAGES.values())


def add_protected_pages(app: rx.App, meta: Callable[[str], dict]) -> None:
    """Add each collected page with its guard first in on_load (`meta(title)`: the page's title and tags)."""
    for page in _PAGES.values():
        on_load = [page.state.check_access, *page.on_load]
        app.add_page(page.component, route=page.route, on_load=on_load, **meta(page.title))


def load_extra_pages(modules: Sequence[str]) -> None:
    """Import the developers' modules named by EXTRA_PAGES (their @protected pages register themselves)."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise RuntimeError(f"EXTRA_PAGES: cannot import {name!r} ({error})") from error


UNAVAILABLE = "unavailable"  # the reason logged when the session could not be read (an outage): refused


async def refusal(session: SessionState, rule: PageRule) -> tuple[rx.event.EventSpec | None, str]:
    """(None, "") when the tab's session meets `rule`; else where the tab goes and why (a Shortfall's value, or
    UNAVAILABLE). The page to come back to is remembered (next_path) for the challenge and the step-up; login
    gets it in its address."""
    try:
        found = await session._session_and_user()
    except ServiceUnavailable:
        return rx.redirect(LOGIN_PATH), UNAVAILABLE
    assurance = found[0].assurance if found is not None and found[1] is not None else None
    shortfall = rule.shortfall(assurance, session._services().clock.now())
    if shortfall is None:
        return None, ""
    if shortfall is Shortfall.ANONYMOUS:
        session._login_notice = words.login.LOG_IN_TO_CONTINUE
        return rx.redirect(session._login_path_back_to_here()), shortfall.value
    if shortfall is Shortfall.LEVEL_TOO_LOW:
        return rx.redirect(SETTINGS_PATH), shortfall.value
    session.next_path = safe_next_path(session.router.url.path)
    pending = shortfall is Shortfall.SECOND_FACTOR_PENDING
    return rx.redirect(CHALLENGE_PATH if pending else STEP_UP_PATH), shortfall.value


def _protected_state_at(path: str) -> type[ProtectedState] | None:
    """The protected state class at a state path (below the root), or None. Looked up for each event, never
    cached: a state added later (a module imported late) must not find an earlier answer of None."""
    if not path:
        return None
    try:
        state_class = rx.State.get_class_substate(path)
    except ValueError:
        return None
    return state_class if issubclass(state_class, ProtectedState) else None


class ProtectedEvents(rx.Middleware):
    """Runs before every event, after BrowserTokens (registered by sms2fa_app.py): an event for a protected state
    from a tab without the page's level runs no handler, changes nothing, gets a redirect and is logged."""

    async def preprocess(self, app: Any, state: Any, event: rx.event.Event) -> internals.StateUpdate | None:
        """Refuse an event of a protected state whose rule the tab's session does not meet."""
        state_class = _protected_state_at(internals.handler_state_path(event.name))
        if state_class is None:
            return None
        rule = rule_of(state_class) or PageRule()
        redirect, reason = await refusal(await state.get_state(SessionState), rule)
        if redirect is None:
            return None
        handler = f"{state_class.__name__}.{event.name.rpartition('.')[2][:64]}"
        log_event(log, logging.WARNING, "protected_event_refused", handler=handler, reason=reason)
        return internals.answered_with([redirect])
