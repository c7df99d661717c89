"""The development outbox: texts and mails the app would have sent, for trying it without Plivo or SMTP.

Registered only in development (never in production), and it answers only a browser on this machine (a loopback
client address, after TRUSTED_PROXY_HOPS): it is the one place that shows codes and links on purpose (a developer
clicks a verification or reset link here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sms2fa_app.backend.delivery.outbox import EMAIL, WHATSAPP
from sms2fa_app.config import is_loopback_host
from sms2fa_app.state import words
from sms2fa_app.state.guard import Access, Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.said import said_id
from sms2fa_app.state.session import SessionState

_LINK = re.compile(r"https?://\S+")


@dataclass
class OutboxEntry:
    """One message as the page shows it."""

    channel: str
    recipient: str
    at: str
    subject: str
    text: str
    links: list[str] = field(default_factory=list)


class DevOutboxState(SessionState):
    """Recent development texts and mails, newest first."""

    messages: list[OutboxEntry] = []
    refreshing: bool = False
    refresh_error: str = ""
    limits_notice: str = ""
    limits_notice_id = said_id("limits_notice")

    async def refresh(self):
        """Reload the outbox (development only; empty when real gateways are configured)."""
        await self._reload()

    @guarded(access=Access.ANYONE, busy="refreshing", error="refresh_error")
    async def tick(self, _caller: Caller, _now: str) -> list:
        """The open page's timer: reload (a tick while the last one still runs is dropped)."""
        await self._reload()
        return []

    async def clear_limits(self):
        """Forget every limit, cooldown and lockout, so trying the flows never locks a developer out; refused in
        production (no tool is built there) and to any client not on this machine."""
        services = self._services()
        if services.settings.is_production or services.dev_limits is None or not self._on_this_machine():
            self.limits_notice = words.common.DEV_LIMITS_REFUSED
            return
        await run_backend(services.dev_limits.clear)
        self.limits_notice = words.common.DEV_LIMITS_CLEARED

    def _on_this_machine(self) -> bool:
        return is_loopback_host(self._client_ip())

    async def _reload(self) -> None:
        services = self._services()
        if services.settings.is_production or services.outbox is None or not self._on_this_machine():
            self.messages = []
            return
        recent = await run_backend(services.outbox.recent)
        self.messages = [
            OutboxEntry(
                channel={EMAIL: "mail", WHATSAPP: "whatsapp"}.get(message.channel, "text"),  # said by the page
                recipient=message.to,
                at=datetime.fromtimestamp(message.at, UTC).strftime("%H:%M:%S UTC"),
                subject=message.subject,
                text=message.text,
                links=_LINK.findall(message.text),
            )
            for message in recent
        ]
