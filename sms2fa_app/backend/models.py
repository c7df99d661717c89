"""Database tables (SQLModel, table=True)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware UTC now."""
    return datetime.now(UTC)


class User(SQLModel, table=True):
    """An account: email and password, and the SMS second factor when enrolled."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    phone_number: str | None = Field(default=None, max_length=16, unique=True, index=True)
    is_two_factor_enabled: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LoginSession(SQLModel, table=True):
    """A server-side login session; the browser holds only a random token whose hash is stored here."""

    __tablename__ = "login_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    stage: str = Field(max_length=32)
    created_at: float
    stage_started_at: float
    last_seen_at: float
    client_ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)
