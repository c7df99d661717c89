"""The rules a login session lives by: when it expires, how often it is touched, and how many an account keeps.

An account keeps at most `max_per_user` signed-in sessions and `max_pending_per_user` sessions waiting for
their second factor, each capped on its own in the transaction that adds one, so logging in again and again can
neither grow the table nor the settings page's list without end. The two caps are apart because a password alone
starts a pending session as often as it likes (a right password releases the login throttles): pending logins
only ever push out older pending ones, and a signed-in session is ended only to make room for another session
*reaching* the signed-in stage (the least recently seen one goes), never by someone who stops at the second factor.

Each rule is written once, in Python for a row in hand and in SQL for the statements that must not read the row
first (the purge, a conditional move, the cap); the store (sessions.py) applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select

from sms2fa_app.backend.assurance import Level
from sms2fa_app.backend.identity.session_values import ActiveSession
from sms2fa_app.backend.models import LoginSession

TOUCH_INTERVAL_SECONDS = 30  # a resolve writes last_seen_at at most this often
PENDING_SESSIONS_PER_USER = 5  # logins waiting for their second factor an account keeps (the newest)


@dataclass(frozen=True)
class SessionPolicy:
    """Expiry rules, in seconds."""

    idle_seconds: int
    absolute_seconds: int
    pending_seconds: int
    max_per_user: int = 20  # MAX_SESSIONS_PER_USER: the most recently seen signed-in sessions an account keeps
    max_pending_per_user: int = PENDING_SESSIONS_PER_USER


def expires_at(policy: SessionPolicy, session: ActiveSession) -> float:
    """When a live session expires unless used again (idle, absolute, or waiting too long for its factor)."""
    ends = min(session.created_at + policy.absolute_seconds, session.last_seen_at + policy.idle_seconds)
    if not session.assurance.signed_in:
        ends = min(ends, session.assurance.auth_time + policy.pending_seconds)
    return ends


def expired(policy: SessionPolicy, record: LoginSession, now: float) -> bool:
    """Whether the row has expired (too old, idle too long, or waiting too long for its second factor)."""
    if now - record.created_at >= policy.absolute_seconds:
        return True
    if now - record.last_seen_at >= policy.idle_seconds:
        return True
    return record.level == Level.NONE.value and now - record.auth_time >= policy.pending_seconds


def expired_clause(policy: SessionPolicy, now: float) -> ColumnElement[bool]:
    """`expired` in SQL: the rows the purge deletes and a conditional move leaves alone."""
    return or_(
        col(LoginSession.created_at) <= now - policy.absolute_seconds,
        col(LoginSession.last_seen_at) <= now - policy.idle_seconds,
        and_(
            col(LoginSession.level) == Level.NONE.value,
            col(LoginSession.auth_time) <= now - policy.pending_seconds,
        ),
    )


def beyond_cap(policy: SessionPolicy, user_id: int, arrived: int | None, *, signed_in: bool) -> Any:
    """The ids of the user's sessions of the same stage as `arrived` (signed in, or waiting for the second factor)
    that no longer fit under that stage's cap beside it, least recently seen ones; the other stage never counts."""
    keep = policy.max_per_user if signed_in else policy.max_pending_per_user
    pending = col(LoginSession.level) == Level.NONE.value
    return (
        select(LoginSession.id)
        .where(
            col(LoginSession.user_id) == int(user_id),
            ~pending if signed_in else pending,
            col(LoginSession.id) != arrived,
        )
        .order_by(col(LoginSession.last_seen_at).desc(), col(LoginSession.id).desc())
        .offset(max(keep - 1, 0))
    )
