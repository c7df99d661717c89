"""The browser's credentials as HttpOnly cookies: their names, their flags, and reading them back.

One place decides these, because the app's HTTP endpoints (which set and clear the cookies), the websocket
handshake (which reads them) and the forward-auth verifier (which reads them for other apps behind a proxy) must
agree. The cookie carries the raw random token; the server only ever keeps its SHA-256 (`TokenDigest`).

- https (production): `Secure`; host-only with the `__Host-` prefix, or (the session cookie only) `Domain=COOKIE_DOMAIN`
  with the `__Secure-` prefix (a `__Host-` cookie may not name a domain). The remembered-device cookie stays
  host-only whatever COOKIE_DOMAIN says: it skips the second factor, and no sibling host needs it.
- A cookie name sent twice (a sibling host under COOKIE_DOMAIN can plant one with a longer Path, which browsers send
  first) is no credential at all: `read_cookie` does not guess which one is the app's.
- http on this machine (`make run`, a loopback APP_URL): no `Secure` and no prefix: browsers refuse prefixed cookies
  without it. Cookies ignore ports, so the development frontend (:3000) and backend (:8000) share them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sms2fa_app.backend.infra.crypto import TokenDigest
from sms2fa_app.config import Settings

SESSION_COOKIE_BASE = "sms2fa_session"
DEVICE_COOKIE_BASE = "sms2fa_device"
SAME_SITE = "Lax"  # sent on top-level navigations from other sites (a link to a protected app), not on their posts


@dataclass(frozen=True)
class CookiePolicy:
    """How this deployment names and scopes its credential cookies."""

    secure: bool
    domain: str | None = None

    def _prefix(self, domain: str | None) -> str:
        if not self.secure:
            return ""
        return "__Secure-" if domain else "__Host-"

    @property
    def session_name(self) -> str:
        return self._prefix(self.domain) + SESSION_COOKIE_BASE

    @property
    def device_name(self) -> str:
        return self._prefix(None) + DEVICE_COOKIE_BASE

    def _domain_of(self, name: str) -> str | None:
        """COOKIE_DOMAIN for the session cookie only: every other credential cookie is host-only."""
        return self.domain if name == self.session_name else None

    def attributes(self, max_age_seconds: int | None, domain: str | None = None) -> str:
        """The Set-Cookie attributes after `name=value` (max_age None: a browser-session cookie; 0: delete)."""
        parts = ["Path=/", "HttpOnly", f"SameSite={SAME_SITE}"]
        if self.secure:
            parts.append("Secure")
        if domain:
            parts.append(f"Domain={domain}")
        if max_age_seconds is not None:
            parts.append(f"Max-Age={max_age_seconds}")
        return "; ".join(parts)

    def set_cookie_header(self, name: str, value: str, max_age_seconds: int | None) -> str:
        """A whole Set-Cookie header value; the token is URL-safe base64, so it needs no quoting."""
        return f"{name}={value}; {self.attributes(max_age_seconds, self._domain_of(name))}"

    def clear_cookie_header(self, name: str) -> str:
        """A Set-Cookie header value that removes the cookie `name`."""
        return self.set_cookie_header(name, "", 0)


def cookie_policy(settings: Settings) -> CookiePolicy:
    """Secure everywhere but plain http (development, or a production APP_URL on this machine)."""
    return CookiePolicy(secure=settings.base_url.startswith("https://"), domain=settings.cookie_domain)


def read_cookie(cookie_header: str | None, name: str) -> str | None:
    """The value of cookie `name` in a Cookie request header, or None when it is absent or sent more than once (no
    parsing beyond `a=b; c=d`)."""
    values = []
    for pair in (cookie_header or "").split(";"):
        key, separator, value = pair.strip().partition("=")
        if separator and key == name:
            values.append(value.strip().strip('"'))
    return values[0] or None if len(values) == 1 else None


# Where the websocket's handshake leaves the browser's credentials for the app (api/socket_path.py takes the Cookie
# header out of the ASGI scope before Reflex copies the scope's headers into state it stores).
HANDSHAKE_SCOPE_KEY = "sms2fa.credentials"


@dataclass(frozen=True)
class BrowserCredentials:
    """The digests of the tokens a browser's cookies carried (None: that cookie was absent or could not be one)."""

    session: TokenDigest | None = None
    device: TokenDigest | None = None


NO_CREDENTIALS = BrowserCredentials()


def browser_credentials(cookie_header: str | None, policy: CookiePolicy) -> BrowserCredentials:
    """The digests of the session and remembered-device cookies in a Cookie header."""
    return BrowserCredentials(session_digest(cookie_header, policy), device_digest(cookie_header, policy))


def session_digest(cookie_header: str | None, policy: CookiePolicy) -> TokenDigest | None:
    """The digest of the session token in a Cookie header, or None when there is none that could be one."""
    return TokenDigest.of_issued(read_cookie(cookie_header, policy.session_name))


def device_digest(cookie_header: str | None, policy: CookiePolicy) -> TokenDigest | None:
    """The digest of the remembered-device token in a Cookie header, or None."""
    return TokenDigest.of_issued(read_cookie(cookie_header, policy.device_name))
