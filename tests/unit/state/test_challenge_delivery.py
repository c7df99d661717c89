"""The challenge page's live delivery status and "Call me instead", driven through ChallengeState."""

from __future__ import annotations

import asyncio

import pytest

from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from sms2fa_app.state.challenge import ChallengeState
from tests.support.factories import create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import redirect_path, run
from tests.unit.state.test_challenge_state import login
from tests.unit.state.test_guard import _Locked

PHONE = "+14155551212"
watch = ChallengeState.event_handlers["watch_delivery"].fn


@pytest.fixture
def gateway() -> RecordingGateway:
    return RecordingGateway(reports_status=True)  # as Plivo: delivery reports will come


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    real_sleep = asyncio.sleep
    monkeypatch.setattr("sms2fa_app.state.challenge.asyncio.sleep", lambda seconds: real_sleep(0))


async def until(condition, timeout: float = 3.0) -> None:
    """Let the event loop run until `condition()` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def watched(challenge: ChallengeState) -> None:
    """Run one delivery watch to its end (a final state)."""
    await asyncio.wait_for(watch(_Locked(challenge)), timeout=5)


async def test_the_status_follows_the_reports_until_delivered(services: Services, gateway: RecordingGateway) -> None:
    create_user(services, phone=PHONE)
    challenge = await login(services)
    message_id = gateway.sent[-1].message_id
    services.deliveries.record(message_id, "sent")
    task = asyncio.create_task(watched(challenge))
    await until(lambda: words.message_id(challenge.delivery_status) == "challenge.delivery.sent")
    assert not task.done()
    services.deliveries.record(message_id, "delivered")
    await task
    assert challenge.delivery_status == "Delivered" and not challenge.delivery_lost
    assert challenge._watch_owner == ""  # a final state ends the watch


async def test_an_undelivered_text_offers_a_call_at_once_and_the_spoken_code_signs_in(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    create_user(services, phone=PHONE)
    challenge = await login(services)
    assert (await run(challenge.call_me({}))) is not None and challenge.error.startswith("A code was just sent")
    services.deliveries.record(gateway.sent[-1].message_id, "undelivered", "30")
    await watched(challenge)
    assert words.message_id(challenge.delivery_status) == "challenge.delivery.not_delivered" and challenge.delivery_lost
    assert challenge.resend_at == 0  # the lost text's cooldown was given back
    events = await run(challenge.call_me({}))
    call = gateway.sent[-1]
    assert call.channel == "voice" and call.to == PHONE and challenge.error == ""
    assert challenge.notice_id == "challenge.calling"
    assert ChallengeState.watch_delivery in events and challenge.delivery_status == ""
    services.deliveries.record(call.message_id, "delivered")
    await watched(challenge)
    assert words.message_id(challenge.delivery_status) == "challenge.delivery.answered" and not challenge.delivery_lost
    assert redirect_path(await run(challenge.verify({"code": call.code}))) == "/dashboard"


async def test_a_newer_watch_takes_over_and_the_old_one_stops(services: Services, gateway: RecordingGateway) -> None:
    create_user(services, phone=PHONE)
    challenge = await login(services)
    first = asyncio.create_task(watched(challenge))
    await until(lambda: challenge.delivery_status == "Text queued")
    second = asyncio.create_task(watched(challenge))
    await until(first.done)
    assert not second.done()
    services.deliveries.record(gateway.sent[-1].message_id, "failed", "200")
    await second
    assert words.message_id(challenge.delivery_status) == "challenge.delivery.not_delivered"


async def test_without_delivery_reports_nothing_is_watched(services: Services, gateway: RecordingGateway) -> None:
    gateway.reports_status = False  # the development outbox: no reports will come
    create_user(services, phone=PHONE)
    state_events = await run((await login(services)).resend({}))
    assert ChallengeState.watch_delivery not in state_events
