"""WhatsApp codes: the authentication template the SDK posts, the language per locale, the channel a user's codes
take, the development outbox's entry (no network)."""

from __future__ import annotations

import json

import pytest
import requests

from sms2fa_app.backend.delivery.outbox import WHATSAPP, DevOutbox
from sms2fa_app.backend.delivery.sms import DeliveryFailure, PlivoGateway, SmsDeliveryError
from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.delivery.whatsapp import WhatsAppTemplate, code_channel
from sms2fa_app.backend.infra.clock import FakeClock
from tests.unit.backend.delivery.test_sms import AUTH_ID, SENDER, TO, TOKEN, _fake_response

WHATSAPP_SENDER = "+14155550199"
TEMPLATE = WhatsAppTemplate("sms2fa_code", (("es", "es"), ("pt_BR", "pt_BR")))


def test_the_template_carries_the_code_in_its_body_and_its_copy_code_button() -> None:
    template = TEMPLATE.for_code("012345", "es")
    assert (template.name, template.language) == ("sms2fa_code", "es")
    assert template.components == [
        {"type": "body", "parameters": [{"type": "text", "text": "012345"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "012345"}]},
    ]
    json.dumps(template.__dict__)  # what the SDK posts must be plain JSON


@pytest.mark.parametrize(("locale", "language"), [("es", "es"), ("pt_BR", "pt_BR"), ("de", "en"), ("hi", "en")])
def test_a_locale_without_an_approved_translation_gets_english(locale: str, language: str) -> None:
    assert TEMPLATE.for_code("123456", locale).language == language


@pytest.mark.parametrize("code", ["", "1" * 16, "12 34", "١٢٣٤٥٦", "https://x", "abc123", "CALLME"])
def test_the_template_carries_1_to_15_ascii_digits_only(code: str) -> None:
    with pytest.raises(ValueError):
        TEMPLATE.for_code(code)


def _gateway(whatsapp: WhatsAppTemplate | None = TEMPLATE) -> PlivoGateway:
    return PlivoGateway(
        AUTH_ID, TOKEN, SENDER, "http://plivo.test", 1.0, whatsapp=whatsapp, whatsapp_sender=WHATSAPP_SENDER
    )


def test_plivo_gets_type_whatsapp_the_template_and_the_whatsapp_sender() -> None:
    gateway = _gateway()
    seen: list[requests.PreparedRequest] = []

    def send_request(request: requests.PreparedRequest, **_: object) -> requests.Response:
        seen.append(request)
        return _fake_response(request, 202, {"api_id": "a", "message": "message(s) queued", "message_uuid": ["w-1"]})

    gateway._client().send_request = send_request  # type: ignore[method-assign]
    assert gateway.whatsapp_ready and gateway.send_whatsapp(TO, "654321", "pt_BR") == "w-1"
    body = json.loads(seen[0].body or b"{}")
    assert (body["src"], body["dst"], body["type"]) == (WHATSAPP_SENDER, TO, "whatsapp")
    assert "text" not in body
    assert body["template"]["name"] == "sms2fa_code" and body["template"]["language"] == "pt_BR"
    assert [component["parameters"][0]["text"] for component in body["template"]["components"]] == ["654321"] * 2


def test_without_a_template_the_gateway_offers_no_whatsapp_and_refuses_to_send() -> None:
    gateway = _gateway(None)
    assert not gateway.whatsapp_ready
    with pytest.raises(SmsDeliveryError) as raised:
        gateway.send_whatsapp(TO, "123456")
    assert raised.value.kind is DeliveryFailure.TEMPORARY


def test_a_user_who_chose_whatsapp_gets_it_only_while_the_gateway_sends_it() -> None:
    assert code_channel("whatsapp", _gateway()) is Channel.WHATSAPP
    assert code_channel("whatsapp", _gateway(None)) is Channel.SMS
    assert code_channel("sms", _gateway()) is Channel.SMS
    assert code_channel("voice", _gateway()) is Channel.VOICE  # a landline (Lookup) is called


def test_the_development_outbox_keeps_the_whatsapp_code(redis_client) -> None:
    outbox = DevOutbox(redis_client, clock=FakeClock())
    assert outbox.whatsapp_ready
    outbox.send_whatsapp(TO, "246810", "de")
    (message,) = outbox.recent()
    assert (message.channel, message.to) == (WHATSAPP, TO) and "246810" in message.text
