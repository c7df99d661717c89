"""SMS: message text, Plivo error mapping and URL building (no network), the development outbox."""

from __future__ import annotations

import json
import logging

import plivo.rest.client
import pytest
import requests
from plivo import exceptions as plivo_errors

from sms2fa_app.backend.delivery.code_text import message_text
from sms2fa_app.backend.delivery.outbox import OUTBOX_KEY, DevOutbox, OutboxMessage
from sms2fa_app.backend.delivery.sms import (
    DeliveryFailure,
    PlivoGateway,
    SmsDeliveryError,
    scrub,
)
from sms2fa_app.backend.infra.clock import FakeClock
from tests.support.recording_gateway import RecordingGateway, extract_code

AUTH_ID = "MAUNITTESTACCOUNT001"
TOKEN = "unit-test-token"
SENDER = "+14155550100"
TO = "+16502531212"


def test_message_text_names_the_app_the_code_and_the_expiry() -> None:
    assert (
        message_text("sms2fa", "123456", 300) == "Your sms2fa code is 123456. It expires in 5 minutes. Don't share it."
    )
    assert message_text("Acme", "000042", 60) == "Your Acme code is 000042. It expires in 1 minute. Don't share it."
    assert "90 seconds" in message_text("x", "111111", 90)
    assert extract_code(message_text("sms2fa", "012345", 300)) == "012345"


def _gateway(api_url: str = "http://127.0.0.1:9") -> PlivoGateway:
    return PlivoGateway(AUTH_ID, TOKEN, SENDER, api_url, timeout=1.0)


def _fake_response(request: requests.PreparedRequest, status: int, body: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.url = request.url or ""
    response.request = request
    return response


def test_plivo_request_goes_to_the_configured_base_url_with_json_and_basic_auth() -> None:
    gateway = _gateway("http://plivo.test:8080/")
    client = gateway._client()
    seen: list[requests.PreparedRequest] = []

    def send_request(request: requests.PreparedRequest, **_: object) -> requests.Response:
        seen.append(request)
        return _fake_response(request, 202, {"api_id": "a", "message": "message(s) queued", "message_uuid": ["u-1"]})

    client.send_request = send_request  # type: ignore[method-assign]
    assert gateway.send(TO, "Your code is 123456") == "u-1"
    (request,) = seen
    assert request.method == "POST"
    assert request.url == f"http://plivo.test:8080/v1/Account/{AUTH_ID}/Message/"
    body = json.loads(request.body or b"{}")
    assert (body["src"], body["dst"], body["text"]) == (SENDER, TO, "Your code is 123456")
    assert request.headers["Authorization"].startswith("Basic ")
    # the SDK's module global is left alone, so several gateways can coexist
    assert plivo.rest.client.PLIVO_API_BASE_URI == "https://api.plivo.com/v1/Account"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (plivo_errors.ValidationError("invalid dst"), DeliveryFailure.INVALID_DESTINATION),
        (plivo_errors.AuthenticationError("bad token"), DeliveryFailure.TEMPORARY),
        (plivo_errors.GeoPermissionError("geo"), DeliveryFailure.TEMPORARY),
        (plivo_errors.ForbiddenError("forbidden"), DeliveryFailure.TEMPORARY),
        (plivo_errors.PlivoServerError("500"), DeliveryFailure.TEMPORARY),
        (plivo_errors.PlivoRestError("502"), DeliveryFailure.TEMPORARY),
        (plivo_errors.InvalidRequestError("405"), DeliveryFailure.TEMPORARY),
        (requests.Timeout("read timed out"), DeliveryFailure.TEMPORARY),
        (requests.ConnectionError("refused"), DeliveryFailure.TEMPORARY),
        (RuntimeError("sdk bug"), DeliveryFailure.TEMPORARY),
    ],
)
def test_plivo_errors_map_to_delivery_failures(error: Exception, kind: DeliveryFailure, caplog) -> None:
    gateway = _gateway()

    def create(**_: object) -> None:
        raise error

    gateway._client().messages.create = create  # type: ignore[method-assign]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SmsDeliveryError) as raised:
        gateway.send(TO, "Your code is 123456")
    assert raised.value.kind is kind
    assert type(error).__name__ in caplog.text and "•••• 1212" in caplog.text
    assert TO not in caplog.text and "123456" not in caplog.text and TOKEN not in caplog.text


