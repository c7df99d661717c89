"""The tab-state store's watch (state/store_watch.py): an event that waits for, or fails to get, its state tells
its page the outage sentence over the websocket, and the event itself still runs once the state comes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from sms2fa_app.state import store_watch, words
from sms2fa_app.state.errors import AppErrorState
from tests.support import reflex_internals

NOTICE_AFTER = 0.05


class StalledStore:
    """A Redis state manager whose loads wait for `released` (or fail), as while Redis is stopped (or down)."""

    def __init__(self, fail: bool = False) -> None:
        self.released = asyncio.Event()
        self.fail = fail

    @contextlib.asynccontextmanager
    async def modify_state(self, token: Any, **_context: Any) -> AsyncIterator[str]:
        if self.fail:
            raise RedisConnectionError("connection refused")
        await self.released.wait()
        yield f"state of {token}"


def watched(store: StalledStore) -> Any:
    manager = reflex_internals.redis_state_manager_without_connection()  # the watch wraps only Redis's
    manager.modify_state = store.modify_state  # type: ignore[method-assign]
    store_watch.watch_state_store(SimpleNamespace(state_manager=manager, event_namespace=None), NOTICE_AFTER)
    return manager


@pytest.fixture
def sent() -> list[dict[str, Any]]:
    """The deltas sent to the page of the event being processed."""
    deltas: list[dict[str, Any]] = []

    async def emit_delta(_token: str, delta: dict[str, Any]) -> None:
        deltas.append(delta)

    reflex_internals.enter_event(emit_delta)
    return deltas


def said(deltas: list[dict[str, Any]]) -> list[str]:
    return [value for delta in deltas for value in delta.get(AppErrorState.get_full_name(), {}).values()]


async def test_an_event_waiting_for_its_state_tells_the_page_and_still_runs(sent: list[dict[str, Any]]) -> None:
    store = StalledStore()
    manager = watched(store)

    async def event() -> str:
        async with manager.modify_state("tab") as state:
            return state

    running = asyncio.create_task(event())
    await asyncio.sleep(NOTICE_AFTER * 4)
    assert said(sent) == [words.common.SERVICE_UNAVAILABLE]
    store.released.set()
    assert await running == "state of tab"
    assert len(sent) == 1


async def test_an_event_that_gets_its_state_in_time_tells_nothing(sent: list[dict[str, Any]]) -> None:
    store = StalledStore()
    store.released.set()
    async with watched(store).modify_state("tab") as state:
        assert state == "state of tab"
    await asyncio.sleep(NOTICE_AFTER * 2)
    assert sent == []


async def test_a_store_that_refuses_the_connection_is_said_at_once(sent: list[dict[str, Any]]) -> None:
    with pytest.raises(RedisConnectionError):
        async with watched(StalledStore(fail=True)).modify_state("tab"):
            pass
    assert said(sent) == [words.common.SERVICE_UNAVAILABLE]
