"""The Plivo Lookup client: the SDK's request goes to PLIVO_LOOKUP_URL (not the message API's host), and its
answers fold into typed line kinds and failures."""

from __future__ import annotations

import logging

import pytest
from plivo import exceptions as plivo_errors

from sms2fa_app.backend.delivery.lookup import LineFound, LineKind, LookupFailed, LookupFailure, PlivoLookup
from sms2fa_app.backend.delivery.phone import LineType
from sms2fa_app.backend.delivery.sms import PlivoClient

AUTH_ID = "MA" + "A" * 18
THROTTLED = "lookup_throttled"


def test_the_sdk_lookup_request_goes_to_the_configured_lookup_url() -> None:
    client = PlivoClient(AUTH_ID, "token", "http://127.0.0.1:9", lookup_url="http://127.0.0.1:7/")
    request = client.create_request("GET", ("https://lookup.plivo.com/v1/Number", "+16502531212"), {"type": "carrier"},
                                    is_lookup_request=True)  # fmt: skip
    assert request.url == "http://127.0.0.1:7/v1/Number/+16502531212?type=carrier"
    message = client.create_request("POST", ("Message",), {"src": "+1"})
    assert message.url == f"http://127.0.0.1:9/v1/Account/{AUTH_ID}/Message/"  # the message API keeps its own


def test_without_a_lookup_url_the_sdk_keeps_plivos_host() -> None:
    client = PlivoClient(AUTH_ID, "token")
    request = client.create_request(
        "GET", ("https://lookup.plivo.com/v1/Number", "+1650"), None, is_lookup_request=True
    )
    assert request.url.startswith("https://lookup.plivo.com/v1/Number/")


class _Lookup:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    def get(self, number: str) -> object:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"carrier": {"type": "mobile"}}, LineFound(LineKind.MOBILE)),
        ({"carrier": {"type": "fixed"}}, LineFound(LineKind.FIXED)),
        ({"carrier": {"type": "VoIP"}}, LineFound(LineKind.VOIP)),
        ({"carrier": {"type": "toll-free"}}, LineFound(LineKind.TOLL_FREE)),
        ({"carrier": {"type": "pager"}}, LineFound(LineKind.UNKNOWN)),
        ({"carrier": {}}, LookupFailed(LookupFailure.OUTAGE)),
        (plivo_errors.ResourceNotFoundError("no such number"), LookupFailed(LookupFailure.NOT_FOUND)),
        (plivo_errors.PlivoServerError("boom"), LookupFailed(LookupFailure.OUTAGE)),
        (plivo_errors.AuthenticationError("bad token"), LookupFailed(LookupFailure.OUTAGE)),
        (TimeoutError("slow"), LookupFailed(LookupFailure.OUTAGE)),
    ],
)
def test_answers_fold_into_kinds_and_failures(monkeypatch: pytest.MonkeyPatch, answer: object, expected) -> None:
    lookup = PlivoLookup(AUTH_ID, "token", "http://127.0.0.1:7", 1.0)
    monkeypatch.setattr(lookup._client(), "lookup", _Lookup(answer))
    assert lookup.look_up("+16502531212", LineType.FIXED_LINE_OR_MOBILE) == expected


def test_a_400_is_an_invalid_number_not_an_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    lookup = PlivoLookup(AUTH_ID, "token", "http://127.0.0.1:7", 1.0)
    monkeypatch.setattr(lookup._client(), "lookup", _Lookup(plivo_errors.ValidationError("invalid number")))
    assert lookup.look_up("+16502531212", LineType.FIXED_LINE_OR_MOBILE) == LookupFailed(LookupFailure.INVALID)


@pytest.mark.parametrize(
    ("error", "level", "event"),
    [
        (plivo_errors.AuthenticationError("bad token"), logging.ERROR, "lookup_misconfigured"),
        (plivo_errors.ForbiddenError("forbidden"), logging.ERROR, "lookup_misconfigured"),
        (
            plivo_errors.PlivoRestError('Received status code 429 for the HTTP method "GET"'),
            logging.WARNING,
            "lookup_throttled",
        ),
        (plivo_errors.PlivoServerError("boom"), logging.WARNING, "lookup_failed"),
    ],
)
def test_outages_are_logged_by_cause(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, error: Exception, level: int, event: str
) -> None:
    """401/403 is our configuration (an error the alerts key on), 429 Plivo's throttle, the rest an outage."""
    lookup = PlivoLookup(AUTH_ID, "token", "http://127.0.0.1:7", 1.0)
    monkeypatch.setattr(lookup._client(), "lookup", _Lookup(error))
    with caplog.at_level(logging.INFO, logger="sms2fa.lookup"):
        assert lookup.look_up("+16502531212", LineType.FIXED_LINE_OR_MOBILE) == LookupFailed(LookupFailure.OUTAGE)
    (record,) = caplog.records
    assert record.levelno == level and f"event={event}" in record.getMessage()
    assert "6502531212" not in record.getMessage()
