"""/cancel-2fa-reset?token=…: the link in the mail that tells a user an admin will reset their 2FA. A button
cancels the reset, once (opening the page does nothing: mail scanners open links too)."""

from __future__ import annotations

from sms2fa_app.backend.admin.resets import ResetOutcome
from sms2fa_app.backend.identity.link_tokens import MAX_LINK_TOKEN_LENGTH
from sms2fa_app.state.admin import words
from sms2fa_app.state.guard import Access, Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import SessionState


class CancelResetState(SessionState):
    """Cancels the pending reset behind the link the page was opened with."""

    done: bool = False
    cancelled: bool = False
    message: str = ""
    busy: bool = False
    _link: str = ""

    def load(self):
        """on_load: keep the link's token on the server; nothing is cancelled yet."""
        token = self.router.url.query_parameters.get("token", "")
        self._link = token if isinstance(token, str) and len(token) <= MAX_LINK_TOKEN_LENGTH else ""
        self.done = self.cancelled = self.busy = False
        self.message = ""

    @guarded(access=Access.ANYONE, error="message")
    async def cancel(self, _caller: Caller) -> list:
        """Use the link (single use); say whether the reset is cancelled."""
        outcome = await run_backend(self._services().admin.resets.cancel_by_link, self._link)
        self.cancelled = outcome is ResetOutcome.CANCELLED
        self.message = words.RESET_CANCELLED_BY_LINK if self.cancelled else words.RESET_CANCEL_LINK_INVALID
        self.done, self._link = True, ""
        return []
