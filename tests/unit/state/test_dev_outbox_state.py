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
