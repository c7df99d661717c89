"""The SMS operations charts: aggregates of seeded events, and events written by real sends and signed delivery
reports (the real Plivo SDK against LocalPlivo, which POSTs signed reports to the app's served routes)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlmodel import SQLModel, select

from sms2fa_app.api.routes import api_app
from sms2fa_app.backend.admin.ops_charts import OTHER, price_of
from sms2fa_app.backend.delivery.status import Channel, DeliveryState
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose, SendRefusal, SendRefused
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.models import SmsOpsEvent
from sms2fa_app.backend.services import Services, build_services, set_services
from tests.conftest import make_settings
from tests.integration.test_plivo_callbacks import wait_for
from tests.support.asgi_server import AsgiServer
from tests.support.plivo_server import LocalPlivo

HOUR = 3600


def seed(services: Services) -> None:
    """Two hours of traffic: texts to six countries, calls, reports, refusals, a blocked country."""
    ops = services.admin.ops_events
    clock = services.clock
    assert isinstance(clock, FakeClock)
    clock.advance(-2 * HOUR)
    for index, country in enumerate(["US", "US", "US", "GB", "GB", "LV", "DE", "FR", "NL"]):
        ops.text(Channel.SMS, country, "sent", f"m{index}")
    ops.report("m0", DeliveryState.DELIVERED)
    ops.report("m1", DeliveryState.DELIVERED)
    ops.report("m3", DeliveryState.UNDELIVERED)
    clock.advance(HOUR)
    ops.text(Channel.VOICE, "US", "sent", "c1")
    ops.text(Channel.SMS, "LV", "blocked")
    ops.text(Channel.SMS, "LV", "sent", "m9")
    for _ in range(3):
        ops.text(Channel.SMS, "LV", SendRefusal.COUNTRY_BLOCKED.value)
    ops.text(Channel.SMS, "US", SendRefusal.COOLDOWN.value)
    ops.text(Channel.SMS, "", SendRefusal.INVALID_NUMBER.value)
    clock.advance(HOUR)


def test_the_charts_aggregate_the_stored_events(admin_services: Services) -> None:
    seed(admin_services)
    charts = admin_services.admin.charts.read(hours=3)
    assert charts.texts.series == ("US", "GB", "LV", "DE", OTHER)  # the busiest four by name
    assert [counts for _hour, counts in charts.texts.hours] == [(3, 2, 1, 1, 2), (0, 0, 1, 0, 0), (0, 0, 0, 0, 0)]
    assert charts.calls.series == ("US",) and [c for _h, c in charts.calls.hours] == [(0,), (1,), (0,)]
    assert [(delivered, known) for _hour, delivered, known in charts.delivery] == [(2, 3), (0, 0), (0, 0)]
    assert dict(charts.refusals) == {"country_blocked": 3, "cooldown": 1, "invalid_number": 1}
    assert charts.blocked == (("LV", 1, 3),)
    spend = {entry.country: (entry.texts, entry.calls, entry.amount) for entry in charts.spend}
    assert spend["US"] == (3, 1, 0.13) and spend["GB"] == (2, 0, 0.08) and spend["LV"] == (2, 0, 0.1)
    assert charts.total_spend == pytest.approx(0.13 + 0.08 + 0.1 + 3 * 0.05)


def test_older_events_fall_out_of_the_window(admin_services: Services) -> None:
    seed(admin_services)
    charts = admin_services.admin.charts.read(hours=1)
    assert charts.texts.series == () and charts.refusals == () and charts.spend == ()


def test_events_older_than_the_retention_period_are_purged(admin_services: Services) -> None:
    seed(admin_services)
    ops = admin_services.admin.ops_events
    assert ops.purge() == 0
    admin_services.clock.advance(ops.retention_seconds - HOUR)
    assert ops.purge() == 9  # the first hour's texts
    with admin_services.database.session() as db:
        assert len(db.exec(select(SmsOpsEvent)).all()) == 8  # the second hour's events stay


def test_the_price_table_prices_other_countries_with_the_star() -> None:
    table = (("*", 0.05), ("US", 0.0079))
    assert price_of(table, "US") == 0.0079 and price_of(table, "JP") == 0.05 and price_of((), "JP") == 0.0


# ---- written by the real send path and signed delivery reports ----------------------------------------------


@pytest.fixture
def plivo_services(tmp_path: Path, real_redis: redis.Redis, local_plivo: LocalPlivo) -> Iterator[Services]:
    with AsgiServer(api_app()) as app_server:
        settings = make_settings(
            tmp_path,
            PLIVO_AUTH_ID=local_plivo.auth_id,
            PLIVO_AUTH_TOKEN=local_plivo.auth_token,
            PLIVO_PHONE_NUMBER="+14155550100",
            PLIVO_API_URL=local_plivo.url,
            APP_URL=app_server.url,
            SMS_COUNTRY_CAPS_PER_HOUR="US=3",
        )
        engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
        SQLModel.metadata.create_all(engine)
        built = build_services(
            settings, clock=FakeClock(time.time()), redis_client=real_redis, database=Database(engine)
        )
        set_services(built)
        yield built
        set_services(None)


def test_sends_refusals_blocks_and_signed_reports_become_chart_events(
    plivo_services: Services, local_plivo: LocalPlivo
) -> None:
    services = plivo_services
    local_plivo.deliver_next("delivered")
    local_plivo.deliver_next("undelivered", error_code="30")
    local_plivo.deliver_next("delivered")
    results = [
        services.otp.request_code(
            purpose=Purpose.LOGIN, user_id=user, session_id=user, phone=f"+1650253{user:04d}", client_ip="203.0.113.7"
        )
        for user in range(1, 5)
    ]
    assert [type(result) for result in results] == [CodeSent, CodeSent, CodeSent, SendRefused]
    refused = services.otp.request_code(
        purpose=Purpose.LOGIN, user_id=9, session_id=9, phone="12", client_ip="203.0.113.7"
    )
    assert isinstance(refused, SendRefused) and refused.reason is SendRefusal.INVALID_NUMBER
    wait_for(lambda: len(local_plivo.reports) == 9)
    charts = services.admin.charts.read(hours=1)
    assert charts.texts.series == ("US",) and charts.texts.hours[0][1] == (3,)
    assert charts.delivery[0][1:] == (2, 3)
    assert dict(charts.refusals) == {"country_blocked": 1, "invalid_number": 1}
    assert charts.blocked == (("US", 1, 1),)
    with services.database.session() as db:
        rows = db.exec(select(SmsOpsEvent)).all()
    assert all("650253" not in f"{row}" for row in rows)  # no number is stored
