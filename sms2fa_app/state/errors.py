"""The app's last line against unexpected errors: a handler that raised gets a short message, never the
exception's text (Reflex's default shows it in a toast in development). Every handler is already
guarded (state/guard.py); this catches what happens outside them, such as arguments Reflex itself could
not apply to a handler.

What reaches the log is bounded: a browser can make these fire at will (wrong arguments to any handler, a made-up
"frontend exception"), so each is one short line a few times a minute per kind, and a traceback at most once a
minute per exception type (backend/infra/log_guard.py).

The message is state the page draws (`page_shell`), not a toast: a toast sent by the server runs as a script the
browser evaluates, which the Content-Security-Policy forbids.
"""

# No `from __future__ import annotations`: Reflex checks this handler's annotations as real types.
import logging

import reflex as rx

from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.log_guard import RateLimit
from sms2fa_app.state import words

log = logging.getLogger("sms2fa.state")
_ERROR_LINES = RateLimit()  # per exception type (or "frontend"): a few lines a minute
_TRACEBACKS = RateLimit(per_window=1)  # per exception type: one a minute


class AppErrorState(rx.State):
    """A failure outside any handler, said at the top of every page until dismissed."""

    message: str = ""

    def show_unavailable(self):
        """Say that something went wrong (the only message there is: no detail ever reaches the browser)."""
        self.message = words.common.SERVICE_UNAVAILABLE

    def dismiss(self):
        """Hide the message."""
        self.message = ""


def on_backend_error(exception: Exception) -> rx.event.EventSpec:
    """Log the error's type and first words (its traceback once a minute); tell the browser only that something
    went wrong."""
    kind = type(exception).__name__
    left_out = _ERROR_LINES.admit(kind)
    if left_out is not None:
        log_event(log, logging.ERROR, "backend_error", type=kind, detail=exception, left_out=left_out)
        if _TRACEBACKS.admit(kind) is not None:
            log.error("event=backend_error_traceback type=%s", kind, exc_info=exception)
    return AppErrorState.show_unavailable()


def on_frontend_error(exception: Exception) -> None:
    """Reflex's report of a browser-side error: its text is the browser's, so one quoted, cut line, a few a minute
    (Reflex's default logs it verbatim at ERROR, line breaks included)."""
    left_out = _ERROR_LINES.admit("frontend")
    if left_out is not None:
        log_event(log, logging.WARNING, "frontend_error", detail=exception, left_out=left_out)
