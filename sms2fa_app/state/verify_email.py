"""The verification link's page: a button confirms the address, once.

Opening the page confirms nothing by itself: mail scanners and link previews open links too, and
an address must be confirmed by the person reading the mail.
"""

from __future__ import annotations

from sms2fa_app.backend.identity.link_tokens import MAX_LINK_TOKEN_LENGTH
from sms2fa_app.state import messages
from sms2fa_app.state.guard import Access, Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import SessionState


class VerifyEmailState(SessionState):
    """Confirms the address behind the link the page was opened with."""

    done: bool = False
    verified: bool = False
    message: str = ""
    busy: bool = False
    _link: str = ""

    def load(self):
        """on_load: keep the link's token on the server; nothing is confirmed yet."""
        token = self.router.url.query_parameters.get("token", "")
        self._link = token if isinstance(token, str) and len(token) <= MAX_LINK_TOKEN_LENGTH else ""
        self.done = self.verified = self.busy = False
        self.message = ""

    @guarded(access=Access.ANYONE, error="message")
    async def confirm(self, _caller: Caller) -> list:
        """Use the link (single use); say whether the address is confirmed."""
        self.verified = await run_backend(self._services().verification.confirm, self._link)
        self.message = messages.EMAIL_VERIFIED if self.verified else messages.VERIFY_LINK_INVALID
        self.done, self._link = True, ""
        return []
