"""Where the login may send the browser once it is signed in: forward-auth's `rd` (the page of another app behind
the proxy that asked for a sign-in).

An open redirect here would let a phishing link end a genuine sign-in on the attacker's page, so the check is
strict and says no to anything it cannot read plainly: only an absolute http(s) URL whose host is APP_URL's, under
COOKIE_DOMAIN, or listed in FORWARD_AUTH_RETURN_HOSTS. Browsers repair what parsers disagree on (backslashes for
slashes, tabs and newlines dropped, `%2F` in a host), so any such character refuses the whole value instead of
being cleaned.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sms2fa_app.config import Settings

MAX_RETURN_URL_LENGTH = 2000  # a longer value is no page anyone links to
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


def safe_return_url(url: object, settings: Settings) -> str | None:
    """`url` when the login may send the browser there after signing in, else None."""
    if not isinstance(url, str) or not url or len(url) > MAX_RETURN_URL_LENGTH:
        return None
    if "\\" in url or any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        return None  # backslashes, control characters and spaces: browsers and parsers read them differently
    schemes = ("https://",) if settings.base_url.startswith("https://") else ("https://", "http://")
    if not url.lower().startswith(schemes):
        return None  # "//evil", "https:evil", "javascript:", relative paths
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return None
    if "@" in parts.netloc or "%" in parts.netloc or not parts.hostname:
        return None  # userinfo ("https://ok@evil") and encoded hosts
    host = parts.hostname
    if not _HOST_NAME.fullmatch(host) or not _allowed_host(host, settings):
        return None
    return url


def _allowed_host(host: str, settings: Settings) -> bool:
    """APP_URL's host, COOKIE_DOMAIN or a host under it, or one of FORWARD_AUTH_RETURN_HOSTS."""
    if host == settings.site_host or host in settings.forward_auth_return_hosts:
        return True
    domain = settings.cookie_domain
    return bool(domain) and (host == domain or host.endswith(f".{domain}"))
