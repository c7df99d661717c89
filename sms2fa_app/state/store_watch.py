"""A page says so when the store of tab states does not answer, instead of waiting in silence.

With several workers Reflex keeps every tab's state in Redis (REFLEX_REDIS_URL) and loads it, under a lock, before
any of the app's code runs for an event. While that Redis is down or hung, an event waits (or fails) right there:
the guard's outage message (state/guard.py) is never reached, and the browser shows nothing, or the spinner an
earlier step raised, until Redis is back. `watch_state_store` wraps the state manager's `modify_state`: an event
still waiting for its state after STATE_WAIT_NOTICE_SECONDS, or failing to get it, sends its page the app-wide
notice (AppErrorState.message, the outage sentence) straight over the websocket, which needs no state. The event
itself keeps waiting and runs once Redis answers again: nothing is dropped and the page recovers without a reload.

A new page's websocket first records its tab in Redis (Reflex's duplicate-tab check), with no timeout: while Redis
hangs, the connection is never accepted and nothing can reach the page. Reflex falls back to this worker's own
record when Redis fails; `watch_state_store` makes a wait longer than TOKEN_LINK_SECONDS count as such a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import RedisError

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.state import words
from sms2fa_app.state.errors import AppErrorState

log = logging.getLogger("sms2fa.state")

# Longer than a healthy lock wait (the guard keeps slow work outside the lock), short enough to beat a shrug.
STATE_WAIT_NOTICE_SECONDS = 3.0
TOKEN_LINK_SECONDS = 2.0  # Reflex's tab record in Redis is one round trip


def outage_notice() -> dict[str, dict[str, Any]]:
    """The delta that shows the outage sentence at the top of any page (page_shell draws AppErrorState)."""
    return {AppErrorState.get_full_name(): {internals.delta_key("message"): words.common.SERVICE_UNAVAILABLE}}


async def _tell_the_page(reason: str) -> None:
    """Send the outage sentence to the page of the event being processed (nothing outside an event)."""
    if not internals.in_event():
        return
    log_event(log, logging.WARNING, "state_store_unavailable", reason=reason)
    with contextlib.suppress(Exception):  # the page may be gone: the notice is best effort, the event goes on
        await internals.emit_delta_to_event_page(outage_notice())


async def _notice_after(seconds: float) -> None:
    await asyncio.sleep(seconds)
    await _tell_the_page("slow")


def _link_tabs_without_waiting(link_in_redis: internals.LinkTab, link_here: internals.LinkTab) -> internals.LinkTab:
    """A new connection's tab is recorded in this worker alone when Redis does not answer in time."""

    async def link_token_to_sid(token: str, sid: str) -> str | None:
        try:
            return await asyncio.wait_for(link_in_redis(token, sid), TOKEN_LINK_SECONDS)
        except TimeoutError:
            log_event(log, logging.WARNING, "state_store_unavailable", reason="tab_record")
            return await link_here(token, sid)

    return link_token_to_sid


def _notice_while_waiting(load_under_lock: internals.LoadUnderLock, notice_after: float) -> internals.LoadUnderLock:
    """`load_under_lock` that tells the page when the state takes longer than `notice_after` or fails."""

    @contextlib.asynccontextmanager
    async def modify_state(token: Any, **context: Any) -> AsyncIterator[Any]:
        waiting = asyncio.create_task(_notice_after(notice_after))
        try:
            async with load_under_lock(token, **context) as state:
                waiting.cancel()
                yield state
        except RedisError:
            await _tell_the_page("error")
            raise
        finally:
            waiting.cancel()

    return modify_state


def watch_state_store(app: Any, notice_after: float = STATE_WAIT_NOTICE_SECONDS) -> None:
    """Wrap the app's Redis state manager and tab records (once, after rx.App is built); in memory, nothing waits."""
    if internals.wrap_state_loading(app, lambda load: _notice_while_waiting(load, notice_after)):
        internals.wrap_tab_linking(app, _link_tabs_without_waiting)
