"""Plivo Lookup answers for the local Plivo server (plivo_server.py): `GET /v1/Number/{number}?type=carrier`.

An answer comes from the test's table (`answer_for`), else from the number's libphonenumber type (a UK landline
is `fixed`, a VoIP range `voip`, a toll-free one `toll-free`, anything else `mobile`). A table entry may also be an
HTTP status: 404 (a number no carrier knows) or 500 (Lookup is out), with Plivo-like JSON error bodies. The body
of a 200 has the shape Plivo documents and the SDK reads: phone_number, country, format, carrier{type, ...}.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any
from urllib.parse import unquote

import phonenumbers
from phonenumbers import PhoneNumberType

LOOKUP_PATH_PREFIX = "/v1/Number/"
_KINDS = {
    PhoneNumberType.FIXED_LINE: "fixed",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.TOLL_FREE: "toll-free",
}
_ERRORS = {404: "Phone number is invalid or does not exist.", 500: "internal server error, please retry"}


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


class LookupAnswers:
    """What Lookup answers, and which numbers were looked up (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._table: dict[str, str | int] = {}
        self._requests: list[str] = []

    def answer_for(self, number: str, answer: str | int) -> None:
        """Answer `number` with a carrier type ("mobile", "fixed", "voip", "toll-free", ...) or a status (404, 500)."""
        with self._lock:
            self._table[_digits(number)] = answer

    @property
    def requests(self) -> list[str]:
        """The numbers looked up, in order (each one a billed lookup at Plivo)."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        """Forget the table and the requests."""
        with self._lock:
            self._table.clear()
            self._requests.clear()

    def handle(self, path: str) -> tuple[int, dict[str, Any]]:
        """The status and JSON body for an authenticated GET of `path`."""
        number = unquote(path.split("?", 1)[0][len(LOOKUP_PATH_PREFIX) :]).strip("/")
        with self._lock:
            self._requests.append(number)
            scripted = self._table.get(_digits(number))
        api_id = str(uuid.uuid4())
        if isinstance(scripted, int):
            return scripted, {"api_id": api_id, "error": _ERRORS.get(scripted, f"error {scripted}")}
        return 200, _carrier_body(api_id, number, scripted or _offline_kind(number))


def _offline_kind(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number if number.startswith("+") else f"+{number}", None)
    except phonenumbers.NumberParseException:
        return "mobile"
    return _KINDS.get(phonenumbers.number_type(parsed), "mobile")


def _carrier_body(api_id: str, number: str, kind: str) -> dict[str, Any]:
    e164 = number if number.startswith("+") else f"+{number}"
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or "US"
    except phonenumbers.NumberParseException:
        region = "US"
    return {
        "api_id": api_id,
        "phone_number": e164,
        "country": {"name": region, "iso2": region, "iso3": region},
        "format": {"e164": e164, "national": e164, "international": e164, "rfc3966": f"tel:{e164}"},
        "carrier": {
            "mobile_country_code": "310",
            "mobile_network_code": "260",
            "name": "Local Test Carrier",
            "type": kind,
            "ported": "no",
        },
        "resource_uri": f"/v1/Number/{e164}?type=carrier",
    }
