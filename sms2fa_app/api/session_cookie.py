"""POST /api/session/cookie: the page trades the ticket its websocket just received for its credential cookies.

Only a plain HTTP answer can set an HttpOnly cookie, and only this endpoint sets or clears the app's (names and
flags: backend/identity/session_cookie.py). The body is the ticket (backend/identity/cookie_tickets.py), nothing
else; the answer is 204 with the Set-Cookie headers the ticket grants. A request whose Origin is not the app's
own page is refused before the ticket is looked at, so a page on another site can neither set nor clear them.

One other kind of body: `legacy-session:<token>`, posted once by a page that still finds the session token the app
kept in localStorage before the cookie (components/session_cookie.js). It ends that session on the server (the page
then deletes the key), so a token copied from the old storage stops working; it sets no cookie.

In development the page (:3000) and the backend (:8000) are different origins of the same site: the answer carries
CORS headers for exactly the app's page origins, with credentials, and nothing for any other origin.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sms2fa_app.backend.identity.cookie_tickets import MAX_TICKET_LENGTH, CookieGrant
from sms2fa_app.backend.identity.session_cookie import CookiePolicy, cookie_policy, session_digest
from sms2fa_app.backend.infra.crypto import TokenDigest
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.services import get_services
from sms2fa_app.config import Settings
from sms2fa_app.config_fields import is_loopback_host
from sms2fa_app.reflex_adapter import frontend_url

COOKIE_ENDPOINT_PATH = "/api/session/cookie"
LEGACY_SESSION_KIND = "legacy-session:"  # components/session_cookie.js sends the same prefix
DAY_SECONDS = 86400
LOOPBACK_NAMES = ("localhost", "127.0.0.1")

log = logging.getLogger("sms2fa.api")


def origin_of(url: str | None) -> str:
    """scheme://host[:port] of a URL, lower-cased ("" for none)."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def _normalised_origin(url: str | None) -> str:
    """origin_of `url` without its scheme's default port ("" for none or a port that is no number)."""
    parts = urlsplit(url or "")
    try:
        port = parts.port
    except ValueError:
        return ""
    if not parts.scheme or not parts.hostname:
        return ""
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    suffix = f":{port}" if port is not None and port != default else ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{suffix}".lower()


def page_origins(settings: Settings, frontend: str | None = None) -> frozenset[str]:
    """The origins the app's own pages are served from: APP_URL's and Reflex's frontend URL (the development
    frontend, or a test's port on this machine). In production the frontend counts only when it is APP_URL's whole
    origin (scheme, host, port), or APP_URL is on this machine: never Reflex's default http://localhost:3000, nor
    an http or other-port twin of the real host. On plain-http loopback, `localhost` and `127.0.0.1` name the same
    page."""
    app_origin = origin_of(settings.base_url)
    origins = {app_origin}
    frontend_origin = _normalised_origin(frontend)
    app_on_this_machine = is_loopback_host(urlsplit(settings.base_url).hostname)
    if frontend_origin and (not settings.is_production or app_on_this_machine):
        origins.add(frontend_origin)
    for origin in list(origins):
        parts = urlsplit(origin)
        if parts.scheme == "http" and is_loopback_host(parts.hostname):
            port = f":{parts.port}" if parts.port else ""
            origins.update(f"http://{name}{port}" for name in LOOPBACK_NAMES)
    return frozenset(origins)


def app_page_origins() -> frozenset[str]:
    """page_origins of the running app (settings and Reflex's configured frontend URL)."""
    return page_origins(get_services().settings, frontend_url())


def grant_cookies(grant: CookieGrant, request_cookies: str | None, settings: Settings) -> list[str]:
    """The Set-Cookie header values a redeemed ticket grants. The session cookie lives as long as a session may
    (the server ends it sooner when idle, signed out or revoked); the device cookie as long as the device is
    remembered. An ended session's cookie is dropped only while it is still that session's: another tab may have
    signed in since."""
    policy = cookie_policy(settings)
    headers = []
    if grant.session_token:
        session_seconds = settings.session_absolute_seconds
        headers.append(policy.set_cookie_header(policy.session_name, grant.session_token, session_seconds))
    elif grant.clear_session and _holds(request_cookies, policy, grant.clear_session):
        headers.append(policy.clear_cookie_header(policy.session_name))
    if grant.device_token:
        device_seconds = settings.remember_device_days * DAY_SECONDS
        headers.append(policy.set_cookie_header(policy.device_name, grant.device_token, device_seconds))
    return headers


def _holds(request_cookies: str | None, policy: CookiePolicy, digest_hex: str) -> bool:
    found = session_digest(request_cookies, policy)
    return found is None or found.hex == digest_hex


def _cors(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
        "Cache-Control": "no-store",
    }


def _answer(status: int, origin: str, set_cookies: Iterable[str] = ()) -> Response:
    response = Response(status_code=status, headers=_cors(origin))
    for value in set_cookies:
        response.headers.append("set-cookie", value)
    return response


async def _body(request: Request, limit: int) -> str | None:
    """The request body as text, or None when it is longer than `limit` bytes or not UTF-8."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    try:
        return body.decode().strip()
    except UnicodeDecodeError:
        return None


async def cookie_exchange(request: Request) -> Response:
    """Redeem the ticket in the body: 204 with its cookies; 400 for a ticket that is forged, used or expired; 403
    for a request from any page but the app's; 503 when the ticket store does not answer."""
    origin = request.headers.get("origin", "")
    if origin.lower() not in app_page_origins():
        log_event(log, logging.WARNING, "cookie_exchange_refused", reason="origin", origin=origin[:80])
        return Response(status_code=403, headers={"Cache-Control": "no-store"})
    if request.method == "OPTIONS":  # a preflight (the page sends text/plain, so browsers send none)
        return Response(status_code=204, headers={**_cors(origin), "Access-Control-Allow-Methods": "POST"})
    ticket = await _body(request, MAX_TICKET_LENGTH)
    services = get_services()
    if ticket is not None and ticket.startswith(LEGACY_SESSION_KIND):
        return await _end_legacy_session(ticket.removeprefix(LEGACY_SESSION_KIND), origin)
    try:
        grant = await run_in_threadpool(services.cookie_tickets.redeem, ticket)
    except ServiceUnavailable:
        log_event(log, logging.WARNING, "cookie_exchange_failed", reason="unavailable")
        return _answer(503, origin)
    if grant is None:
        log_event(log, logging.WARNING, "cookie_exchange_refused", reason="ticket")
        return _answer(400, origin)
    return _answer(204, origin, grant_cookies(grant, request.headers.get("cookie"), services.settings))


async def _end_legacy_session(token: str, origin: str) -> Response:
    """End the session of a token the old app kept in localStorage: 204 whether or not it was still alive (the page
    forgets it either way), 400 for what cannot be a token, 503 when the database does not answer."""
    if TokenDigest.of(token) is None:
        return _answer(400, origin)
    try:
        await run_in_threadpool(get_services().sessions.end, token)
    except ServiceUnavailable:
        log_event(log, logging.WARNING, "legacy_session_end_failed", reason="unavailable")
        return _answer(503, origin)
    log_event(log, logging.INFO, "legacy_session_ended")
    return _answer(204, origin)
