"""A framework-free HTTP request and answer, and the wrapping Authlib needs (what its Flask integration's
requests.py does for Flask): the web layer builds an `HttpRequest`, the provider answers an `HttpAnswer`."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request

Params = tuple[tuple[str, str], ...]


class Headers(dict[str, str]):
    """Header names compared case-insensitively (Authlib asks for "Authorization")."""

    def __init__(self, items: Mapping[str, str] | None = None):
        super().__init__({name.lower(): value for name, value in (items or {}).items()})

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())


@dataclass(frozen=True)
class HttpRequest:
    """One request: `url` is the issuer's URL for it (never built from the Host header)."""

    method: str
    url: str
    headers: Headers = field(default_factory=Headers)
    query: Params = ()
    form: Params = ()


@dataclass(frozen=True)
class HttpAnswer:
    """One answer: a status, a body (text, or a dict sent as JSON) and headers."""

    status: int
    body: str | dict[str, Any] = ""
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return json.dumps(self.body) if isinstance(self.body, dict) else self.body

    @property
    def location(self) -> str | None:
        return dict((name.lower(), value) for name, value in self.headers).get("location")


def _first_values(params: Params) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in params:
        values.setdefault(name, value)
    return values


class _Payload(OAuth2Payload):
    def __init__(self, params: Params):
        self._data = _first_values(params)
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in params:
            self._datalist[name].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class PlainOAuth2Request(OAuth2Request):
    """An `HttpRequest` as Authlib reads it: query and form merged in the payload, as Flask's `request.values`."""

    def __init__(self, request: HttpRequest):
        super().__init__(method=request.method, uri=request.url, headers=request.headers)
        self.http = request
        self.payload = _Payload(request.query + request.form)
        self._args = _first_values(request.query)
        self._form = _first_values(request.form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form
