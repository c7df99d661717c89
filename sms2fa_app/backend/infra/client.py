"""Who is calling: the client's approximate network and its browser and system, for the activity log,
notices and the sessions list.

The browser's label is a pair of product names (`DeviceLabel`), never a sentence: each reader's language says it
("Chrome on Linux", "Chrome en Linux"). Rows keep it in `stored()` form; rows written in English before read back.

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


_STORED_SEPARATOR = "|"  # in no browser or system name ua-parser knows
_OLD_ENGLISH_GLUE = " on "  # rows stored before the labels were translated: "Chrome on Linux"
_OLD_ENGLISH_UNKNOWN = "Unknown browser"
_OLD_ENGLISH_SOME_BROWSER = "Browser"
_ADMINISTRATOR = "@administrator"  # an admin's action: the user is told "An administrator", never the admin's browser
_OLD_ENGLISH_ADMINISTRATOR = "An administrator"


@dataclass(frozen=True)
class DeviceLabel:
    """Which browser on which system, as product names (proper nouns, the same in every language); "" for a part
    that is unknown. The words around them belong to the reader's language (state/words, letter_words)."""

    browser: str = ""
    system: str = ""
    administrator: bool = False  # an admin acted: no browser or system is named

    def stored(self) -> str:
        """The pair in one column of at most 64 characters, no words in it: "Chrome|Linux", "|Windows", ""."""
        if self.administrator:
            return _ADMINISTRATOR
        if not (self.browser or self.system):
            return ""
        return f"{self.browser}{_STORED_SEPARATOR}{self.system}"[:MAX_LABEL_LENGTH]

    def in_english(self) -> str:
        """ "Chrome on Linux": only for a name the user may edit afterwards (a passkey's default name)."""
        if not self.system:
            return self.browser or _OLD_ENGLISH_UNKNOWN
        return f"{self.browser or _OLD_ENGLISH_SOME_BROWSER}{_OLD_ENGLISH_GLUE}{self.system}"[:MAX_LABEL_LENGTH]

    @classmethod
    def parse(cls, stored: str) -> DeviceLabel:
        """A stored label back as its pair: the `stored()` form, or an English one written before ("Chrome on
        Linux", "Browser on Windows", "Unknown browser"); anything else is a browser's name as it is."""
        stored = stored or ""
        if _STORED_SEPARATOR in stored:
            browser, _, system = stored.partition(_STORED_SEPARATOR)
            return cls(browser, system)
        if stored == _OLD_ENGLISH_UNKNOWN:
            return cls()
        if stored in (_ADMINISTRATOR, _OLD_ENGLISH_ADMINISTRATOR):
            return cls(administrator=True)
        browser, glue, system = stored.rpartition(_OLD_ENGLISH_GLUE)
        if not glue:
            return cls(stored, "")
        return cls("" if browser == _OLD_ENGLISH_SOME_BROWSER else browser, system)


def device_label(user_agent: str) -> DeviceLabel:
    """The browser and system a user agent names (each at most 64 characters)."""
    return _label((user_agent or "")[:MAX_AGENT_LENGTH])


@lru_cache(maxsize=256)
def _label(agent: str) -> DeviceLabel:
    """The label of an already-cut user agent.

    A client that names no OS (curl, wget, HTTP libraries, most crawlers) is not labelled as a browser.
    """
    result = _PARSER(agent, Domain.USER_AGENT | Domain.OS)
    system = _name(result.os, _SYSTEM_NAMES)
    if not system:
        return DeviceLabel()
    return DeviceLabel(_name(result.user_agent, _BROWSER_NAMES)[:MAX_LABEL_LENGTH], system[:MAX_LABEL_LENGTH])


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
    def device(self) -> DeviceLabel:
        """Which browser on which system."""
        return device_label(self.user_agent)

    @property
    def browser(self) -> str:
        """The device's label as rows and queued notices keep it (`DeviceLabel.stored`, read by `parse`)."""
        return self.device.stored()

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
