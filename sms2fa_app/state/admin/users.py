"""/admin: find an account by email, see its 2FA state, factors, sign-ins and lockouts, and act on it.

The chosen account's id stays on the server (`_user_id`); the browser only ever names one from the search results
the server sent. Nothing sent to the browser holds a code, a hash or a whole number (the number is masked).
"""

from __future__ import annotations

from sms2fa_app.backend.admin.console import ActionOutcome, UserOverview
from sms2fa_app.backend.admin.resets import ResetOutcome
from sms2fa_app.backend.delivery.letters import when
from sms2fa_app.state import words
from sms2fa_app.state.admin.base import AdminState, admin_guarded
from sms2fa_app.state.guard import Caller
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.said import ErrorId, NoticeId

MAX_LISTED_IDS = 50


class AdminUsersState(ErrorId, NoticeId, AdminState):
    """The accounts part of the console."""

    results: list[dict[str, str]] = []
    searched: bool = False
    user: dict[str, str] = {}  # the chosen account's overview, in words
    sign_ins: list[dict[str, str]] = []
    lockouts: list[dict[str, str]] = []
    audit: list[dict[str, str]] = []
    pending_reset: str = ""  # when the pending reset takes effect, in words ("" = none)
    check_options: list[list[str]] = [[check.value, said] for check, said in words.admin_pages.IDENTITY_CHECKS.items()]
    notice: str = ""
    error: str = ""
    busy: bool = False
    _listed: list[int] = []  # ids of the accounts last listed: the only ones `choose` accepts
    _user_id: int = 0

    async def load(self):
        """on_load: sign-in and admin checks; a fresh console."""
        self.reset()
        redirect, _admitted = await self._admin_page()
        return redirect

    @admin_guarded()
    async def search(self, caller: Caller, form: dict) -> list:
        """Accounts whose address contains the query."""
        _session, admin = caller.signed_in
        rows = await run_backend(self._services().admin.console.search, admin.id or 0, form.get("query", ""))
        self.results = [
            {"id": str(row.user_id), "email": row.email, "two_factor": "on" if row.two_factor_on else "off"}
            for row in rows
        ]
        self._listed = [row.user_id for row in rows][:MAX_LISTED_IDS]
        self.searched, self.notice = True, ""
        return []

    @admin_guarded()
    async def choose(self, caller: Caller, user_id: str) -> list:
        """Show one of the listed accounts."""
        # ASCII digits only: "²".isdigit() is True and int("²") raises.
        chosen = int(user_id) if user_id.isascii() and user_id.isdecimal() and len(user_id) <= 18 else 0
        if chosen not in self._listed:
            self.error = words.common.INVALID_REQUEST
            return []
        _session, admin = caller.signed_in
        self._user_id, self.notice = chosen, ""
        await self._show(opened_by=admin.id or 0)
        return []

    @admin_guarded()
    async def end_sessions(self, caller: Caller) -> list:
        """Sign the chosen account out everywhere."""
        return await self._act("end_sessions", self._services().admin.console.end_sessions, caller)

    @admin_guarded()
    async def clear_lockout(self, caller: Caller) -> list:
        """Clear the chosen account's lock on codes."""
        return await self._act("clear_lockout", self._services().admin.console.clear_lockout, caller)

    @admin_guarded()
    async def schedule_reset(self, caller: Caller, form: dict) -> list:
        """Schedule a reset of the chosen account's 2FA, after the identity check the admin names and confirms."""
        if not self._user_id:
            self.error = words.common.INVALID_REQUEST
            return []
        _session, admin = caller.signed_in
        outcome: ResetOutcome = await run_backend(
            self._services().admin.resets.schedule,
            admin.id or 0,
            self._user_id,
            form.get("check", ""),
            form.get("note", ""),
            form.get("confirmed", "") == "on",
        )
        self._say("reset", outcome.value, done=outcome is ResetOutcome.SCHEDULED)
        await self._show()
        return []

    @admin_guarded()
    async def cancel_reset(self, caller: Caller) -> list:
        """Withdraw the chosen account's pending reset."""
        return await self._act("reset", self._services().admin.resets.cancel_by_admin, caller)

    async def _act(self, action: str, operation, caller: Caller) -> list:
        """Run one action on the chosen account, say what it did, show the account as it is now."""
        if not self._user_id:
            self.error = words.common.INVALID_REQUEST
            return []
        _session, admin = caller.signed_in
        outcome = await run_backend(operation, admin.id or 0, self._user_id)
        done = outcome in (ActionOutcome.DONE, ResetOutcome.CANCELLED)
        self._say(action, outcome.value, done=done)
        await self._show()
        return []

    def _say(self, action: str, outcome: str, *, done: bool) -> None:
        said = words.admin.admin_action(action, outcome)
        self.notice, self.error = (said, "") if done else ("", said)

    async def _show(self, opened_by: int = 0) -> None:
        """Show the chosen account as it is now; `opened_by`: the admin opening it (audited), 0 after an action."""
        console = self._services().admin.console
        overview: UserOverview | None = await (
            run_backend(console.open, opened_by, self._user_id)
            if opened_by
            else run_backend(console.overview, self._user_id)
        )
        if overview is None:
            self.user, self.sign_ins, self.lockouts, self.audit, self.pending_reset = {}, [], [], [], ""
            self.error = words.admin.ADMIN_UNKNOWN_USER
            return
        recovery_left = overview.recovery_codes_left if overview.two_factor_on else None
        factors = words.admin.factor_list(overview.masked_phone, overview.totp, overview.passkeys, recovery_left)
        self.user = {
            "email": overview.email,
            "two_factor": "on" if overview.two_factor_on else "off",
            "factors": factors,
            "sessions": str(overview.live_sessions),
            "locked": words.common.wait_phrase(overview.locked_seconds) if overview.locked_seconds else "",
            "admin": "yes" if overview.is_admin else "no",
        }
        self.sign_ins = [
            {
                "what": words.activity.activity_line(e),
                "when": when(e.at),
                "where": words.admin.where(e.browser, e.network),
            }
            for e in overview.sign_ins
        ]
        self.lockouts = [{"what": words.activity.activity_line(e), "when": when(e.at)} for e in overview.lockouts]
        audited = words.admin_pages.AUDITED
        self.audit = [{"what": audited.get(action, action), "when": when(at)} for at, action in overview.audit]
        self.pending_reset = when(overview.pending_reset.due_at) if overview.pending_reset else ""
