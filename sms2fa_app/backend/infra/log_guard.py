"""Keeps what a browser can make the framework log short, one line each, and rare.

A bare websocket client can send any event name with a payload of up to ~1 MB, wrong arguments to a real handler,
or a multi-line "frontend exception". Reflex logs each of them (the event with its payload, a traceback, the
browser's text verbatim), so without a guard every message becomes kilobytes of log, and a newline in the browser's
text forges a log line. Framework-free: sms2fa_app.py installs it, state/errors.py uses the same limiter.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

MAX_LINE_CHARS = 240  # a log line from the framework is cut to this; the rest is a payload or a traceback
# Where Reflex's repr of an event turns to the browser's request (headers, cookies) and its payload: cut there.
EVENT_DETAIL_MARK = ", router_data="
WINDOW_SECONDS = 60.0  # each kind of line is written at most LINES_PER_WINDOW times this often
LINES_PER_WINDOW = 3
KEY_CHARS = 32  # a line's kind is its logger, level and first words (Reflex formats names and numbers in later)
GUARDED_LOGGERS = ("reflex", "reflex_base")  # with every logger under them that exists at install time
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def one_line(text: str, limit: int = MAX_LINE_CHARS) -> str:
    """The text with line breaks made spaces, cut to limit characters (marked with an ellipsis)."""
    flat = _LINE_BREAKS.sub(" ", text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class RateLimit:
    """Admits a key at most `per_window` times per `window` seconds and counts the ones it turned away, so the
    next admitted line can say how many were left out."""

    def __init__(self, per_window: int = LINES_PER_WINDOW, window: float = WINDOW_SECONDS, clock=time.monotonic):
        self.per_window, self.window, self.clock = per_window, window, clock
        self._seen: dict[str, tuple[float, int, int]] = {}  # key: (window start, admitted, turned away)
        self._lock = threading.Lock()

    def admit(self, key: str) -> int | None:
        """None when the key is over its limit; else how many were turned away since the last one admitted."""
        now = self.clock()
        with self._lock:
            start, admitted, skipped = self._seen.get(key, (now, 0, 0))
            if now - start >= self.window:
                start, admitted = now, 0
            if admitted >= self.per_window:
                self._seen[key] = (start, admitted, skipped + 1)
                return None
            if len(self._seen) > 1000:  # keys are a closed set in practice; never let them grow unbounded
                self._seen.clear()
            self._seen[key] = (start, admitted + 1, 0)
            return skipped


class FlattenAndLimit(logging.Filter):
    """A filter for the framework's loggers: warnings and errors become one short line without a traceback, each
    kind (logger, level, first KEY_CHARS characters) at most LINES_PER_WINDOW times a minute. Debug and info pass."""

    def __init__(self, limit: RateLimit | None = None) -> None:
        super().__init__()
        self.limit = limit or RateLimit()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or getattr(record, "sms2fa_guarded", False):
            return True
        record.sms2fa_guarded = True  # the same record may meet this filter on a logger and on a handler
        text = one_line(record.getMessage().partition(EVENT_DETAIL_MARK)[0])
        skipped = self.limit.admit(f"{record.name}:{record.levelno}:{text[:KEY_CHARS]}")
        if skipped is None:
            return False
        if record.exc_info and record.exc_info[0] is not None:
            text = one_line(f"{text} [{record.exc_info[0].__name__}]")
        record.msg, record.args = (f"{text} ({skipped} similar left out)" if skipped else text), None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def install_framework_log_guard(names: tuple[str, ...] = GUARDED_LOGGERS) -> FlattenAndLimit:
    """Put one FlattenAndLimit on the named loggers, every logger under them that exists now, and their handlers
    (a logger's filter sees only the records made on it; a handler's sees the ones that propagate to it)."""
    guard = FlattenAndLimit()
    under = tuple(f"{root}." for root in names)
    for name in [*names, *logging.root.manager.loggerDict]:
        if name in names or name.startswith(under):
            target = logging.getLogger(name)
            _add_once(target.addFilter, target.filters, guard)
            for handler in target.handlers:
                _add_once(handler.addFilter, handler.filters, guard)
    return guard


def _add_once(add: Callable[[logging.Filter], None], present: list, guard: FlattenAndLimit) -> None:
    """Add the guard unless one is there already (the app module may be imported twice: reflex run, then workers)."""
    if not any(isinstance(existing, FlattenAndLimit) for existing in present):
        add(guard)
