"""The original request a proxy describes, and where the login may send the browser back to afterwards (`rd`).

A proxy passes the original URL in headers built from what the client sent (`$http_host`, `X-Forwarded-Host`), so
the host is the client's word: it chooses nothing but the rule and whether a return address is offered. The login
URL carries `rd` only for an address the operator allowed (APP_URL's host, hosts under COOKIE_DOMAIN, hosts the
rules name), always percent-encoded whole, so nothing in it can become another header or another site (no open
redirect, no header injection). The login page checks `rd` again with the same `ReturnTargets` instance: one
rule, built once from Settings by the composition root (backend/services.py), serves forward-auth and the login.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from sms2fa_app.backend.protect.rules import AccessRules
from sms2fa_app.config import Settings

MAX_URL_LENGTH = 4096
MAX_RETURN_URL_LENGTH = 2000  # a longer return address is no page anyone links to
LOGIN_PATH = "/login"
RETURN_PARAMETER = "rd"
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_URL_CHARACTERS = re.compile(r"[\x21-\x7e]+")  # printable ASCII: no space, no control character, no CR or LF
_AUTHORITY_THEN_PATH = re.compile(r"[a-z][a-z0-9+.-]*://[^/?#]+/")  # the path starts with `/` right after the host


@dataclass(frozen=True)
class OriginalRequest:
    """The request the proxy asks about, as far as the rules and the return address need it."""

    url: str  # the whole URL as the proxy gave it (checked: printable ASCII, http or https, a plain host)
    scheme: str
    host: str  # lower case, no port
    path: str  # as sent, without the query


def original_request(url: str | None) -> OriginalRequest | None:
    """The request behind `url`, or None for anything that is not a plain http(s) URL of a named host (userinfo,
    backslashes, control characters, spaces, an over-long URL). No proxy sends a fragment, and a request's path
    always starts with `/`: a raw `#`, or a `?` right after the host, comes from a Host header built to shift the
    path out of the rules' sight (`Host: app.example.com?`), so it is refused."""
    if not url or len(url) > MAX_URL_LENGTH or not _URL_CHARACTERS.fullmatch(url) or "#" in url:
        return None
    if not _AUTHORITY_THEN_PATH.match(url.lower()):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is no number
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    authority_ok = "@" not in parts.netloc and "\\" not in parts.netloc and (port is None or 0 < port < 65536)
    if parts.scheme not in ("http", "https") or not _HOST_NAME.fullmatch(host) or not authority_ok:
        return None
    return OriginalRequest(url=url, scheme=parts.scheme, host=host, path=parts.path or "/")


def forwarded_url(proto: str | None, host: str | None, uri: str | None) -> str | None:
    """The original URL from Caddy's and Traefik's X-Forwarded-Proto, -Host and -Uri (None when one is missing)."""
    if not proto or not host or not uri or not uri.startswith("/"):
        return None
    return f"{proto.lower()}://{host}{uri}"


class ReturnTargets:
    """The addresses the login may return the browser to after signing in."""

    def __init__(self, app_url: str, cookie_domain: str | None, rules: AccessRules):
        app = urlsplit(app_url)
        self._app_url = app_url.rstrip("/")
        self._app_host = (app.hostname or "").lower()
        self._https_only = app.scheme == "https"
        self._cookie_domain = (cookie_domain or "").lower()
        self._rules = rules

    def allows(self, url: object) -> bool:
        """Whether `url` is an http(s) address on an allowed host (https only when APP_URL is https). A backslash
        anywhere refuses it: browsers read one as a slash where parsers do not."""
        if not isinstance(url, str) or len(url) > MAX_RETURN_URL_LENGTH or "\\" in url:
            return False
        original = original_request(url.partition("#")[0])  # a link's own fragment is fine for going back
        if original is None or (self._https_only and original.scheme != "https"):
            return False
        host, domain = original.host, self._cookie_domain
        under_cookie_domain = bool(domain) and (host == domain or host.endswith("." + domain))
        return host == self._app_host or under_cookie_domain or self._rules.names_host(host)

    def safe(self, url: object) -> str | None:
        """`url` when the login may send the browser there after signing in (forward-auth's `rd`), else None."""
        return url if isinstance(url, str) and self.allows(url) else None

    def login_url(self, return_to: str | None) -> str:
        """The login page, with `rd` when `return_to` is an allowed address (else the plain login)."""
        login = self._app_url + LOGIN_PATH
        if not self.allows(return_to):
            return login
        return f"{login}?{RETURN_PARAMETER}={quote(str(return_to), safe='')}"


def return_targets(settings: Settings, rules: AccessRules | None = None) -> ReturnTargets:
    """The return addresses this deployment allows: APP_URL's host, COOKIE_DOMAIN's, and the hosts its
    FORWARD_AUTH_RULES protect (`rules`, when the caller already parsed them)."""
    rules = rules if rules is not None else AccessRules(settings.forward_auth_rules)
    return ReturnTargets(settings.base_url, settings.cookie_domain, rules)
