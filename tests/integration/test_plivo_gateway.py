"""PlivoGateway through the real plivo SDK, over HTTP, against the local Plivo-compatible server."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

import pytest

from sms2fa_app.backend.delivery.sms import DeliveryFailure, PlivoGateway, SmsDeliveryError
from tests.support.plivo_server import LocalPlivo

SENDER = "+14155550100"
TO = "+16502531212"


def gateway_for(plivo: LocalPlivo, timeout: float = 5.0, token: str | None = None) -> PlivoGateway:
    return PlivoGateway(plivo.auth_id, token or plivo.auth_token, SENDER, plivo.url, timeout)


def test_send_returns_the_message_uuid_and_the_server_records_the_message(local_plivo: LocalPlivo) -> None:
    message_id = gateway_for(local_plivo).send(TO, "Your sms2fa code is 123456.")
    (message,) = local_plivo.messages
    assert message == {"src": SENDER, "dst": TO, "text": "Your sms2fa code is 123456.", "message_uuid": message_id}
    assert local_plivo.last_code_for(TO) == "123456"
    assert local_plivo.last_code_for("16502531212") == "123456"  # with or without +
    assert local_plivo.last_code_for("+15555550000") is None


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, DeliveryFailure.INVALID_DESTINATION),
        (401, DeliveryFailure.TEMPORARY),
        (403, DeliveryFailure.TEMPORARY),
        (500, DeliveryFailure.TEMPORARY),
        (503, DeliveryFailure.TEMPORARY),
    ],
)
def test_error_statuses_map_to_delivery_failures(local_plivo: LocalPlivo, status: int, kind: DeliveryFailure) -> None:
    gateway = gateway_for(local_plivo)
    local_plivo.fail_next(status)
    with pytest.raises(SmsDeliveryError) as raised:
        gateway.send(TO, "Your sms2fa code is 123456.")
    assert raised.value.kind is kind
    assert local_plivo.messages == []
    gateway.send(TO, "Your sms2fa code is 654321.")  # only the next send failed
    assert local_plivo.last_code_for(TO) == "654321"


def test_wrong_credentials_are_a_temporary_failure(local_plivo: LocalPlivo) -> None:
    with pytest.raises(SmsDeliveryError) as raised:
        gateway_for(local_plivo, token="not-the-token").send(TO, "Your sms2fa code is 123456.")
    assert raised.value.kind is DeliveryFailure.TEMPORARY
    assert local_plivo.messages == [] and local_plivo.requests == 1


def test_a_slow_reply_times_out_as_a_temporary_failure(local_plivo: LocalPlivo) -> None:
    local_plivo.delay_next(1.0)
    started = time.monotonic()
    with pytest.raises(SmsDeliveryError) as raised:
        gateway_for(local_plivo, timeout=0.2).send(TO, "Your sms2fa code is 123456.")
    assert raised.value.kind is DeliveryFailure.TEMPORARY
    assert time.monotonic() - started < 0.9


def test_an_unreachable_api_is_a_temporary_failure() -> None:
    with LocalPlivo() as plivo:
        gateway = gateway_for(plivo, timeout=1.0)
    with pytest.raises(SmsDeliveryError) as raised:
        gateway.send(TO, "Your sms2fa code is 123456.")
    assert raised.value.kind is DeliveryFailure.TEMPORARY


def test_two_gateways_with_different_urls_do_not_interfere() -> None:
    with LocalPlivo() as first, LocalPlivo() as second:
        gateway_for(first).send(TO, "Your sms2fa code is 111111.")
        gateway_for(second).send(TO, "Your sms2fa code is 222222.")
        gateway_for(first).send(TO, "Your sms2fa code is 333333.")
        assert [m["text"][-7:-1] for m in first.messages] == ["111111", "333333"]
        assert [m["text"][-7:-1] for m in second.messages] == ["222222"]


def _post(plivo: LocalPlivo, path: str, auth: tuple[str, str] | None, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(plivo.url + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_local_plivo_speaks_plivos_message_api(local_plivo: LocalPlivo) -> None:
    path = f"/v1/Account/{local_plivo.auth_id}/Message/"
    credentials = (local_plivo.auth_id, local_plivo.auth_token)
    body = {"src": SENDER, "dst": TO, "text": "hi"}
    status, answer = _post(local_plivo, path, credentials, body)
    assert status == 202 and answer["message"] == "message(s) queued" and len(answer["message_uuid"]) == 1
    assert _post(local_plivo, path, None, body)[0] == 401
    assert _post(local_plivo, path, (local_plivo.auth_id, "wrong"), body)[0] == 401
    other_account = "/v1/Account/MAOTHERACCOUNT0000001/Message/"
    assert _post(local_plivo, other_account, credentials, body)[0] == 401
    assert _post(local_plivo, path, credentials, {"src": SENDER, "text": "hi"})[0] == 400
    local_plivo.fail_next(403, count=2)
    assert [_post(local_plivo, path, credentials, body)[0] for _ in range(3)] == [403, 403, 202]
    assert len(local_plivo.messages) == 2
    local_plivo.clear()
    assert local_plivo.messages == [] and local_plivo.requests == 0
