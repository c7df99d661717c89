"""Forward-auth's verifier on a real Redis server: a cached session is read on the event loop by the asyncio twin of
the app's client (no worker thread), a miss goes to SQL in a thread, and logging out still refuses the next
request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.protect.verifier import Allow, LogIn
from sms2fa_app.backend.services import Services, build_services
from tests.conftest import FAST_HASHER, make_settings
from tests.support.factories import create_user
from tests.support.recording_gateway import RecordingGateway
from tests.unit.backend.protect.conftest import APP, RULES, cookie


class Threads:
    """An `in_thread` that counts what it was asked to run."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, function: Callable[..., Any], *arguments: Any, **keywords: Any) -> Any:
        self.calls.append(function.__name__)
        return await asyncio.to_thread(function, *arguments, **keywords)


def _services(tmp_path: Path, real_redis: redis.Redis, database: Database) -> Services:
    settings = make_settings(tmp_path, FORWARD_AUTH_RULES=RULES)
    return build_services(
        settings, redis_client=real_redis, database=database, hasher=FAST_HASHER, gateway=RecordingGateway()
    )


def test_a_cached_session_is_read_on_the_event_loop(
    tmp_path: Path, real_redis: redis.Redis, database: Database
) -> None:
    services = _services(tmp_path, real_redis, database)
    user = create_user(services, phone="+16502531212")
    token = services.sessions.create(int(user.id or 0), (Amr.PWD, Amr.SMS)).token
    threads = Threads()

    async def three_requests_then_logout_then_one() -> list[object]:
        verify = services.forward_auth.verify_async
        decisions = [await verify(cookie(services, token), f"{APP}/", threads) for _ in range(3)]
        await asyncio.to_thread(services.sessions.end, token)
        return [*decisions, await verify(cookie(services, token), f"{APP}/", threads)]

    decisions = asyncio.run(three_requests_then_logout_then_one())
    assert [type(decision) for decision in decisions] == [Allow, Allow, Allow, LogIn]
    assert threads.calls == ["_from_sql"]  # the first request only; the tombstone after the logout is a hit too


def test_redis_down_on_the_loop_still_answers_from_sql(tmp_path: Path, database: Database) -> None:
    nothing_there = redis.Redis(unix_socket_path=str(tmp_path / "no-redis.sock"), decode_responses=True)
    services = _services(tmp_path, nothing_there, database)
    user = create_user(services, phone="+16502531212")
    token = services.sessions.create(int(user.id or 0), (Amr.PWD, Amr.SMS)).token
    threads = Threads()
    decision = asyncio.run(services.forward_auth.verify_async(cookie(services, token), f"{APP}/", threads))
    assert isinstance(decision, Allow) and threads.calls == ["_facts"]
