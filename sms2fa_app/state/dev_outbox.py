"""The development outbox: texts the app would have sent, for trying it without a Plivo account.

Registered only in development (never in production), and it answers only a browser on this machine (a loopback
client address, after TRUSTED_PROXY_HOPS): it is the one place that shows codes on purpose.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sms2fa_app.config import is_loopback_host
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import SessionState


class DevOutboxState(SessionState):
    """Recent development texts, newest first."""

    messages: list[dict[str, str]] = []

    async def refresh(self):
        """Reload the outbox (development only; empty when a real gateway is configured)."""
        services = self._services()
        if services.settings.is_production or services.outbox is None or not is_loopback_host(self._client_ip()):
            self.messages = []
            return
        recent = await run_backend(services.outbox.recent)
        self.messages = [
            {
                "to": message.to,
                "text": message.text,
                "at": datetime.fromtimestamp(message.at, UTC).strftime("%H:%M:%S UTC"),
            }
            for message in recent
        ]
