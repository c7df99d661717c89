"""PlivoCallbacks: the URLs we give Plivo, and the verdict on each request Plivo makes to them (signed with an
independent implementation of X-Plivo-Signature-V3, checked with the SDK's validator)."""

from __future__ import annotations

import logging

import pytest

from sms2fa_app.backend.delivery.callbacks import MESSAGE_STATUS_PATH, CallbackCheck, PlivoCallbacks
from sms2fa_app.backend.infra.clock import FakeClock
from tests.support.plivo_signing import new_nonce, v3_signature

TOKEN = "local-plivo-auth-token-for-tests-only"
BASE = "https://sms2fa.example.com"
MAX_AGE = 3600
PARAMS = {"MessageUUID": "0936ec98-7c4c-11e5-9f12-22000afa12e8", "Status": "delivered", "ErrorCode": ""}


@pytest.fixture
def callbacks(redis_client, clock: FakeClock) -> PlivoCallbacks:
    return PlivoCallbacks(redis_client, clock, TOKEN, BASE + "/", MAX_AGE)


def signed(url: str, params: dict[str, str], nonce: str | None = None, token: str = TOKEN) -> dict[str, str]:
    nonce = nonce or new_nonce()
    return {
        "x-plivo-signature-v3": v3_signature(token, "POST", url, params, nonce),
        "x-plivo-signature-v3-nonce": nonce,
    }


def check(callbacks: PlivoCallbacks, url: str, headers: dict[str, str], params: dict[str, str] = PARAMS):
    path, _, query = url.removeprefix(BASE).partition("?")
    return callbacks.check("POST", path, query, headers, params)


def test_urls_carry_their_issue_time_and_sorted_parameters(callbacks: PlivoCallbacks, clock: FakeClock) -> None:
    assert callbacks.url(MESSAGE_STATUS_PATH) == f"{BASE}{MESSAGE_STATUS_PATH}?t={int(clock.now())}"
    assert callbacks.url("/x", call="tok") == f"{BASE}/x?call=tok&t={int(clock.now())}"


def test_a_signed_fresh_request_is_accepted_once(callbacks: PlivoCallbacks, caplog) -> None:
    url = callbacks.url(MESSAGE_STATUS_PATH)
    headers = signed(url, PARAMS)
    assert check(callbacks, url, headers) is CallbackCheck.OK
    with caplog.at_level(logging.WARNING):
        assert check(callbacks, url, headers) is CallbackCheck.REPLAYED
    assert "event=plivo_callback_refused" in caplog.text and "reason=replayed" in caplog.text
    assert check(callbacks, url, signed(url, PARAMS)) is CallbackCheck.OK  # a new nonce is a new request


@pytest.mark.parametrize("missing", ["x-plivo-signature-v3", "x-plivo-signature-v3-nonce"])
def test_unsigned_requests_are_refused(callbacks: PlivoCallbacks, missing: str) -> None:
    url = callbacks.url(MESSAGE_STATUS_PATH)
    headers = signed(url, PARAMS)
    del headers[missing]
    assert check(callbacks, url, headers) is CallbackCheck.UNSIGNED
    assert check(callbacks, url, {}) is CallbackCheck.UNSIGNED


def test_forged_requests_are_refused_and_spend_no_nonce(callbacks: PlivoCallbacks, clock: FakeClock) -> None:
    url = callbacks.url(MESSAGE_STATUS_PATH)
    nonce = new_nonce()
    assert check(callbacks, url, signed(url, PARAMS, nonce, token="another-token")) is CallbackCheck.FORGED
    altered = {**PARAMS, "Status": "failed"}
    assert check(callbacks, url, signed(url, PARAMS, nonce), altered) is CallbackCheck.FORGED
    later = f"{BASE}{MESSAGE_STATUS_PATH}?t={int(clock.now()) + 30}"
    assert check(callbacks, later, signed(url, PARAMS, nonce)) is CallbackCheck.FORGED  # `t` is signed too
    bad_nonce = {**signed(url, PARAMS), "x-plivo-signature-v3-nonce": "not a nonce!"}
    assert check(callbacks, url, bad_nonce) is CallbackCheck.FORGED
    assert check(callbacks, url, signed(url, PARAMS, nonce)) is CallbackCheck.OK  # the nonce was still unspent


def test_stale_requests_are_refused_and_a_nonce_outlives_its_url(callbacks: PlivoCallbacks, clock: FakeClock) -> None:
    url = callbacks.url(MESSAGE_STATUS_PATH)
    headers = signed(url, PARAMS)
    assert check(callbacks, url, headers) is CallbackCheck.OK
    clock.advance(MAX_AGE)
    assert check(callbacks, url, headers) is CallbackCheck.REPLAYED  # still fresh: the nonce catches it
    clock.advance(1)
    assert check(callbacks, url, headers) is CallbackCheck.STALE
    assert check(callbacks, url, signed(url, PARAMS)) is CallbackCheck.STALE  # whatever the nonce
    future = f"{BASE}{MESSAGE_STATUS_PATH}?t={int(clock.now()) + 3600}"
    assert check(callbacks, future, signed(future, PARAMS)) is CallbackCheck.STALE
    undated = f"{BASE}{MESSAGE_STATUS_PATH}"
    assert check(callbacks, undated, signed(undated, PARAMS)) is CallbackCheck.STALE
