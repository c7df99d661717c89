"""DeliveryStatuses: reports move a message's state forward only; a lost text gives its cooldown back."""

from __future__ import annotations

from sms2fa_app.backend.delivery.status import Channel, Delivery, DeliveryState, DeliveryStatuses
from sms2fa_app.backend.infra.clock import FakeClock


def test_reports_move_forward_only_and_the_first_final_state_wins(redis_client, clock: FakeClock) -> None:
    statuses = DeliveryStatuses(redis_client, clock, ttl_seconds=600)
    statuses.track("m-1", Channel.SMS, "login:1:10")
    assert statuses.latest("login:1:10") == Delivery(Channel.SMS, DeliveryState.QUEUED)
    assert statuses.record("m-1", "sent")
    assert not statuses.record("m-1", "queued")  # late
    assert statuses.record("m-1", "delivered")
    assert not statuses.record("m-1", "failed", "200")
    assert not statuses.record("m-1", "sent")
    assert statuses.latest("login:1:10") == Delivery(Channel.SMS, DeliveryState.DELIVERED)


def test_unknown_messages_states_and_malformed_values_are_ignored(redis_client, clock: FakeClock) -> None:
    statuses = DeliveryStatuses(redis_client, clock, ttl_seconds=600)
    statuses.track("m-1", Channel.SMS, "login:1:10")
    assert not statuses.record("m-2", "delivered")
    assert not statuses.record("m-1", "opened")
    assert not statuses.record("m-1", "failed", "x" * 40)
    assert not statuses.record("../m-1", "failed")
    assert redis_client.exists("delivery:msg:m-2") == 0
    assert statuses.latest("login:1:10").state is DeliveryState.QUEUED
    assert statuses.latest("login:2:20") is None


def test_the_newest_message_of_a_binding_is_the_one_shown(redis_client, clock: FakeClock) -> None:
    statuses = DeliveryStatuses(redis_client, clock, ttl_seconds=600)
    statuses.track("m-1", Channel.SMS, "login:1:10")
    statuses.record("m-1", "undelivered", "30")
    assert statuses.latest("login:1:10") == Delivery(Channel.SMS, DeliveryState.UNDELIVERED, "30")
    statuses.track("c-1", Channel.VOICE, "login:1:10")
    assert statuses.latest("login:1:10") == Delivery(Channel.VOICE, DeliveryState.QUEUED)
    assert redis_client.ttl("delivery:msg:c-1") <= 600


def test_a_lost_text_gives_back_its_cooldown_entry_and_only_that(redis_client, clock: FakeClock) -> None:
    statuses = DeliveryStatuses(redis_client, clock, ttl_seconds=600)
    redis_client.zadd("otp:cooldown:login:1", {"send-1": 1.0, "other": 2.0})
    statuses.track("m-1", Channel.SMS, "login:1:10", ("otp:cooldown:login:1", "send-1"))
    statuses.record("m-1", "sent")
    assert redis_client.zcard("otp:cooldown:login:1") == 2
    statuses.record("m-1", "failed", "420")
    assert redis_client.zrange("otp:cooldown:login:1", 0, -1) == ["other"]
    assert DeliveryState.FAILED.lost and DeliveryState.FAILED.final and not DeliveryState.SENT.final


def test_whatsapps_read_report_is_kept_and_charted_as_delivered(redis_client, clock: FakeClock) -> None:
    """WhatsApp may report "read" without a "delivered" first: the person has the code (no text instead), and the
    operations charts' journal counts it delivered."""
    statuses = DeliveryStatuses(redis_client, clock, ttl_seconds=600)
    statuses.journal_key = "ops:journal"
    statuses.track("w-1", Channel.WHATSAPP, "login:1:10")
    assert statuses.record("w-1", "read")
    assert statuses.latest("login:1:10") == Delivery(Channel.WHATSAPP, DeliveryState.DELIVERED)
    assert redis_client.hget("ops:journal", "w-1") == DeliveryState.DELIVERED.value
    assert not statuses.record("w-1", "failed", "131047")  # final: the first final state wins
    statuses.track("w-2", Channel.WHATSAPP, "login:1:10")
    assert statuses.record("w-2", "delivered") and not statuses.record("w-2", "read")  # read after delivered: no news
