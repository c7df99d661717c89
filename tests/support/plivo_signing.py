"""Plivo's request signing (X-Plivo-Signature-V3), written from Plivo's description rather than taken from
the SDK, so the app's use of the SDK's validator is checked against an independent signer; and a small
client that POSTs signed (or deliberately unsigned, forged or replayed) requests the way Plivo does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

SIGNATURE_HEADER = "X-Plivo-Signature-V3"
NONCE_HEADER = "X-Plivo-Signature-V3-Nonce"


def _sorted_query(params: Mapping[str, list[str]]) -> str:
    return "&".join(f"{key}={value}" for key in sorted(params) for value in sorted(params[key]))


def signed_base(method: str, url: str, params: Mapping[str, str]) -> str:
    """What V3 signs before the nonce: the URL without its query, then its query parameters sorted; for a
    POST, then the form parameters sorted and concatenated as name+value (a '.' joins query and form)."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    query = parse_qs(parts.query, keep_blank_values=True)
    if method.upper() == "GET":
        merged = {**query, **{name: [value] for name, value in params.items()}}
        sorted_query = _sorted_query(merged)
        return f"{base}?{sorted_query}" if sorted_query else base
    sorted_query = _sorted_query(query)
    if sorted_query or params:
        base += f"?{sorted_query}"
    if sorted_query and params:
        base += "."
    return base + "".join(f"{name}{params[name]}" for name in sorted(params))


def v3_signature(auth_token: str, method: str, url: str, params: Mapping[str, str], nonce: str) -> str:
    """Base64 HMAC-SHA256 under the auth token of `signed_base(...) + '.' + nonce`."""
    message = f"{signed_base(method, url, params)}.{nonce}".encode()
    return base64.b64encode(hmac.new(auth_token.encode(), message, hashlib.sha256).digest()).decode()


def new_nonce() -> str:
    """A nonce like Plivo's: 20 random digits."""
    return "".join(secrets.choice("0123456789") for _ in range(20))


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, content type, body."""

    status: int
    content_type: str
    body: str


def post_form(url: str, params: Mapping[str, str], headers: Mapping[str, str], timeout: float = 10.0) -> Reply:
    """POST `params` as a form to `url` with these headers; any HTTP status is a Reply, not an error."""
    request = urllib.request.Request(url, data=urlencode(params).encode(), method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    request.add_header("User-Agent", "PlivoHTTPClient")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.headers.get("Content-Type", ""), response.read().decode())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers.get("Content-Type", ""), error.read().decode(errors="replace"))


def post_signed(
    auth_token: str, url: str, params: Mapping[str, str], nonce: str | None = None, timeout: float = 10.0
) -> Reply:
    """POST a form to `url` signed as Plivo signs its requests (a fresh nonce unless one is given)."""
    nonce = nonce or new_nonce()
    signature = v3_signature(auth_token, "POST", url, params, nonce)
    return post_form(url, params, {SIGNATURE_HEADER: signature, NONCE_HEADER: nonce}, timeout)
