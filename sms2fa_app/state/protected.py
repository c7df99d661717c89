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
- Where a tab goes: no session -> /login?next=<page> (the tab forgets its token and every page's values); the
  second factor pending -> the challenge, then back; signed in without 2FA (or 2FA turned off since) on a
  two-factor page -> /settings (turn it on); the last SECOND factor older than `recent` -> the step-up
  (/step-up), then back, under a rotated token. Any refusal also resets the page's states (nothing private stays
  in the tab for the next hydrate to send).
- A substate's rule is the stricter of its own and every protected ancestor's. A protected state may not define
  computed vars (Reflex computes them outside any event, for anonymous tabs too) nor background handlers (checked
  only as they start): both are refused when the class is declared. An event that came over no socket (an upload
  to /_upload, which names the tab alone) is refused: uploads are not supported on protected pages.
- EXTRA_PAGES names the developers' modules, imported at startup (`load_extra_pages`) before the app adds the
  pages the decorator collected (`add_protected_pages`): no edit of the app's core.

Only SessionState's server-side resolution (`_session_and_user`) is read, never how the token arrives.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.backend.assurance import Level
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.page_access import PageRule, Shortfall
from sms2fa_app.state import words
from sms2fa_app.state.refusal_log import RefusalLog
from sms2fa_app.state.session import CHALLENGE_PATH, LOGIN_PATH, SessionState, safe_next_path

STEP_UP_PATH = "/step-up"
SETTINGS_PATH = "/settings"  # where 2FA is turned on


