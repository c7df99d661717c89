"""One short warning line for a kind of refused event, at most every REFUSAL_LOG_SECONDS per worker, with how many
were refused since the last line: a browser (or a script) sending refused events in a loop must not become a flood
of log lines. BrowserTokens' refused `setvar` and ProtectedEvents' refused page events share it."""

from __future__ import annotations

import logging
import time

from sms2fa_app.backend.infra.events import log_event

log = logging.getLogger("sms2fa.state")

REFUSAL_LOG_SECONDS = 60.0  # at most one line per kind and worker this often, however many are refused


class RefusalLog:
    """Counts the refusals of one kind (`event`, the log line's name) and logs the first after a quiet period with
    its own fields and the count since the last line."""

    def __init__(self, event: str) -> None:
        self.event = event
        self.unlogged = 0
        self.logged_at = -REFUSAL_LOG_SECONDS

    def note(self, **fields: object) -> None:
        """Count one refusal; log it (`fields`, never a token) unless a line went out less than the period ago."""
        self.unlogged += 1
        now = time.monotonic()
        if now - self.logged_at >= REFUSAL_LOG_SECONDS:
            log_event(log, logging.WARNING, self.event, **fields, count=self.unlogged)
            self.unlogged, self.logged_at = 0, now
