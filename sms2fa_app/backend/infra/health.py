"""Readiness: whether the database and Redis answer now (for load balancers; the process being up is /healthz)."""

from __future__ import annotations

import redis
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from sms2fa_app.backend.infra.db import Database


def readiness(database: Database, client: redis.Redis) -> dict[str, str]:
    """{"database": "ok" | "unavailable", "redis": "ok" | "unavailable"}; never raises for an outage."""
    checks = {"database": "ok", "redis": "ok"}
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        checks["database"] = "unavailable"
    try:
        client.ping()
    except (redis.RedisError, OSError):
        checks["redis"] = "unavailable"
    return checks
