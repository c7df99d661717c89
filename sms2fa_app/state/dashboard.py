"""The dashboard: who is signed in, the account's security status, and the banner after a recovery code."""

from __future__ import annotations

from sms2fa_app.backend.admin.resets import ResetOutcome, pending_reset_due
from sms2fa_app.backend.factors.second_factors import FactorSummary, summary_facts
from sms2fa_app.backend.models import User
from sms2fa_app.state import words
from sms2fa_app.state.guard import Caller, guarded
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.said import ErrorId
from sms2fa_app.state.session import SessionState

_RESET_DUE = "reset_due"  # the fact the dashboard reads beside the factor summary


class DashboardState(ErrorId, SessionState):
    """The security-status card and, once after a sign-in with a recovery code, how many are left."""

    two_factor_enabled: bool = False
    is_admin: bool = False  # the link to /admin (which checks the role and 2FA again itself)
    methods_on: str = ""  # "Text message to •••• 3100 · Authenticator app · 9 recovery codes left"
    recovery_banner: str = ""  # "You used a recovery code. 9 left."
    _recovery_used: bool = False  # set by the challenge when a recovery code signed this browser in
    pending_reset: str = ""  # an administrator's pending reset of this account's 2FA, with its date
    reset_notice: str = ""  # what cancelling it did
    return_notice: str = ""  # why the login did not go back to the app that sent the browser (its rule asks more)
    busy: bool = False
    error: str = ""

    async def load(self):
        """on_load of /dashboard: the guard, then the status as the server knows it, read with the session in one
        statement (the card's counts and a pending reset are scalar subqueries of the session's lookup)."""
        redirect, found = await self._guard_page_with({**summary_facts(), _RESET_DUE: pending_reset_due()})
        if found is None or found.user is None:
            return redirect
        self._show(found.user, FactorSummary.read(found.facts), found.facts[_RESET_DUE])
        return None

    def _show(self, user: User, summary: FactorSummary, reset_due: float | None) -> None:
        """The card's facts."""
        self.two_factor_enabled = user.is_two_factor_enabled
        self.is_admin = bool(user.is_admin)
        left = summary.recovery_left
        if user.is_two_factor_enabled:
            ending = (user.phone_number or "")[-4:]
            self.methods_on = words.settings.methods_on(ending, summary.totp, summary.passkeys, left)
        else:
            self.methods_on = ""
        self.recovery_banner = words.settings.recovery_used(left) if self._recovery_used else ""
        self._recovery_used = False  # said once
        self.return_notice = words.login.TWO_FACTOR_NEEDED_FOR_APP if self._return_refused else ""
        self._return_refused = False  # said once
        due = reset_due is not None
        self.pending_reset = words.admin.pending_reset_banner(words.common.calendar_day(reset_due)) if due else ""

    @guarded()
    async def cancel_pending_reset(self, caller: Caller) -> list:
        """The signed-in user cancels an administrator's pending reset of their 2FA (told by mail and text too)."""
        _session, user = caller.signed_in
        assert user.id is not None
        outcome = await run_backend(self._services().admin.resets.cancel_by_user, user.id)
        self.pending_reset = ""
        cancelled = outcome is ResetOutcome.CANCELLED
        self.reset_notice = words.admin.RESET_CANCELLED_IN_APP if cancelled else words.admin.RESET_NOT_PENDING
        return []
