"""The security activity page: the signed-in user's last 90 days, newest first, a page at a time.

Identical rows in a row (the same event from the same browser and network, e.g. five wrong codes) show as one
with a count, so a burst does not push everything else off the page; a filter keeps one kind of event.
"""

from __future__ import annotations

from dataclasses import dataclass

from sms2fa_app.backend.audit.activity import ActivityEntry
from sms2fa_app.backend.delivery.letters import when
from sms2fa_app.state import words
from sms2fa_app.state.guard import Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import SessionState

PAGE_SIZE = 20  # rows (after grouping) per page
ALL = "all"


@dataclass
class _Row:
    """Consecutive identical events, newest first: what, where from, how many and when the newest was."""

    what: str
    category: str
    browser: str
    network: str
    at: float
    count: int = 1

    def shown(self) -> dict[str, str]:
        return {
            "what": self.what,
            "when": when(self.at),
            "browser": self.browser,
            "network": self.network,
            "repeated": words.activity.repeated(self.count) if self.count > 1 else "",
        }


def grouped(listed: list[ActivityEntry]) -> list[_Row]:
    """The entries (newest first) with each run of identical ones folded into its newest, counted."""
    rows: list[_Row] = []
    for entry in listed:
        what = words.activity.activity_line(entry)
        browser, network = words.common.device(entry.browser), words.common.network(entry.network)
        last = rows[-1] if rows else None
        if last is not None and (last.what, last.browser, last.network) == (what, browser, network):
            last.count += 1
            continue
        rows.append(_Row(what, words.activity.category(entry.kind), browser, network, entry.at))
    return rows


class ActivityState(SessionState):
    """What the activity log holds for this user, in words, one page of the chosen kind at a time."""

    entries: list[dict[str, str]] = []
    page: int = 0  # 0: the newest
    pages: int = 1
    kind: str = ALL  # ALL or one of words.activity.CATEGORIES
    error: str = ""
    _rows: list[_Row] = []

    async def load(self):
        """on_load: the guard, then the entries (first page, every kind)."""
        redirect, signed_in = await self._guard_page()
        if signed_in is None:
            self._rows, self.page, self.kind = [], 0, ALL
            self._show()
            return redirect
        _session, user = signed_in
        self._rows = grouped(await run_backend(self._services().activity.recent, user.id))
        self.page, self.kind = 0, ALL
        self._show()
        return None

    @guarded(busy=None)
    async def show_kind(self, caller: Caller, kind: str) -> list:
        """The filter: one kind of event (an unknown value shows every kind), from the newest page."""
        self.kind = kind if kind in words.activity.CATEGORIES else ALL
        self.page = 0
        self._show()
        return []

    @guarded(busy=None)
    async def turn_page(self, caller: Caller, direction: str) -> list:
        """ "older" or "newer"; the ends stay where they are."""
        step = {"older": 1, "newer": -1}.get(direction, 0)
        self.page = min(max(self.page + step, 0), self.pages - 1)
        self._show()
        return []

    def _show(self) -> None:
        kept = [row for row in self._rows if self.kind == ALL or row.category == self.kind]
        self.pages = max(1, -(-len(kept) // PAGE_SIZE))
        self.page = min(self.page, self.pages - 1)
        start = self.page * PAGE_SIZE
        self.entries = [row.shown() for row in kept[start : start + PAGE_SIZE]]
