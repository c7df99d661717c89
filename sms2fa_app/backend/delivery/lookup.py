"""What kind of line a number is, asked of Plivo Lookup (billed, $0.004 a lookup) or, in development, of
libphonenumber's offline metadata.

Plivo's Lookup lives on its own host (lookup.plivo.com), apart from the message API: PLIVO_LOOKUP_URL moves
it like PLIVO_API_URL moves the message API (tests point both at the local Plivo server). Answers are typed:
a line kind, or why there is none (the number is unknown to the carriers, or Lookup is out). Logs carry the
masked number only.
"""

from __future__ import annotations

import enum
import logging
import threading
from dataclasses import dataclass
from typing import Protocol

from plivo import exceptions as plivo_errors

from sms2fa_app.backend.delivery.phone import LineType, mask_phone
from sms2fa_app.backend.delivery.sms import PlivoClient, scrub
from sms2fa_app.backend.infra.events import log_event

log = logging.getLogger("sms2fa.lookup")


class LineKind(enum.StrEnum):
    """The carrier's word for a line (Plivo's `carrier.type`, folded into a closed set)."""

    MOBILE = "mobile"
    FIXED = "fixed"
    VOIP = "voip"
    TOLL_FREE = "toll_free"
    UNKNOWN = "unknown"


class LookupFailure(enum.StrEnum):
    """Why Lookup gave no line kind."""

    NOT_FOUND = "not_found"  # Plivo 404: no carrier knows the number
    INVALID = "invalid"  # Plivo 400: not a number Lookup accepts
    OUTAGE = "outage"  # Lookup is down, slow, throttling, refusing our credentials, or answered nonsense


@dataclass(frozen=True)
class LineFound:
    """The number's line kind, as Lookup answered it."""

    kind: LineKind


@dataclass(frozen=True)
class LookupFailed:
    """No line kind: why."""

    failure: LookupFailure


LookupAnswer = LineFound | LookupFailed

# Plivo's carrier.type values (and spellings seen in its docs) to our kinds; anything else is UNKNOWN.
_PLIVO_KINDS = {
    "mobile": LineKind.MOBILE,
    "fixed": LineKind.FIXED,
    "landline": LineKind.FIXED,
    "voip": LineKind.VOIP,
    "toll-free": LineKind.TOLL_FREE,
    "tollfree": LineKind.TOLL_FREE,
    "toll_free": LineKind.TOLL_FREE,
}

# libphonenumber's offline type to a line kind (development's stand-in for Lookup).
_OFFLINE_KINDS = {
    LineType.MOBILE: LineKind.MOBILE,
    LineType.FIXED_LINE_OR_MOBILE: LineKind.MOBILE,
    LineType.FIXED_LINE: LineKind.FIXED,
    LineType.VOIP: LineKind.VOIP,
    LineType.TOLL_FREE: LineKind.TOLL_FREE,
}


class LineLookup(Protocol):
    """Anything that tells the line kind of an E.164 number."""

    billed: bool  # True when each answer costs money (it then counts against the send pressure)

    def look_up(self, e164: str, offline_type: LineType) -> LookupAnswer:
        """The line kind of `e164` (`offline_type`: libphonenumber's guess, for lookups that have nothing better)."""
        ...


class OfflineLookup:
    """Development's Lookup: libphonenumber's own guess, free and offline (a landline is FIXED, and so on)."""

    billed = False

    def look_up(self, e164: str, offline_type: LineType) -> LookupAnswer:
        """The offline type as a line kind (what cannot be told apart reads as mobile)."""
        return LineFound(_OFFLINE_KINDS.get(offline_type, LineKind.UNKNOWN))


class PlivoLookup:
    """Plivo Lookup through the official SDK (`client.lookup.get(number)`), one SDK client per thread."""

    billed = True

    def __init__(self, auth_id: str, auth_token: str, lookup_url: str, timeout: float):
        self._auth_id = auth_id
        self._auth_token = auth_token
        self._lookup_url = lookup_url
        self._timeout = timeout
        self._local = threading.local()

    def _client(self) -> PlivoClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = PlivoClient(self._auth_id, self._auth_token, timeout=self._timeout, lookup_url=self._lookup_url)
            self._local.client = client
        return client

    def look_up(self, e164: str, offline_type: LineType) -> LookupAnswer:
        """Ask Plivo for the number's carrier type; a 404 is NOT_FOUND, a 400 INVALID, every other failure an
        OUTAGE, logged by its cause (401/403: our credentials, an error the alerts key on; 429: throttled)."""
        try:
            response = self._client().lookup.get(e164)
        except plivo_errors.ResourceNotFoundError:
            return LookupFailed(LookupFailure.NOT_FOUND)
        except plivo_errors.ValidationError:
            return LookupFailed(LookupFailure.INVALID)
        except Exception as error:  # the SDK is a boundary: any other failure is an outage, never a crash
            level, event = _failure_event(error)
            log_event(
                log, level, event, to=mask_phone(e164), error=type(error).__name__, detail=scrub(str(error)),
            )  # fmt: skip
            return LookupFailed(LookupFailure.OUTAGE)
        carrier_type = _carrier_type(response)
        if carrier_type is None:
            log_event(log, logging.WARNING, "lookup_failed", to=mask_phone(e164), error="no_carrier_type")
            return LookupFailed(LookupFailure.OUTAGE)
        return LineFound(_PLIVO_KINDS.get(carrier_type.strip().lower(), LineKind.UNKNOWN))


def _failure_event(error: Exception) -> tuple[int, str]:
    """The log level and event of a failed lookup: a refused credential (401/403) is a configuration error."""
    if isinstance(error, (plivo_errors.AuthenticationError, plivo_errors.ForbiddenError)):
        return logging.ERROR, "lookup_misconfigured"
    if isinstance(error, plivo_errors.PlivoRestError) and "status code 429" in str(error):
        return logging.WARNING, "lookup_throttled"
    return logging.WARNING, "lookup_failed"


def _carrier_type(response: object) -> str | None:
    """`carrier.type` of a Lookup answer (the SDK gives objects or dicts, depending on the depth), or None."""
    carrier = _part(response, "carrier")
    kind = _part(carrier, "type") if carrier is not None else None
    return kind if isinstance(kind, str) else None


def _part(value: object, name: str) -> object:
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)
