"""An emailed link's token arrives in its page's address (`?token=`), and Reflex copies the address into the root
state's router data (the raw dict, the page's and the URL's vars), which the Redis state manager stores for the tab
with every event the page sends. `take_link_token` takes the token out of every copy before anything is stored
(BrowserTokens runs it for every event); the state keeps only the token's digest (SessionState._link_binding).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import reflex as rx

from sms2fa_app import reflex_adapter as internals
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
    address = internals.page_address(root)
    raw = address.query.get(LINK_PARAM) or address.href_query.get(LINK_PARAM) or address.params.get(LINK_PARAM)
    if LINK_PARAM in address.query or _has_link_token(address.origin):
        kept_query = {name: value for name, value in address.query.items() if name != LINK_PARAM}
        internals.replace_router_data_address(root, kept_query, _without_link_token(address.origin))
    if LINK_PARAM in address.params or _has_link_token(address.raw_path):
        internals.replace_router_page(
            root,
            raw_path=_without_link_token(address.raw_path),
            full_raw_path=_without_link_token(address.full_raw_path),
            params={name: value for name, value in address.params.items() if name != LINK_PARAM},
        )
    if _has_link_token(address.href):
        internals.replace_router_href(root, _without_link_token(address.href))
    return raw if isinstance(raw, str) and raw else None


def link_digest(kept: str) -> TokenDigest | None:
    """The digest a link's page kept (hex, "" for none), as the backend takes it."""
    return TokenDigest(kept) if kept else None
