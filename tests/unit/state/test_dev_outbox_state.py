"""The development outbox shows texts only in development and only to a browser on this machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sms2fa_app.backend.delivery.outbox import DevOutbox
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services, build_services, set_services
from sms2fa_app.state.dev_outbox import DevOutboxState
from tests.conftest import FAST_HASHER, make_settings
from tests.support import reflex_internals
from tests.support.states import make_state, run


@pytest.fixture
def outbox_services(tmp_path: Path, clock: FakeClock, redis_client, database) -> Iterator[Services]:
    outbox = DevOutbox(redis_client, size=10, clock=clock)
    outbox.send("+16502531212", "Your sms2fa code is 123456")
    built = build_services(
        make_settings(tmp_path),
        clock=clock,
        redis_client=redis_client,
        database=database,
        hasher=FAST_HASHER,
        gateway=outbox,
    )
    set_services(built)
    yield built
    set_services(None)


def from_address(state: DevOutboxState, address: str) -> DevOutboxState:
    root = state.parent_state.parent_state
    reflex_internals.set_router_data(root, {"ip": address, "sid": "s1"})
    return state


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "127.0.0.2"])
async def test_a_browser_on_this_machine_sees_the_texts(outbox_services: Services, address: str) -> None:
    state = from_address(make_state(DevOutboxState), address)
    await run(state.refresh())
    assert [message.text for message in state.messages] == ["Your sms2fa code is 123456"]


@pytest.mark.parametrize("address", ["192.168.1.20", "2001:db8::1", "", "10.0.0.1"])
async def test_any_other_client_sees_nothing(outbox_services: Services, address: str) -> None:
    state = from_address(make_state(DevOutboxState), address)
    await run(state.refresh())
    assert state.messages == []


async def test_the_page_timer_reloads_what_was_sent_since(outbox_services: Services) -> None:
    """The open page's periodic tick shows a message sent after the page loaded."""
    state = from_address(make_state(DevOutboxState), "127.0.0.1")
    await run(state.refresh())
    assert outbox_services.outbox is not None
    outbox_services.outbox.send("+16502531212", "Your sms2fa code is 654321")
    await run(state.tick("2025-01-01T00:00:00Z"))
    assert [message.text for message in state.messages][:2] == [
        "Your sms2fa code is 654321",
        "Your sms2fa code is 123456",
    ]
    assert state.refreshing is False


def test_the_page_reloads_by_itself_while_open() -> None:
    """/dev/outbox has a timer (react-moment's interval) whose every change calls the tick."""
    from sms2fa_app.pages.dev_outbox import REFRESH_MS, dev_outbox_page

    rendered = str(dev_outbox_page())
    assert f"interval:{REFRESH_MS}" in rendered.replace(" ", "") and "tick" in rendered


# ---- "Clear limits for this machine" (development and loopback only) -------------------------------------

LIMIT_KEYS = ("login:fail:ip:127.0.0.1", "otp:sends:user:7", "otp:cooldown:login:7", "signup:ip:127.0.0.1")
KEPT_KEYS = ("otp:code:login:7:1", "dev:outbox")  # codes and the outbox are not limits


def _seed_limits(client) -> None:
    for key in LIMIT_KEYS:
        client.zadd(key, {"event": 1.0})
    client.hset("otp:fail:7", mapping={"n": "5", "until": "9999999999", "g": "1"})
    client.set("otp:code:login:7:1", "digest")


async def test_clear_limits_forgets_every_limit_and_lockout_on_this_machine(
    outbox_services: Services, redis_client
) -> None:
    _seed_limits(redis_client)
    state = from_address(make_state(DevOutboxState), "127.0.0.1")
    await run(state.clear_limits())
    assert state.limits_notice_id == "dev.limits_cleared"
    assert [key for key in LIMIT_KEYS if redis_client.exists(key)] == []
    assert redis_client.hget("otp:fail:7", "until") is None and redis_client.hget("otp:fail:7", "n") is None
    assert all(redis_client.exists(key) for key in KEPT_KEYS)


@pytest.mark.parametrize("address", ["192.168.1.20", "2001:db8::1", ""])
async def test_clear_limits_is_refused_to_any_other_client(
    outbox_services: Services, redis_client, address: str
) -> None:
    _seed_limits(redis_client)
    state = from_address(make_state(DevOutboxState), address)
    await run(state.clear_limits())
    assert state.limits_notice_id == "dev.limits_refused"
    assert all(redis_client.exists(key) for key in LIMIT_KEYS)
    assert redis_client.hget("otp:fail:7", "until") == "9999999999"


async def test_clear_limits_is_refused_in_production_even_on_this_machine(
    tmp_path: Path, clock: FakeClock, redis_client, database
) -> None:
    from tests.unit.test_config import PRODUCTION

    settings = make_settings(tmp_path, **{**PRODUCTION, "TRUSTED_PROXY_HOPS": "0"})
    built = build_services(settings, clock=clock, redis_client=redis_client, database=database, hasher=FAST_HASHER)
    set_services(built)
    try:
        assert built.dev_limits is None  # production never builds the tool
        _seed_limits(redis_client)
        state = from_address(make_state(DevOutboxState), "127.0.0.1")
        await run(state.clear_limits())
        assert state.limits_notice_id == "dev.limits_refused"
        assert all(redis_client.exists(key) for key in LIMIT_KEYS)
    finally:
        set_services(None)
