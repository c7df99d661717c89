"""Sending codes: the text and voice gateway protocols and Plivo (the development outbox is in outbox.py).

Plivo texts carry a status callback URL (delivery reports, callbacks.py and status.py); Plivo calls
fetch what to say from an answer URL (voice.py). Logs name the masked destination and the message id,
never the text (it holds the code), the whole number or a credential.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
from typing import Protocol

import plivo
from plivo import exceptions as plivo_errors

from sms2fa_app.backend.delivery.callbacks import MESSAGE_STATUS_PATH, VOICE_ANSWER_PATH, PlivoCallbacks
from sms2fa_app.backend.delivery.phone import mask_phone
from sms2fa_app.backend.delivery.voice import SpokenCodes
from sms2fa_app.backend.delivery.whatsapp import WhatsAppGateway, WhatsAppTemplate
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE
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

    reports_status: bool  # True when the provider reports deliveries back (DeliveryStatuses can follow them)

    def send(self, to_e164: str, text: str) -> str:
        """Send `text` to an E.164 number; raise SmsDeliveryError on failure."""
        ...


class VoiceGateway(Protocol):
    """Anything that places one call that reads a code out, and returns the provider's call id."""

    def call(self, to_e164: str, code: str, locale: str = DEFAULT_LOCALE) -> str:
        """Call an E.164 number to say `code` (voice.NOTICE: the taken number's notice) in `locale` (English where
        no voice speaks it); raise SmsDeliveryError on failure."""
        ...


class Gateway(SmsGateway, VoiceGateway, WhatsAppGateway, Protocol):
    """Texts, calls and WhatsApp templates through one provider."""


def scrub(detail: str, limit: int = 200) -> str:
    """A provider's error text made safe for logs: digit runs (numbers, codes) removed, length capped."""
    return _DIGIT_RUN.sub("[digits]", detail)[:limit]


class PlivoClient(plivo.RestClient):
    """The Plivo SDK client with its own API base URL and Lookup URL.

    The SDK has no base-URL option: `Client.request()` resets `self.base_uri` to the module global
    `plivo.rest.client.PLIVO_API_BASE_URI` ("https://api.plivo.com/v1/Account") before each call, and
    `create_request()` then builds `{base_uri}/{auth_id}/Message/`. Setting the base here, per client,
    keeps two gateways with different URLs (tests, e2e) from overwriting each other's global. Lookup builds
    its URL from the constant `LOOKUP_API_ENDPOINT` ("https://lookup.plivo.com/v1/Number") instead: with a
    `lookup_url`, that first part of the path is replaced the same way.
    """

    def __init__(
        self, auth_id: str, auth_token: str, api_url: str = "", timeout: float = 10.0, *, lookup_url: str = ""
    ):
        super().__init__(auth_id, auth_token, timeout=timeout)
        self._account_base_uri = f"{api_url.rstrip('/')}/v1/Account" if api_url else self.base_uri
        self._lookup_endpoint = f"{lookup_url.rstrip('/')}/v1/Number" if lookup_url else ""
        self.base_uri = self._account_base_uri

    def create_request(self, method, path=None, data=None, **kwargs):  # type: ignore[no-untyped-def]
        if not kwargs:  # plain REST call (not lookup / call-insights, which build their own URLs)
            self.base_uri = self._account_base_uri
        elif kwargs.get("is_lookup_request") and self._lookup_endpoint and path:
            path = (self._lookup_endpoint, *list(path)[1:])
        return super().create_request(method, path, data, **kwargs)


