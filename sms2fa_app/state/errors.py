"""The app's last line against unexpected errors: a handler that raised gets a short message, never the
exception's text (Reflex's default shows it in a toast in development). Every handler is already
guarded (state/guard.py); this catches what happens outside them, such as arguments Reflex itself could
not apply to a handler.

The message is state the page draws (`page_shell`), not a toast: a toast sent by the server runs as a script the
browser evaluates, which the Content-Security-Policy forbids.
"""

# No `from __future__ import annotations`: Reflex checks this handler's annotations as real types.
import logging

import reflex as rx
from reflex_base.event import EventSpec

from sms2fa_app.state import words

log = logging.getLogger("sms2fa.state")


class AppErrorState(rx.State):
    """A failure outside any handler, said at the top of every page until dismissed."""

    message: str = ""

    def show_unavailable(self):
        """Say that something went wrong (the only message there is: no detail ever reaches the browser)."""
        self.message = words.common.SERVICE_UNAVAILABLE

    def dismiss(self):
        """Hide the message."""
        self.message = ""


def on_backend_error(exception: Exception) -> EventSpec:
    """Log the error with its traceback; tell the browser only that something went wrong."""
    log.error("event=backend_error type=%s", type(exception).__name__, exc_info=exception)
    return AppErrorState.show_unavailable()
