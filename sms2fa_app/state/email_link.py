"""The page a single-use emailed link opens: the token is read from the URL on load and spent by one button, once.

Opening the page spends nothing by itself: mail scanners and link previews open links too, and the link must be
used by the person reading the mail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import reflex as rx

from sms2fa_app.backend.infra.crypto import TokenDigest
from sms2fa_app.state.link_address import link_digest
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.said import said_id


class EmailLinkState(rx.State, mixin=True):
    """Mixed into the state of a link's page (no state of its own in the tree); the subclass names in `OUTCOME`
    its bool var that says the link did its work. The subclass is a SessionState, whose `_opened_link` gives the
    digest of the address's token: the state never holds the token itself."""

    OUTCOME: ClassVar[str]
    done: bool = False
    message: str = ""
    message_id = said_id("message")
    busy: bool = False
    _link: str = ""  # the digest of the link's token

    def load(self):
        """on_load: keep the digest of the link's token on the server; nothing is spent yet."""
        self._link = self._opened_link()  # type: ignore[attr-defined]  # (SessionState, see the class doc)
        setattr(self, self.OUTCOME, False)
        self.done = self.busy = False
        self.message = ""

    async def _spend_link(self, use: Callable[[TokenDigest | None], bool], worked: str, refused: str) -> list:
        """Spend the link through `use` (True: it did its work); say so in `worked` or `refused`. No events."""
        outcome = await run_backend(use, link_digest(self._link))
        setattr(self, self.OUTCOME, outcome)
        self.message = worked if outcome else refused
        self.done, self._link = True, ""
        return []
