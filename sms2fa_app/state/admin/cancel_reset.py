"""/cancel-2fa-reset?token=…: the link in the mail that tells a user an admin will reset their 2FA. A button
cancels the reset, once (opening the page does nothing: mail scanners open links too; state/email_link.py)."""

from __future__ import annotations

from typing import ClassVar

from sms2fa_app.backend.admin.resets import ResetOutcome
from sms2fa_app.backend.infra.crypto import TokenDigest
from sms2fa_app.state import words
from sms2fa_app.state.email_link import EmailLinkState
from sms2fa_app.state.guard import Access, Caller, guarded
from sms2fa_app.state.session import SessionState


class CancelResetState(EmailLinkState, SessionState):
    """Cancels the pending reset behind the link the page was opened with."""

    OUTCOME: ClassVar[str] = "cancelled"
    cancelled: bool = False

    @guarded(access=Access.ANYONE, error="message")
    async def cancel(self, _caller: Caller) -> list:
        """Use the link (single use); say whether the reset is cancelled."""
        resets = self._services().admin.resets

        def cancel(link: TokenDigest | None) -> bool:
            return resets.cancel_by_link(link) is ResetOutcome.CANCELLED

        return await self._spend_link(
            cancel, words.admin.RESET_CANCELLED_BY_LINK, words.admin.RESET_CANCEL_LINK_INVALID
        )
