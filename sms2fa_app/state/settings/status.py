"""Settings: the account's factors and remembered devices as the server knows them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sms2fa_app.backend.models import User
from sms2fa_app.state.cooldown import CooldownState
from sms2fa_app.state.guard import Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import SessionState

_DEVICE_ID = re.compile(r"[0-9]{1,12}")


class SettingsState(CooldownState, SessionState):
    """The status part of the settings page (the wizard lives in its substates)."""

    two_factor_enabled: bool = False
    phone_ending: str = ""
    recovery_left: int = 0
    totp_enabled: bool = False
    devices: list[dict[str, str]] = []
    notice: str = ""
    error: str = ""
    busy: bool = False

    def _show_status(self, user: User) -> None:
        """The factors as the server knows them (blocking: call through run_backend)."""
        services = self._services()
        assert user.id is not None
        self.two_factor_enabled = user.is_two_factor_enabled
        self.phone_ending = (user.phone_number or "")[-4:]
        self.signed_in_email = user.email
        self.recovery_left = services.recovery.remaining(user.id)
        self.totp_enabled = services.totp.is_enabled(user.id)
        self.devices = [
            {
                "id": str(device.device_id),
                "label": device.label,
                "first_seen": _day(device.first_seen),
                "last_used": _day(device.last_used),
            }
            for device in services.devices.list(user.id)
        ]

    async def _refresh_status(self, user_id: int) -> None:
        user = await run_backend(self._services().accounts.get, user_id)
        assert user is not None
        await run_backend(self._show_status, user)

    @guarded()
    async def forget_device(self, caller: Caller, device_id: str) -> list:
        """Forget one remembered device of this user."""
        _session, user = caller.signed_in
        if _DEVICE_ID.fullmatch(device_id):
            await run_backend(self._services().devices.forget, user.id, int(device_id))
        await self._refresh_status(user.id or 0)
        return []

    @guarded()
    async def forget_all_devices(self, caller: Caller) -> list:
        """Forget every remembered device of this user."""
        _session, user = caller.signed_in
        await run_backend(self._services().devices.forget_all, user.id)
        await self._refresh_status(user.id or 0)
        return []


def _day(timestamp: float) -> str:
    """A date for the devices list."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
