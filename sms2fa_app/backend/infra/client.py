"""Who is calling: the client's approximate network and a short browser label, for the activity log,
notices and the sessions list.

The state layer's handler guard names the calling client for the duration of a handler
(`acting_client`); the backend reads it with `current_client()` where it records what happened, so the
factors need not pass it through every call. Outside a handler it is the empty client ("unknown").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from ua_parser import OS, BasicResolver, Domain, Parser, UserAgent, load_lazy_builtins

from sms2fa_app.backend.infra.network import network_prefix

MAX_AGENT_LENGTH = 512  # longer user agents are cut before parsing
MAX_LABEL_LENGTH = 64
SHOWN_IPV4_PREFIX = 24  # the approximate network shown: 203.0.113.0/24, 2001:db8:1::/48
SHOWN_IPV6_PREFIX = 48

# ua-parser's family names where the label says less: the form factor shows in the OS already.
_BROWSER_NAMES = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "HeadlessChrome": "Chrome",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
}
_SYSTEM_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
_PARSER = Parser(BasicResolver(load_lazy_builtins()))  # uncached: _label caches by the cut string


def device_label(user_agent: str) -> str:
    """A short human label such as "Chrome on Linux" (at most 64 characters)."""
    return _label((user_agent or "")[:MAX_AGENT_LENGTH])


@lru_cache(maxsize=256)
def _label(agent: str) -> str:
    """The label of an already-cut user agent: "<browser> on <OS>", "Browser on <OS>" or "Unknown browser".

    A client that names no OS (curl, wget, HTTP libraries, most crawlers) is not labelled as a browser.
    """
    result = _PARSER(agent, Domain.USER_AGENT | Domain.OS)
    system = _name(result.os, _SYSTEM_NAMES)
    if not system:
        return "Unknown browser"
    browser = _name(result.user_agent, _BROWSER_NAMES) or "Browser"
    return f"{browser} on {system}"[:MAX_LABEL_LENGTH]


def _name(found: UserAgent | OS | None, names: dict[str, str]) -> str:
    """ua-parser's family name in the label's words; "" when it recognised nothing."""
    family = found.family if found else ""
    return "" if family == "Other" else names.get(family, family)


def approximate_network(ip: str) -> str:
    """The client's network, not its address: "203.0.113.0/24", "2001:db8:1::/48"; "" when unknown."""
    return network_prefix(ip, ipv4_prefix=SHOWN_IPV4_PREFIX, ipv6_prefix=SHOWN_IPV6_PREFIX)


@dataclass(frozen=True)
class ClientInfo:
    """The calling client as the server saw it: its IP address and user agent."""

    ip: str = ""
    user_agent: str = ""

    @property
    def browser(self) -> str:
        """ "Chrome on Linux", or "Unknown browser"."""
        return device_label(self.user_agent)

    @property
    def network(self) -> str:
        """The approximate network ("" when unknown)."""
        return approximate_network(self.ip)


_NOBODY = ClientInfo()
_current: ContextVar[ClientInfo | None] = ContextVar("sms2fa_client", default=None)


def current_client() -> ClientInfo:
    """The client the running handler serves (the empty client outside one)."""
    return _current.get() or _NOBODY


@contextmanager
def acting_client(client: ClientInfo) -> Iterator[None]:
    """Name the calling client for the backend calls made inside the block (and the threads they start
    with asyncio.to_thread, which copies the context)."""
    token = _current.set(client)
    try:
        yield
    finally:
        _current.reset(token)
