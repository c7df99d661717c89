"""The security activity page: the signed-in user's last 90 days, newest first."""

from __future__ import annotations

from sms2fa_app.backend.delivery.letters import when
from sms2fa_app.state import words
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import SessionState


class ActivityState(SessionState):
    """What the activity log holds for this user, in words."""

    entries: list[dict[str, str]] = []

    async def load(self):
        """on_load: the guard, then the entries."""
        redirect, signed_in = await self._guard_page()
        if signed_in is None:
            self.entries = []
            return redirect
        _session, user = signed_in
        listed = await run_backend(self._services().activity.recent, user.id)
        self.entries = [
            {
                "what": words.activity.activity_line(entry),
                "when": when(entry.at),
                "browser": entry.browser or "Unknown browser",
                "network": entry.network or "unknown network",
            }
            for entry in listed
        ]
        return None