class ProtectedState(SessionState):
    """The base of a protected page's state: each of its events (and its substates') needs the page's rule."""

    async def check_access(self):
        """on_load guard of a protected page: nothing when the session meets the rule, else a redirect."""
        redirect, _reason = await refusal(self, type(self))
        return redirect

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse, as the class is declared, what would run outside the per-event check: computed vars (computed
        for every tab's update, anonymous ones too) and background handlers (checked only as they start)."""
        declared = [base for base in cls.__mro__ if not issubclass(ProtectedState, base)]  # mixins too
        computed = [name for base in declared for name in internals.own_computed_vars(base)]
        if computed:
            raise TypeError(
                f"{cls.__name__}: a ProtectedState may not define computed vars ({', '.join(computed)}): Reflex "
                "computes them outside the page's check; set plain vars in a handler instead"
            )
        background = [name for base in declared for name in internals.own_background_handlers(base)]
        if background:
            raise TypeError(
                f"{cls.__name__}: a ProtectedState may not define background handlers ({', '.join(background)}): "
                "the page's rule is checked only as they start"
            )
        super().__init_subclass__(**kwargs)


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
    for handler in on_load:
        path = internals.handler_of_state_path(handler)
        if path is None or _protected_state_at(path) is None:
            raise TypeError(f"@protected({route!r}): on_load= takes handlers of a ProtectedState (checked too)")
    if not route.startswith("/") or safe_next_path(route) != route:
        raise ValueError(f"@protected({route!r}): the route must be a plain path such as /reports")

    def register(component: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        _RULES[state] = _RULES[state].stricter(rule) if state in _RULES else rule
        _PAGES[route] = ProtectedPage(route, component, state, title or route, tuple(on_load))
        return component

    return register


def rule_of(state_class: type) -> PageRule | None:
    """The rule of a protected state: the stricter of its own and every protected ancestor's (a substate declared
    by another page must not loosen its parent's; none declared: the default, two factors); None for any other
    state."""
    if not issubclass(state_class, ProtectedState):
        return None
    rules = [_RULES[cls] for cls in state_class.__mro__ if cls in _RULES]
    combined = rules[0] if rules else PageRule()
    for rule in rules[1:]:
        combined = combined.stricter(rule)
    return combined


def _page_state_of(state_class: type[ProtectedState]) -> type[ProtectedState]:
    """The page's state a protected state belongs to: its topmost ancestor below ProtectedState (itself at top)."""
    top = state_class
    while (parent := top.get_parent_state()) is not ProtectedState and _is_protected(parent):
        top = parent
    return top


def _is_protected(state_class: type[rx.State] | None) -> bool:
    """Whether `state_class` is ProtectedState or below it (Reflex's states answer issubclass(C, C) with False)."""
    return state_class is ProtectedState or (state_class is not None and issubclass(state_class, ProtectedState))


def _checked_state(state_class: type[ProtectedState], path: str) -> type[ProtectedState]:
    """The state whose rule applies: the page's own at `path` for the guard every page shares (`check_access`,
    a handler of ProtectedState itself, whose events name ProtectedState), else `state_class`."""
    if state_class is not ProtectedState:
        return state_class
    page = _PAGES.get("/" + path.strip("/"))
    return page.state if page is not None else ProtectedState


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
NO_CONNECTION = "no_connection"  # the reason logged for an event that came over no socket (an upload)
_REFUSED_EVENTS = RefusalLog("protected_event_refused")  # one line a minute at most, with the count


async def refusal(session: SessionState, state_class: type[ProtectedState]) -> tuple[rx.event.EventSpec | None, str]:
    """(None, "") when the tab's session meets the rule of `state_class`; else where the tab goes and why (a
    Shortfall's value, or UNAVAILABLE), the page's states reset (an anonymous tab forgets its token and every
    page's values). The page to come back to is remembered (next_path) for the challenge and the step-up; login
    gets it in its address."""
    state_class = _checked_state(state_class, session.router.url.path)
    page_state = _page_state_of(state_class)
    try:
        shortfall = await _shortfall_of(session, rule_of(state_class) or PageRule())
    except ServiceUnavailable:
        await session._reset_states_from(page_state)
        return rx.redirect(LOGIN_PATH), UNAVAILABLE
    if shortfall is None:
        return None, ""
    if shortfall is Shortfall.ANONYMOUS:
        await session._forget()
        session._login_notice = words.login.LOG_IN_TO_CONTINUE
        return rx.redirect(session._login_path_back_to_here()), shortfall.value
    await session._reset_states_from(page_state)
    if shortfall is Shortfall.LEVEL_TOO_LOW:
        return rx.redirect(SETTINGS_PATH), shortfall.value
    session.next_path = safe_next_path(session.router.url.path)
    pending = shortfall is Shortfall.SECOND_FACTOR_PENDING
    return rx.redirect(CHALLENGE_PATH if pending else STEP_UP_PATH), shortfall.value


async def _shortfall_of(session: SessionState, rule: PageRule) -> Shortfall | None:
    """What the tab's session (resolved on the server, with its user's 2FA now) lacks for `rule`, or None."""
    found = await session._session_and_user()
    user = found[1] if found is not None else None
    assurance = found[0].assurance if found is not None and user is not None else None
    two_factor_on = user is not None and user.is_two_factor_enabled
    return rule.shortfall(assurance, session._services().clock.now(), two_factor_on=two_factor_on)


def _protected_state_at(path: str) -> type[ProtectedState] | None:
    """The protected state class at a state path (below the root), or None. Looked up for each event, never
    cached: a state added later (a module imported late) must not find an earlier answer of None."""
    if not path:
        return None
    try:
        state_class = rx.State.get_class_substate(path)
    except ValueError:
        return None
    return state_class if _is_protected(state_class) else None


class ProtectedEvents(rx.Middleware):
    """Runs before every event, after BrowserTokens (registered by sms2fa_app.py): an event for a protected state
    from a tab without the page's level runs no handler, changes nothing, gets a redirect and is logged."""

    async def preprocess(self, app: Any, state: Any, event: rx.event.Event) -> internals.StateUpdate | None:
        """Refuse an event of a protected state that came over no socket, or whose rule the tab's session does
        not meet."""
        state_class = _protected_state_at(internals.handler_state_path(event.name))
        if state_class is None:
            return None
        handler = f"{state_class.__name__}.{event.name.rpartition('.')[2][:64]}"
        if internals.in_event() and internals.event_connection_id() is None:
            # An upload (/_upload) names the tab alone: a replayed tab id would do, so its handler never runs.
            _REFUSED_EVENTS.note(handler=handler, reason=NO_CONNECTION)
            return internals.answered_without_change()
        redirect, reason = await refusal(await state.get_state(SessionState), state_class)
        if redirect is None:
            return None
        _REFUSED_EVENTS.note(handler=handler, reason=reason)
        return internals.answered_with([redirect])
