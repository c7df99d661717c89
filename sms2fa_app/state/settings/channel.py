"""Settings, "Send my codes by": a text or WhatsApp, to the same verified number.

Moving codes to WhatsApp moves them to whoever holds the number's WhatsApp account, so it goes through the wizard's
re-authentication (the password, then a factor: as a new number does) and ends like every factor change. Back to a
text needs no grant (the default every account may fall back to); both are logged and mailed (backend
flows/factor_changes.py). The choice at enrollment stays with the enrollment (sms.py): it follows a re-authenticated,
code-proven number.
"""

from __future__ import annotations

from typing import ClassVar

from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.models import User
from sms2fa_app.state import words
from sms2fa_app.state.guard import Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.settings.wizard import WizardState


class CodeChannelState(WizardState):
    """The channel choice next to the number; WhatsApp after the re-authentication the wizard asks for."""

    handles: ClassVar[frozenset[Operation]] = frozenset({Operation.CHOOSE_WHATSAPP})

    @guarded()
    async def choose_channel(self, caller: Caller, channel: str) -> list:
        """ "whatsapp": re-authenticate first (the wizard opens); "sms": at once. The same choice again changes
        nothing; anything else, or WhatsApp where it is not offered, is refused."""
        session, user = caller.signed_in
        self.notice = self.error = ""
        if channel in (Channel.SMS.value, Channel.WHATSAPP.value) and channel == user.phone_channel:
            self.notice = words.settings.CHANNEL_SAVED[channel]
            return []
        if (
            channel == Channel.WHATSAPP.value
            and self.whatsapp_offered
            and await self._start(caller, Operation.CHOOSE_WHATSAPP)
        ):
            return []  # the password step is shown; the change waits for the grant
        saved = channel == Channel.SMS.value and await run_backend(self._services().factor_changes.choose_text, session)
        await self._refresh_status(user.id or 0)
        self.error = "" if saved else words.settings.CHANNEL_NOT_SAVED
        self.notice = words.settings.CHANNEL_SAVED[channel] if saved else ""
        return []

    async def _open(self, session: ActiveSession, user: User, operation: Operation) -> list:
        """Re-authenticated: codes go by WhatsApp now (the grant is consumed with the change)."""
        changed = await run_backend(self._services().factor_changes.choose_whatsapp, session)
        return await self._finish(changed, words.settings.CHANNEL_SAVED[Channel.WHATSAPP.value])
