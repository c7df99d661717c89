"""Settings: the account's factors, remembered devices and active sessions as the server knows them."""

from __future__ import annotations

import re

from sms2fa_app.backend.audit.activity import ActivityEntry, EventKind
from sms2fa_app.backend.delivery.whatsapp import whatsapp_available
from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.models import User
from sms2fa_app.state import words
from sms2fa_app.state.cooldown import CooldownState
from sms2fa_app.state.guard import Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.said import ErrorId, NoticeId, said_id
from sms2fa_app.state.session import SessionState

_ROW_ID = re.compile(r"[0-9]{1,12}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class SettingsState(ErrorId, NoticeId, CooldownState, SessionState):
    """The status part of the settings page (the wizard lives in its substates)."""

    two_factor_enabled: bool = False
    phone_ending: str = ""
    code_channel: str = "sms"  # users.phone_channel: how codes reach the number
    whatsapp_offered: bool = False  # WhatsApp is configured (in development: the outbox), so the choice is shown
    recovery_left: int = 0
    totp_enabled: bool = False
    passkeys: list[dict[str, str]] = []
    devices: list[dict[str, str]] = []
    sessions: list[dict[str, str]] = []
    apps: list[dict[str, str]] = []  # OpenID clients holding live tokens ("Connected apps")
    notice: str = ""
    error: str = ""
    busy: bool = False
    # "Last used today" (or "Never used") per method row: sms, totp, passkey, recovery.
    last_used: dict[str, str] = {}
    confirming_disable: bool = False  # the warning before "Turn off two-factor authentication"
    confirming_forget_all: bool = False  # the question before "Forget all"
    mail_delayed: str = ""  # said while the notice mails run late (the mail server failed the last send)
    mail_delayed_id = said_id("mail_delayed")
    _session_id: int = 0  # this browser's session, marked in the list

    def _show_status(self, user: User, session_id: int = 0) -> None:
        """The factors, devices and sessions as the server knows them (blocking: call through run_backend)."""
        services = self._services()
        assert user.id is not None
        self._session_id = session_id or self._session_id
        self.two_factor_enabled = user.is_two_factor_enabled
        self.phone_ending = (user.phone_number or "")[-4:]
        self.code_channel = user.phone_channel
        self.whatsapp_offered = whatsapp_available(services.gateway)
        self.signed_in_email = user.email
        self.mail_delayed = words.settings.MAIL_DELAYED if services.mail_health.delayed(user.email) else ""
        self.recovery_left = services.recovery.remaining(user.id)
        self.totp_enabled = services.totp.is_enabled(user.id)
        now = services.clock.now()
        self.last_used = _last_used(services.activity.recent(user.id), now)
        self.passkeys = [
            {
                "id": str(passkey.passkey_id),
                "name": passkey.name,
                "times": words.settings.passkey_times(
                    passkey.created_at, passkey.last_used_at, now, passkey.discoverable
                ),
                "one_step": "yes" if passkey.discoverable else "",  # signs in on /login without a password
            }
            for passkey in services.passkeys.list(user.id)
        ]
        self.devices = [
            {
                "id": str(device.device_id),
                "label": words.common.device(device.label),
                "times": words.settings.device_times(device.first_seen, device.last_used, now),
                "forget": words.settings.forget_label(words.common.device(device.label)),
                "current": "yes" if device.current else "",
            }
            for device in services.devices.list(user.id, self._device())
        ]
        self.confirming_disable = self.confirming_forget_all = False
        self.sessions = [
            {
                "id": str(listed.session_id),
                "browser": words.common.device(listed.browser),
                "network": words.common.network(listed.network),
                "times": words.settings.session_times(listed.started_at, listed.last_seen_at, now),
                "current": "yes" if listed.session_id == self._session_id else "",
                "pending": "" if listed.signed_in else "yes",
                "sign_out": words.settings.sign_out_label(
                    number, words.common.device(listed.browser), words.common.network(listed.network)
                ),
            }
            for number, listed in enumerate(services.sessions.list_for_user(user.id), start=1)
        ]
        self.apps = [
            {"id": app.client_id, "name": app.name, "times": words.settings.last_used(app.last_signed_in_at, now)}
            for app in services.oidc.connected_apps(user.id)
        ]

    async def _refresh_status(self, user_id: int) -> None:
        user = await run_backend(self._services().accounts.get, user_id)
        assert user is not None
        await run_backend(self._show_status, user)

    @guarded()
    async def forget_device(self, caller: Caller, device_id: str) -> list:
        """Forget one remembered device of this user."""
        _session, user = caller.signed_in
        if _ROW_ID.fullmatch(device_id):
            await run_backend(self._services().devices.forget, user.id, int(device_id))
        await self._refresh_status(user.id or 0)
        return []

    @guarded()
    async def ask(self, caller: Caller, question: str) -> list:
        """Ask before a step that loses something: "disable" (2FA off) or "forget_all" ("" takes both back)."""
        self.confirming_disable = question == "disable"
        self.confirming_forget_all = question == "forget_all"
        return []

    @guarded()
    async def forget_all_devices(self, caller: Caller) -> list:
        """Forget every remembered device of this user (after "Forget all" was confirmed)."""
        _session, user = caller.signed_in
        await run_backend(self._services().devices.forget_all, user.id)
        await self._refresh_status(user.id or 0)
        return []

    @guarded()
    async def sign_out_session(self, caller: Caller, session_id: str) -> list:
        """End one of this user's sessions (this browser's own: log out)."""
        session, user = caller.signed_in
        if not _ROW_ID.fullmatch(session_id):
            return []
        if int(session_id) == session.session_id:
            return [await self.log_out()]
        ended = await run_backend(self._services().sessions.end_for_user, user.id, int(session_id))
        await self._refresh_status(user.id or 0)
        self.notice = words.settings.SESSION_ENDED if ended else ""
        return []

    @guarded()
    async def disconnect_app(self, caller: Caller, client_id: str) -> list:
        """Revoke what an app holds for this user and forget the consent ("Disconnect")."""
        _session, user = caller.signed_in
        if not _CLIENT_ID.fullmatch(client_id):
            return []
        done = await run_backend(self._services().oidc.disconnect, user.id, client_id)
        await self._refresh_status(user.id or 0)
        self.notice = words.settings.APP_DISCONNECTED if done else ""
        return []

    @guarded()
    async def sign_out_everywhere_else(self, caller: Caller) -> list:
        """End every session of this user but this one."""
        session, user = caller.signed_in
        await run_backend(self._services().sessions.end_all_for_user, user.id, session.session_id)
        await self._refresh_status(user.id or 0)
        self.notice = words.settings.OTHER_SESSIONS_ENDED  # a page message, not a toast (the CSP forbids those)
        return []


_USES = {
    (EventKind.SIGNED_IN, Factor.SMS.value): "sms",
    (EventKind.SIGNED_IN, Factor.TOTP.value): "totp",
    (EventKind.SIGNED_IN, Factor.PASSKEY.value): "passkey",
    (EventKind.RECOVERY_CODE_USED, None): "recovery",
}


def _last_used(entries: list[ActivityEntry], now: float) -> dict[str, str]:
    """Each method's newest use in the activity log (newest first), in words."""
    newest: dict[str, float] = {}
    for entry in entries:
        method = _USES.get((entry.kind, entry.detail)) or _USES.get((entry.kind, None))
        if method is not None:
            newest.setdefault(method, entry.at)
    return {
        method: words.settings.last_used(newest.get(method), now) for method in ("sms", "totp", "passkey", "recovery")
    }
