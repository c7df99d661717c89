"""Sending text messages: the SmsGateway protocol and Plivo (the development outbox is in outbox.py).

Logs name the masked destination and the message id, never the text (it holds the code), the whole
number or a credential.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
from typing import Protocol

import plivo
import requests
from plivo import exceptions as plivo_errors

from sms2fa_app.backend.delivery.phone import mask_phone
from sms2fa_app.backend.infra.errors import BackendError
from sms2fa_app.backend.infra.events import log_event

log = logging.getLogger("sms2fa.sms")

_DIGIT_RUN = re.compile(r"\+?\d[\d\s().-]{4,}\d")


class DeliveryFailure(enum.Enum):
    """Why a text could not be handed to the provider."""

    INVALID_DESTINATION = "invalid_destination"  # the provider refused the number (Plivo 400): do not retry
    TEMPORARY = "temporary"  # credentials, geo permissions, provider outage, network, timeout: may retry later


class DeliveryError(BackendError):
    """A gateway (text or mail) could not send; `kind` tells the caller what to do, `detail` is for the log
    (scrubbed)."""

    def __init__(self, kind: DeliveryFailure, detail: str = ""):
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind
        self.detail = detail


class SmsDeliveryError(DeliveryError):
    """The SMS gateway could not send."""


class SmsGateway(Protocol):
    """Anything that sends one text and returns the provider's message id."""

    def send(self, to_e164: str, text: str) -> str:
        """Send `text` to an E.164 number; raise SmsDeliveryError on failure."""
        ...


def message_text(app_name: str, code: str, ttl_seconds: int) -> str:
    """The SMS body, e.g. "Your sms2fa code is 123456. It expires in 5 minutes. Don't share it." """
    return f"Your {app_name} code is {code}. It expires in {duration_words(ttl_seconds)}. Don't share it."


def duration_words(seconds: int) -> str:
    """ "24 hours", "30 minutes", "45 seconds": the largest unit that divides the time."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" + ("" if count == 1 else "s")
    return f"{seconds} second" + ("" if seconds == 1 else "s")


def scrub(detail: str, limit: int = 200) -> str:
    """A provider's error text made safe for logs: digit runs (numbers, codes) removed, length capped."""
    return _DIGIT_RUN.sub("[digits]", detail)[:limit]


class _PlivoClient(plivo.RestClient):
    """The Plivo SDK client with its own API base URL.

    The SDK has no base-URL option: `Client.request()` resets `self.base_uri` to the module global
    `plivo.rest.client.PLIVO_API_BASE_URI` ("https://api.plivo.com/v1/Account") before each call, and
    `create_request()` then builds `{base_uri}/{auth_id}/Message/`. Setting the base here, per client,
    keeps two gateways with different URLs (tests, e2e) from overwriting each other's global.
    """

    def __init__(self, auth_id: str, auth_token: str, api_url: str, timeout: float):
        super().__init__(auth_id, auth_token, timeout=timeout)
        self._account_base_uri = f"{api_url.rstrip('/')}/v1/Account"
        self.base_uri = self._account_base_uri

    def create_request(self, method, path=None, data=None, **kwargs):  # type: ignore[no-untyped-def]
        if not kwargs:  # plain REST call (not lookup / call-insights, which build their own URLs)
            self.base_uri = self._account_base_uri
        return super().create_request(method, path, data, **kwargs)


class PlivoGateway:
    """Sends through Plivo's Message API with the official SDK; one SDK client per thread."""

    def __init__(self, auth_id: str, auth_token: str, sender: str, api_url: str, timeout: float):
        self._auth_id = auth_id
        self._auth_token = auth_token
        self._sender = sender
        self._api_url = api_url
        self._timeout = timeout
        self._local = threading.local()
        self._client()  # fail fast on malformed credentials

    def _client(self) -> _PlivoClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = _PlivoClient(self._auth_id, self._auth_token, self._api_url, self._timeout)
            self._local.client = client
        return client

    def send(self, to_e164: str, text: str) -> str:
        """Send one SMS; return Plivo's message UUID."""
        masked = mask_phone(to_e164)
        try:
            response = self._client().messages.create(src=self._sender, dst=to_e164, text=text)
        except plivo_errors.ValidationError as error:
            self._log_failure(masked, DeliveryFailure.INVALID_DESTINATION, error)
            raise SmsDeliveryError(DeliveryFailure.INVALID_DESTINATION, _describe(error)) from error
        except (plivo_errors.PlivoRestError, requests.RequestException) as error:
            self._log_failure(masked, DeliveryFailure.TEMPORARY, error)
            raise SmsDeliveryError(DeliveryFailure.TEMPORARY, _describe(error)) from error
        except Exception as error:  # the SDK is a boundary: anything else is a failed send, not a crash
            self._log_failure(masked, DeliveryFailure.TEMPORARY, error)
            raise SmsDeliveryError(DeliveryFailure.TEMPORARY, _describe(error)) from error
        message_id = _message_uuid(response)
        log_event(log, logging.INFO, "sms_sent", provider="plivo", to=masked, message_uuid=message_id or "-")
        return message_id

    @staticmethod
    def _log_failure(masked: str, kind: DeliveryFailure, error: Exception) -> None:
        log_event(
            log,
            logging.WARNING,
            "sms_failed",
            provider="plivo",
            to=masked,
            kind=kind.value,
            error=type(error).__name__,
            detail=_describe(error),
        )


def _describe(error: Exception) -> str:
    return scrub(str(error))


def _message_uuid(response: object) -> str:
    """First UUID of Plivo's `{"message_uuid": [...]}` answer ("" when absent: the message was still queued)."""
    try:
        uuids = response["message_uuid"]  # type: ignore[index]
    except (KeyError, TypeError, AttributeError):
        return ""
    if isinstance(uuids, list | tuple):
        return str(uuids[0]) if uuids else ""
    return str(uuids)
