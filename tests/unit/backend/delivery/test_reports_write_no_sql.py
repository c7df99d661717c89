"""A text and its delivery reports cost Redis work only (issue 24: an UPDATE of sms_ops_events per report was 5-8
ms of every login, the send's INSERT a statement and a commit of it). The charts still show each message's newest
state."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.admin.ops_events import SENT
from sms2fa_app.backend.delivery.status import Channel, DeliveryState
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose
from sms2fa_app.backend.services import Services
from tests.support.counting import counted


def sent_text(services: Services, message_id: str) -> None:
    """A text handed to the provider: tracked for its reports, and stored as an operations event."""
    services.deliveries.track(message_id, Channel.SMS, f"login:1:{message_id}")
    services.admin.ops_events.text(Channel.SMS, "US", SENT, message_id)


def test_delivery_reports_run_no_sql(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    sent_text(services, "m1")
    with counted(services, monkeypatch) as work:
        assert services.deliveries.record("m1", DeliveryState.SENT.value)
        assert services.deliveries.record("m1", DeliveryState.DELIVERED.value)
    assert work.sql == []


def test_the_charts_show_the_newest_reported_state(services: Services) -> None:
    for message_id in ("m1", "m2", "m3"):
        sent_text(services, message_id)
    services.deliveries.record("m1", DeliveryState.DELIVERED.value)
    services.deliveries.record("m2", DeliveryState.SENT.value)
    services.deliveries.record("m2", DeliveryState.UNDELIVERED.value)
    charts = services.admin.charts.read(hours=1)
    assert [(delivered, known) for _hour, delivered, known in charts.delivery] == [(1, 2)]
    services.deliveries.record("m3", DeliveryState.DELIVERED.value)
    services.admin.ops_events.flush()  # as the job queue does every minute
    charts = services.admin.charts.read(hours=1)
    assert [(delivered, known) for _hour, delivered, known in charts.delivery] == [(2, 3)]


def test_a_text_runs_no_sql_and_still_reaches_the_charts(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    with counted(services, monkeypatch) as work:
        sent = services.otp.request_code(
            purpose=Purpose.LOGIN, user_id=1, session_id=1, phone="+14155551212", client_ip="203.0.113.7"
        )
    assert isinstance(sent, CodeSent) and work.sql == []
    charts = services.admin.charts.read(hours=1)  # stores the waiting events first
    assert charts.texts.series == ("US",) and charts.texts.hours[0][1] == (1,)
