"""Helpers shared by the OtpService tests (tests/unit/backend/factors/test_sms_codes*.py)."""

from __future__ import annotations

import socket

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from sms2fa_app.backend.factors.results import VerifyResult
from sms2fa_app.backend.factors.sms_codes import OtpService, Purpose

PHONE = "+16502531212"
OTHER_PHONE = "+16502531213"
IP = "203.0.113.7"
USER, SESSION = 7, 70


def request(otp: OtpService, *, purpose=Purpose.LOGIN, user=USER, session=SESSION, phone=PHONE, ip=IP):
    return otp.request_code(purpose=purpose, user_id=user, session_id=session, phone=phone, client_ip=ip)


def verify(otp: OtpService, code: str, *, purpose=Purpose.LOGIN, user=USER, session=SESSION) -> VerifyResult:
    return otp.verify_code(purpose=purpose, user_id=user, session_id=session, code=code)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def redis_dump(client) -> str:
    """Every key, member and value in Redis as one text."""
    parts = []
    for key in client.scan_iter("*"):
        parts.append(key)
        kind = client.type(key)
        if kind == "string":
            parts.append(client.get(key))
        elif kind == "hash":
            parts += [f"{k}={v}" for k, v in client.hgetall(key).items()]
        elif kind == "zset":
            parts += [f"{m}@{s}" for m, s in client.zrange(key, 0, -1, withscores=True)]
        elif kind == "list":
            parts += client.lrange(key, 0, -1)
    return "\n".join(map(str, parts))


def closed_port_client() -> redis.Redis:
    """A client of a port where nothing listens, failing at once (no retries)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return redis.Redis(
        host="127.0.0.1", port=port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0), decode_responses=True
    )
