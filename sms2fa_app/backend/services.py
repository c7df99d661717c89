"""The composition root: one Services object built from Settings, shared by the Reflex states."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import redis

from sms2fa_app.backend.accounts import Accounts, LoginThrottlePolicy
from sms2fa_app.backend.clock import Clock, SystemClock
from sms2fa_app.backend.db import Database, make_engine
from sms2fa_app.backend.limits import WindowLimiter
from sms2fa_app.backend.passwords import PasswordHasher
from sms2fa_app.backend.redis_store import connect
from sms2fa_app.backend.sessions import SessionPolicy, SessionStore
from sms2fa_app.config import Settings, get_settings

log = logging.getLogger("sms2fa.services")


@dataclass
class Services:
    """Everything a request handler needs from the backend."""

    settings: Settings
    clock: Clock
    database: Database
    redis: redis.Redis
    sessions: SessionStore
    accounts: Accounts


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    redis_client: redis.Redis | None = None,
    database: Database | None = None,
    hasher: PasswordHasher | None = None,
) -> Services:
    """Wire the backend from settings; tests pass their own clock, Redis, database or hasher."""
    clock = clock or SystemClock()
    database = database or Database(make_engine(settings.database_url))
    redis_client = redis_client or connect(settings.redis_url, settings.data_dir)
    sessions = SessionStore(
        database,
        clock,
        SessionPolicy(settings.session_idle_seconds, settings.session_absolute_seconds, settings.pending_2fa_seconds),
    )
    limiter = WindowLimiter(redis_client, clock)
    accounts = Accounts(
        database,
        hasher or PasswordHasher(),
        sessions,
        limiter,
        LoginThrottlePolicy(
            settings.login_window_seconds, settings.login_max_failures_per_account, settings.login_max_failures_per_ip
        ),
        settings.secret_key,
    )
    return Services(settings, clock, database, redis_client, sessions, accounts)


_lock = threading.Lock()
_services: Services | None = None


def get_services() -> Services:
    """The process-wide Services, built on first use."""
    global _services
    with _lock:
        if _services is None:
            _services = build_services(get_settings())
        return _services


def set_services(services: Services | None) -> None:
    """Replace the process-wide Services (tests)."""
    global _services
    with _lock:
        _services = services
