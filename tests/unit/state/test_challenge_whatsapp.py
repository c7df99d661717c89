"""The challenge for a user whose codes go by WhatsApp, driven through ChallengeState: the template, its live
status, and "Send a text instead" (the same code, once) when it is lost or late."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col, update

from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import redirect_path, run
from tests.unit.state.test_challenge_delivery import PHONE, quick_polls, until, watched
from tests.unit.state.test_challenge_state import login

__all__ = ["quick_polls"]  # the fixture, shared with the delivery tests


@pytest.fixture
def gateway() -> RecordingGateway:
    return RecordingGateway(reports_status=True)


def whatsapp_user(services: Services) -> None:
    create_user(services, phone=PHONE)
    with services.database.session() as db:
        db.exec(update(User).where(col(User.id) == 1).values(phone_channel="whatsapp"))


async def test_a_whatsapp_users_code_goes_as_the_template_and_the_page_says_so(
    services: Services, gateway: RecordingGateway
) -> None:
    whatsapp_user(services)
    challenge = await login(services)
    assert [sent.channel for sent in gateway.sent] == ["whatsapp"]
    assert challenge.code_channel == "whatsapp" and not challenge.text_instead_ready
    services.deliveries.record(gateway.sent[-1].message_id, "delivered")
    await watched(challenge)
    assert challenge.delivery_status_id == "challenge.delivery.delivered" and not challenge.text_instead_ready
    assert redirect_path(await run(challenge.verify({"code": gateway.sent[-1].code}))) == "/dashboard"


async def test_a_failed_template_offers_the_text_at_once_which_signs_in_with_the_same_code(
    services: Services, gateway: RecordingGateway
) -> None:
    whatsapp_user(services)
    challenge = await login(services)
    code = gateway.sent[-1].code
    services.deliveries.record(gateway.sent[-1].message_id, "failed", "131026")
    await watched(challenge)
    assert challenge.delivery_status_id == "challenge.delivery.whatsapp_lost" and challenge.text_instead_ready
    await run(challenge.text_instead({}))
    assert [sent.channel for sent in gateway.sent] == ["whatsapp", "sms"] and gateway.sent[-1].code == code
    assert challenge.notice_id == "challenge.texted_instead" and not challenge.text_instead_ready
    await run(challenge.text_instead({}))  # once per code
    assert challenge.error_id == "challenge.send.no_fallback" and len(gateway.sent) == 2
    assert redirect_path(await run(challenge.verify({"code": code}))) == "/dashboard"


async def test_an_undelivered_template_offers_the_text_after_the_fallback_delay(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    whatsapp_user(services)
    challenge = await login(services)
    task = asyncio.create_task(watched(challenge))
    await until(lambda: challenge.delivery_status_id == "challenge.delivery.whatsapp_queued")
    assert not challenge.text_instead_ready and not task.done()
    clock.advance(services.settings.whatsapp_fallback_seconds)
    await until(lambda: challenge.text_instead_ready)  # the page learns of it at the watch's next look
    task.cancel()
    expires_at, resend_at = challenge.code_expires_at, challenge.resend_at
    await run(challenge.text_instead({}))
    assert gateway.sent[-1].channel == "sms"
    assert challenge.code_expires_at == expires_at  # the same code: its expiry stands
    assert challenge.resend_at <= resend_at  # the cooldown was not spent again


async def test_a_template_that_fails_at_once_is_texted_and_the_page_says_so(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    """WhatsApp refused the template (paused, sender down): the code came by text, and the page says it did, on the
    first send and on a resend."""
    whatsapp_user(services)
    gateway.fail_next()
    challenge = await login(services)
    assert [sent.channel for sent in gateway.sent] == ["sms"]
    assert challenge.code_channel == "sms" and challenge.notice_id == "challenge.whatsapp_texted"
    assert not challenge.error
    clock.advance(services.settings.otp_resend_cooldown_seconds)
    gateway.fail_next()
    await run(challenge.resend({}))
    assert [sent.channel for sent in gateway.sent] == ["sms", "sms"]
    assert challenge.notice_id == "challenge.whatsapp_texted" and challenge.code_channel == "sms"
    assert redirect_path(await run(challenge.verify({"code": gateway.sent[-1].code}))) == "/dashboard"
