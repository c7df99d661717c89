"""The verification link's page: a button confirms the address, once (state/email_link.py)."""

from __future__ import annotations

from typing import ClassVar

from sms2fa_app.state import words
from sms2fa_app.state.email_link import EmailLinkState
from sms2fa_app.state.guard import Access, Caller, guarded
from sms2fa_app.state.session import SessionState


class VerifyEmailState(EmailLinkState, SessionState):
    """Confirms the address behind the link the page was opened with."""

    OUTCOME: ClassVar[str] = "verified"
    verified: bool = False

    @guarded(access=Access.ANYONE, error="message")
    async def confirm(self, _caller: Caller) -> list:
        """Use the link (single use); say whether the address is confirmed."""
        confirm = self._services().verification.confirm
        return await self._spend_link(confirm, words.login.EMAIL_VERIFIED, words.login.VERIFY_LINK_INVALID)
