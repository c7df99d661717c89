"""Plivo's requests to the app, checked (callbacks.py) and then applied: a delivery report is recorded,
a voice answer reads the call's code out. The HTTP routes (sms2fa_app/api) only translate to and from these."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from sms2fa_app.backend.delivery.callbacks import (
    MESSAGE_STATUS_PATH,
    VOICE_ANSWER_PATH,
    CallbackCheck,
    PlivoCallbacks,
)
from sms2fa_app.backend.delivery.status import DeliveryState, DeliveryStatuses
from sms2fa_app.backend.delivery.voice import SpokenCodes, answer_xml, refusal_xml


class Inbound(enum.Enum):
    """What became of a request from Plivo."""

    APPLIED = "applied"
    IGNORED = "ignored"  # genuine, but about nothing we follow (an unknown message, a spent call token)
    REFUSED = "refused"  # unsigned, forged, stale or replayed


@dataclass(frozen=True)
class VoiceAnswer:
    """The answer to Plivo's request for a call's words: the XML, unless the request was refused."""

    outcome: Inbound
    xml: str = ""


class PlivoInbound:
    """Delivery reports and voice answers, each accepted only from Plivo, now, once."""

    def __init__(self, callbacks: PlivoCallbacks, deliveries: DeliveryStatuses, spoken: SpokenCodes, app_name: str):
        self._callbacks = callbacks
        self._deliveries = deliveries
        self._spoken = spoken
        self._app_name = app_name

    def message_status(self, query: str, headers: Mapping[str, str], params: Mapping[str, str]) -> Inbound:
        """A delivery report (POSTed form): MessageUUID, Status, ErrorCode."""
        if self._callbacks.check("POST", MESSAGE_STATUS_PATH, query, headers, params) is not CallbackCheck.OK:
            return Inbound.REFUSED
        recorded = self._deliveries.record(
            params.get("MessageUUID", ""), params.get("Status", ""), params.get("ErrorCode", "")
        )
        return Inbound.APPLIED if recorded else Inbound.IGNORED

    def voice_answer(self, query: str, headers: Mapping[str, str], params: Mapping[str, str]) -> VoiceAnswer:
        """Plivo asks what the answered call should say (POSTed form; the call's token is in the query)."""
        if self._callbacks.check("POST", VOICE_ANSWER_PATH, query, headers, params) is not CallbackCheck.OK:
            return VoiceAnswer(Inbound.REFUSED)
        spoken = self._spoken.take(parse_qs(query).get("call", [""])[-1])
        if spoken is None:
            return VoiceAnswer(Inbound.IGNORED, refusal_xml())
        self._deliveries.record(params.get("RequestUUID", ""), DeliveryState.DELIVERED.value)
        return VoiceAnswer(Inbound.APPLIED, answer_xml(self._app_name, spoken.code, spoken.locale))
