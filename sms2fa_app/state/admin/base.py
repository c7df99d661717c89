"""The admin console's guard: every page load and every handler checks, on the server and fresh from the database,
that the caller is signed in (both factors, the second presented in THIS session: not a remembered browser), has the
admin role and has 2FA on (backend/admin/audit.admin_access).

`admin_guarded(...)` is `guarded(...)` (argument checks, busy flag, session resolved on the server, errors) plus
that check: a refused caller gets the refusal in words and nothing else, whatever page or tab the call came from.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import reflex as rx

from sms2fa_app.backend.admin.audit import AdminAccess, admin_access
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.models import User
from sms2fa_app.state.guard import Access, Caller, guarded
from sms2fa_app.state.said import said_id
from sms2fa_app.state.session import SessionState
from sms2fa_app.state.words.admin import REFUSALS


class AdminState(SessionState):
    """What every admin page shares: the refusal shown to anyone who may not use the console."""

    refusal: str = ""
    refusal_id = said_id("refusal")
    admitted: bool = False

    def _admit_admin(self, session: ActiveSession | None, user: User | None) -> bool:
        """Record whether `user`, in `session`, may use the console; False (with the refusal in words) when not."""
        access = admin_access(user, session.how if session is not None else "")
        self.admitted = access is AdminAccess.ALLOWED
        self.refusal = REFUSALS.get(access, "")
        return self.admitted

    async def _admin_page(self) -> tuple[rx.event.EventSpec | None, tuple[ActiveSession, User] | None]:
        """on_load: (redirect, None) to log in first; (None, None) refused; (None, (session, admin)) admitted."""
        redirect, signed_in = await self._guard_page()
        if signed_in is None:
            self.admitted = False
            return redirect, None
        return None, signed_in if self._admit_admin(*signed_in) else None

    async def _fresh_admin_page(self, show: Callable[[], Awaitable[None]]) -> rx.event.EventSpec | None:
        """on_load of a page that shows data: a fresh page, the sign-in and admin checks, then `show()` for an
        admitted admin; the redirect to log in, if any."""
        self.reset()
        redirect, admitted = await self._admin_page()
        if admitted is not None:
            await show()
        return redirect


def admin_guarded(
    *, busy: str = "busy", error: str = "error"
) -> Callable[[Callable[..., Awaitable[list | None]]], Callable[..., AsyncIterator[Any]]]:
    """`guarded` for signed-in callers, then the admin check on every call (the role is read fresh each time)."""

    def decorate(work: Callable[..., Awaitable[list | None]]) -> Callable[..., AsyncIterator[Any]]:
        @functools.wraps(work)
        async def checked(self: AdminState, caller: Caller, *args: Any) -> list | None:
            if not self._admit_admin(caller.session, caller.user):
                refusal = self.refusal
                self.reset()  # nothing an admin saw stays on this page
                self.refusal = refusal
                return []
            return await work(self, caller, *args)

        return guarded(access=Access.SIGNED_IN, busy=busy, error=error)(checked)

    return decorate
