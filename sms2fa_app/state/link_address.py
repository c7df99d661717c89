"""An emailed link's token arrives in its page's address (`?token=`), and Reflex copies the address into the root
state's router data (the raw dict, the page's and the URL's vars), which the Redis state manager stores for the tab
with every event the page sends. `take_link_token` takes the token out of every copy before anything is stored
(BrowserTokens runs it for every event); the state keeps only the token's digest (SessionState._link_binding).
"""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import reflex as rx
from reflex.istate.data import ReflexURL, URLData
from reflex_base.constants import RouteVar

from sms2fa_app.backend.infra.crypto import TokenDigest

LINK_PARAM = "token"  # the query parameter of every emailed link (verify, reset, cancel a 2FA reset)


def _without_link_token(address: str) -> str:
    """The address (a URL or a path with its query) without the link's token."""
    parts = urlsplit(address)
    kept = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != LINK_PARAM]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _has_link_token(address: str) -> bool:
    return any(name == LINK_PARAM for name, _ in parse_qsl(urlsplit(address).query, keep_blank_values=True))


def take_link_token(root: rx.State) -> str | None:
    """The link token in the page's address, taken out of the root state's router data and router vars (only
    what holds one is rewritten); None when the address has none."""
    data = root.router_data
    query = data.get(RouteVar.QUERY) or {}
    href = str(root.rx_router_url.href)
    page = root.rx_router_page
    raw = query.get(LINK_PARAM) or ReflexURL(href).query_parameters.get(LINK_PARAM) or page.params.get(LINK_PARAM)
    if LINK_PARAM in query or _has_link_token(str(data.get(RouteVar.ORIGIN, ""))):
        root.router_data = {
            **data,
            RouteVar.QUERY: {name: value for name, value in query.items() if name != LINK_PARAM},
            RouteVar.ORIGIN: _without_link_token(str(data.get(RouteVar.ORIGIN, ""))),
        }
    if LINK_PARAM in page.params or _has_link_token(page.raw_path):
        root.rx_router_page = dataclasses.replace(
            page,
            raw_path=_without_link_token(page.raw_path),
            full_raw_path=_without_link_token(page.full_raw_path),
            params={name: value for name, value in page.params.items() if name != LINK_PARAM},
        )
    if _has_link_token(href):
        root.rx_router_url = URLData.from_url(ReflexURL(_without_link_token(href)))
    return raw if isinstance(raw, str) and raw else None


def link_digest(kept: str) -> TokenDigest | None:
    """The digest a link's page kept (hex, "" for none), as the backend takes it."""
    return TokenDigest(kept) if kept else None