def test_plivo_http_status_codes_map_through_the_sdk() -> None:
    gateway = _gateway()
    client = gateway._client()
    for status, kind in [
        (400, DeliveryFailure.INVALID_DESTINATION),
        (401, DeliveryFailure.TEMPORARY),
        (403, DeliveryFailure.TEMPORARY),
        (500, DeliveryFailure.TEMPORARY),
        (503, DeliveryFailure.TEMPORARY),
    ]:
        client.send_request = lambda request, status=status, **_: _fake_response(  # type: ignore[method-assign]
            request, status, {"api_id": "a", "error": f"failure for {TO}"}
        )
        with pytest.raises(SmsDeliveryError) as raised:
            gateway.send(TO, "Your code is 123456")
        assert raised.value.kind is kind, status
        assert TO not in str(raised.value) and "6502531212" not in str(raised.value)


def test_scrub_removes_numbers_and_codes_but_keeps_words() -> None:
    assert scrub("invalid dst +1 650-253-1212 (code 123456)") == "invalid dst [digits] (code [digits])"
    assert scrub("status 500") == "status 500"
    assert len(scrub("x" * 1000)) == 200


def test_dev_outbox_keeps_the_newest_texts_newest_first(redis_client, clock: FakeClock) -> None:
    outbox = DevOutbox(redis_client, size=3, clock=clock)
    ids = []
    for index in range(5):
        ids.append(outbox.send(f"+1650253121{index}", f"text {index}"))
        clock.advance(1)
    recent = outbox.recent()
    assert [message.text for message in recent] == ["text 4", "text 3", "text 2"]
    assert recent[0] == OutboxMessage("+16502531214", "text 4", clock.now() - 1, ids[4])
    assert redis_client.llen(OUTBOX_KEY) == 3
    assert [m.text for m in outbox.recent(limit=1)] == ["text 4"]
    outbox.clear()
    assert outbox.recent() == []


def test_recording_gateway_records_and_fails_on_demand() -> None:
    gateway = RecordingGateway()
    gateway.fail_next(DeliveryFailure.INVALID_DESTINATION)
    with pytest.raises(SmsDeliveryError) as raised:
        gateway.send(TO, "Your code is 123456")
    assert raised.value.kind is DeliveryFailure.INVALID_DESTINATION
    assert gateway.send(TO, "Your code is 654321") == "rec-1"
    assert gateway.texts == [(TO, "Your code is 654321")]
    assert gateway.last_code(TO) == "654321" and gateway.last_code("+10000000000") is None
    assert gateway.attempts == 2


def test_build_services_picks_the_gateway(tmp_path, redis_client, clock: FakeClock, database) -> None:
    from sms2fa_app.backend.services import build_services
    from tests.conftest import FAST_HASHER, make_settings
    from tests.support.recording_mailer import RecordingMailer

    def build(gateway=None, mailer=None, **overrides: str):
        settings = make_settings(tmp_path, **overrides)
        return build_services(
            settings,
            clock=clock,
            redis_client=redis_client,
            database=database,
            hasher=FAST_HASHER,
            gateway=gateway,
            mailer=mailer,
        )

    development = build()
    assert isinstance(development.gateway, DevOutbox) and development.outbox is development.gateway
    assert development.mailer is development.outbox  # texts and mails share the development outbox
    given = RecordingGateway()
    tests_own = build(given, RecordingMailer())  # the outbox exists only for a channel with no gateway
    assert tests_own.gateway is given and tests_own.outbox is None
    plivo = build(
        PLIVO_AUTH_ID=AUTH_ID,
        PLIVO_AUTH_TOKEN=TOKEN,
        PLIVO_PHONE_NUMBER=SENDER,
        PLIVO_API_URL="http://127.0.0.1:9",
        SMTP_HOST="127.0.0.1",
        SMTP_FROM="sms2fa@example.com",
    )
    assert isinstance(plivo.gateway, PlivoGateway) and plivo.outbox is None
    # the development outbox is where a dev-mode code lands
    development.otp.request_code(purpose="login", user_id=1, session_id=1, phone=TO, client_ip="127.0.0.1")
    (message,) = development.outbox.recent()
    assert message.to == TO and extract_code(message.text)
