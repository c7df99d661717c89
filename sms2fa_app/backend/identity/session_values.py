"""What the session store hands out: a resolved session, a listed one, one with its user and facts, one with the
token the browser must keep, and the conversions from and to the stored row. Values only (no database access), so
every caller of sessions.py can name them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sms2fa_app.backend.assurance import Assurance
from sms2fa_app.backend.infra.client import DeviceLabel
from sms2fa_app.backend.models import LoginSession, User


@dataclass(frozen=True)
class ActiveSession:
    """A resolved, unexpired session."""

    session_id: int
    user_id: int
    assurance: Assurance
    created_at: float
    how: str = ""  # what signed it in (LoginSession.how)
    last_seen_at: float = 0.0

    @property
    def is_authenticated(self) -> bool:
        """True once every required factor was presented."""
        return self.assurance.signed_in

    @property
    def awaiting_second_factor(self) -> bool:
        """True while the password was given and the second factor is still to come."""
        return self.assurance.awaiting_second_factor


@dataclass(frozen=True)
class SessionInfo:
    """A live session as the settings page lists it."""

    session_id: int
    browser: DeviceLabel
    network: str
    started_at: float
    last_seen_at: float
    signed_in: bool  # False while it waits for its second factor


@dataclass(frozen=True)
class ResolvedSession:
    """A live session, its user and the facts asked for with it (`resolve_with_facts`), read in one statement."""

    session: ActiveSession
    user: User | None
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IssuedSession:
    """A session together with the token the browser must keep."""

    token: str
    session: ActiveSession


def active_session(record: LoginSession) -> ActiveSession:
    """The stored row as the callers see it."""
    assert record.id is not None
    return ActiveSession(
        session_id=record.id,
        user_id=record.user_id,
        assurance=Assurance.from_stored(record.level, record.auth_time, record.amr),
        created_at=record.created_at,
        how=record.how,
        last_seen_at=record.last_seen_at,
    )


def store_assurance(record: LoginSession, assurance: Assurance) -> None:
    """Write the assurance into the row's columns (level, auth_time, amr)."""
    record.level, record.auth_time, record.amr = assurance.stored()