class PlivoGateway:
    """Texts through Plivo's Message API and calls through its Voice API, with the official SDK; one SDK
    client per thread. With `callbacks`, each text asks for delivery reports; calls need `spoken`; WhatsApp codes
    need `whatsapp` (the approved template) and `whatsapp_sender` (the WhatsApp-enabled number)."""

    def __init__(
        self,
        auth_id: str,
        auth_token: str,
        sender: str,
        api_url: str,
        timeout: float,
        *,
        callbacks: PlivoCallbacks | None = None,
        spoken: SpokenCodes | None = None,
        whatsapp: WhatsAppTemplate | None = None,
        whatsapp_sender: str = "",
    ):
        self._auth_id = auth_id
        self._auth_token = auth_token
        self._sender = sender
        self._api_url = api_url
        self._timeout = timeout
        self._callbacks = callbacks
        self._spoken = spoken
        self.reports_status = callbacks is not None
        self._whatsapp = whatsapp
        self._whatsapp_sender = whatsapp_sender
        self.whatsapp_ready = whatsapp is not None and bool(whatsapp_sender)
        self._local = threading.local()
        self._client()  # fail fast on malformed credentials

    def _client(self) -> PlivoClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = PlivoClient(self._auth_id, self._auth_token, self._api_url, self._timeout)
            self._local.client = client
        return client

    def send(self, to_e164: str, text: str) -> str:
        """Send one SMS; return Plivo's message UUID."""
        return self._create(to_e164, "sms_sent", src=self._sender, text=text)

    def send_whatsapp(self, to_e164: str, code: str, locale: str = DEFAULT_LOCALE) -> str:
        """Send `code` as the WhatsApp authentication template in the user's language; return Plivo's message
        UUID (delivery reports come to the same status URL as a text's)."""
        if self._whatsapp is None or not self._whatsapp_sender:
            raise SmsDeliveryError(DeliveryFailure.TEMPORARY, "WhatsApp is not configured")
        template = self._whatsapp.for_code(code, locale)
        return self._create(
            to_e164, "whatsapp_sent", "whatsapp_failed", src=self._whatsapp_sender, type_="whatsapp", template=template
        )

    def _create(self, to_e164: str, event: str, failed: str = "sms_failed", **message: object) -> str:
        """One Message API request (a text or a template), with a status URL when reports are followed; `event` and
        `failed` name its log lines."""
        masked = mask_phone(to_e164)
        if self._callbacks is not None:
            message.update(url=self._callbacks.url(MESSAGE_STATUS_PATH), method="POST")
        try:
            response = self._client().messages.create(dst=to_e164, **message)
        except plivo_errors.ValidationError as error:
            self._log_failure(masked, DeliveryFailure.INVALID_DESTINATION, error, failed)
            raise SmsDeliveryError(DeliveryFailure.INVALID_DESTINATION, _describe(error)) from error
        except Exception as error:  # the SDK is a boundary (API, network, anything else): a failed send, not a crash
            self._log_failure(masked, DeliveryFailure.TEMPORARY, error, failed)
            raise SmsDeliveryError(DeliveryFailure.TEMPORARY, _describe(error)) from error
        message_id = _message_uuid(response)
        log_event(log, logging.INFO, event, provider="plivo", to=masked, message_uuid=message_id or "-")
        return message_id

    def call(self, to_e164: str, code: str, locale: str = DEFAULT_LOCALE) -> str:
        """Place a call that reads `code` out in `locale` (Plivo fetches the words from our answer URL); return
        its id."""
        if self._callbacks is None or self._spoken is None:
            raise SmsDeliveryError(DeliveryFailure.TEMPORARY, "voice calls are not configured")
        masked = mask_phone(to_e164)
        token = self._spoken.keep(code, locale)
        client = self._client()
        client.voice_retry_count = 0  # the SDK never resets its fallback counter; each call starts afresh
        try:
            response = client.calls.create(
                from_=self._sender,
                to_=to_e164,
                answer_url=self._callbacks.url(VOICE_ANSWER_PATH, call=token),
                answer_method="POST",
            )
        except Exception as error:  # the SDK is a boundary: a refused or failed call is a failed delivery
            self._spoken.discard(token)
            kind = (
                DeliveryFailure.INVALID_DESTINATION
                if isinstance(error, plivo_errors.ValidationError)
                else DeliveryFailure.TEMPORARY
            )
            self._log_failure(masked, kind, error, event="voice_failed")
            raise SmsDeliveryError(kind, _describe(error)) from error
        call_id = _field(response, "request_uuid")
        log_event(log, logging.INFO, "voice_call_placed", provider="plivo", to=masked, call_uuid=call_id or "-")
        return call_id

    @staticmethod
    def _log_failure(masked: str, kind: DeliveryFailure, error: Exception, event: str = "sms_failed") -> None:
        log_event(
            log,
            logging.WARNING,
            event,
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
    return _field(response, "message_uuid")


def _field(response: object, name: str) -> str:
    """A field of an SDK response as text, the first one of a list ("" when absent)."""
    try:
        value = response[name]  # type: ignore[index]
    except (KeyError, TypeError, AttributeError):
        return ""
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return str(value)
