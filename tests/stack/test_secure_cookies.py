"""The credential cookies a browser gets over https, from the site shipped for real hosts (deploy/nginx/sms2fa.conf,
TLS terminated by nginx) in front of a backend worker whose APP_URL is https, after a sign-in with a texted code
and "Remember this device": host-only `__Host-` session and device cookies by default; with COOKIE_DOMAIN, the
session's `__Secure-` cookie with `Domain=COOKIE_DOMAIN` and the device cookie still `__Host-`; each one Secure,
HttpOnly, SameSite=Lax, Path=/ (backend/identity/session_cookie.py; its unit tests check the headers it writes).

The stack's own nginx speaks plain http, so this module builds the frontend once more for an https address and
serves it through its own nginx, on the stack's PostgreSQL and Redis, with one worker started per setting.
The host is auth.localhost: Chromium sends every *.localhost name to this machine, and a cookie may name it as
its Domain (a cookie for `localhost` itself may not name a domain)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Response

from scripts.frontend import build, write_csp_include
from scripts.stack import Stack
from scripts.stack_parts import Backend, free_port
from sms2fa_app.api.session_cookie import COOKIE_ENDPOINT_PATH
from sms2fa_app.backend.identity.session_cookie import DEVICE_COOKIE_BASE, SAME_SITE, SESSION_COOKIE_BASE
from sms2fa_app.backend.services import Services
from tests.e2e.test_results_ui import log_in_to_remember
from tests.stack.test_limits import new_phone
from tests.support.browser_suite import fresh_context
from tests.support.factories import create_user
from tests.support.plivo_server import LocalPlivo
from tests.support.tls_site import TlsSite
from tests.support.token_scan import cookie_tokens

TLS_HOST = "auth.localhost"
CREDENTIAL_COOKIE_BASES = (SESSION_COOKIE_BASE, DEVICE_COOKIE_BASE)


@dataclass
class SecureSite:
    """The https site: its address, the worker's settings and port, and where its files and logs go."""

    url: str
    project_dir: Path
    environment: dict[str, str]
    directory: Path
    backend_port: int

    @contextmanager
    def serving(self, **settings: str) -> Iterator[None]:
        """One backend worker with these settings added, behind the site's nginx, while the block runs."""
        environment = {**self.environment, **settings}
        log = self.directory / "backend.log"
        worker = Backend(0, self.project_dir, environment, log, port=self.backend_port)
        worker.start()
        try:
            worker.wait_ready()
            yield
        finally:
            worker.stop()


@pytest.fixture(scope="module")
def secure_site(stack: Stack) -> Iterator[SecureSite]:
    """The frontend built for https://auth.localhost:<port>, served by the shipped site's nginx over TLS."""
    directory = stack.root / "tls"
    directory.mkdir(mode=0o755)  # nginx's workers read the build from here
    backend_port = free_port()
    nginx = TlsSite(directory, directory / "web" / "build" / "client", backend_ports=(backend_port,))
    url = f"https://{TLS_HOST}:{nginx.https_port}"
    environment = {
        **stack.app_environment,
        "APP_URL": url,
        "WEBAUTHN_RP_ID": TLS_HOST,
        "WEBAUTHN_ORIGIN": url,
        "REFLEX_API_URL": url,
        "REFLEX_DEPLOY_URL": url,
        "REFLEX_REDIS_URL": stack.redis.url(2),  # its tabs' states apart from the stack's
        "REFLEX_STATES_WORKDIR": str(directory / "states"),
        "REFLEX_WEB_WORKDIR": str(directory / "web"),
        "DATA_DIR": str(directory / "data"),
    }
    client = build(stack.project_dir, directory / "web", url, environment, directory / "build.log")
    write_csp_include(client, directory / "csp.conf")
    nginx.start()
    try:
        yield SecureSite(url, stack.project_dir, environment, directory, backend_port)
    finally:
        nginx.stop()


def set_cookies_while(page: Page, sign_in: Callable[[], None]) -> list[str]:
    """The Set-Cookie headers of the page's trades of its tickets (the only answers that set the credential cookies)
    while `sign_in` (which asks to remember the device) runs and until both cookies are set, in order."""
    exchanges: list[Response] = []

    def note(answer: Response) -> None:
        if answer.url.endswith(COOKIE_ENDPOINT_PATH) and answer.request.method == "POST":
            exchanges.append(answer)

    def headers() -> list[str]:
        return [  # one answer may set both cookies; a browser may report them as one header, a line each
            line
            for answer in list(exchanges)
            for header in answer.headers_array()
            if header["name"].lower() == "set-cookie"
            for line in header["value"].split("\n")
            if line.strip()
        ]

    page.on("response", note)
    sign_in()
    # The dashboard may show before the second factor's trade (a new session cookie and the device cookie) has been
    # answered, and its answer may be reported a moment later: wait until the browser holds both credential cookies
    # and each was seen being set (or 15 s).
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        held = {str(cookie["name"]) for cookie in page.context.cookies()}
        credentials = {name for name in held if name.endswith(CREDENTIAL_COOKIE_BASES)}
        if len(credentials) == len(CREDENTIAL_COOKIE_BASES) and credentials <= {attributes(h)[0] for h in headers()}:
            break
        page.wait_for_timeout(200)
    return headers()


def attributes(set_cookie: str) -> tuple[str, set[str]]:
    """A Set-Cookie header's cookie name and its attributes (`Path=/`, `HttpOnly`, ...), Max-Age left out."""
    pair, *rest = (part.strip() for part in set_cookie.split(";"))
    return pair.partition("=")[0], {attribute for attribute in rest if not attribute.startswith("Max-Age=")}


def signed_in_over_https(
    browser: Browser, site: SecureSite, backend: Services, plivo: LocalPlivo, seen_tokens: set[str]
) -> tuple[dict[str, set[str]], dict[str, dict[str, Any]]]:
    """A new account with texted codes signs in through the https site, this browser remembered: each credential
    cookie's attributes as last set, and the cookies as the browser keeps them, by name."""
    email, phone = f"stack-tls-{secrets.token_hex(4)}@example.com", new_phone()
    create_user(backend, email, phone=phone)
    with fresh_context(browser, site.url, ignore_https_errors=True) as context:
        page = context.new_page()
        headers = set_cookies_while(page, lambda: log_in_to_remember(page, plivo, email, phone))
        cookies = [dict(cookie) for cookie in context.cookies()]
    seen_tokens.update(cookie_tokens(cookies))  # the whole suite's last check looks for them in every file
    return dict(attributes(header) for header in headers), {str(cookie["name"]): cookie for cookie in cookies}


def assert_secure_cookie(
    sent: dict[str, set[str]], kept: dict[str, dict[str, Any]], name: str, domain: str | None
) -> None:
    """The exchange set `name` Secure, HttpOnly, SameSite=Lax, Path=/, with `Domain=domain` (None: no Domain, this
    host only), and the browser kept it so (a domain cookie under `.domain`, its subdomains included)."""
    assert name in sent, sent
    expected = {"Path=/", "HttpOnly", "Secure", f"SameSite={SAME_SITE}", *([f"Domain={domain}"] if domain else [])}
    assert sent[name] == expected, sent[name]
    assert name in kept, list(kept)
    cookie = kept[name]
    assert (cookie["domain"], cookie["path"], cookie["secure"], cookie["httpOnly"], cookie["sameSite"]) == (
        f".{domain}" if domain else TLS_HOST,
        "/",
        True,
        True,
        SAME_SITE,
    )


def test_https_sign_in_gets_host_only_secure_cookies(
    browser: Browser, secure_site: SecureSite, backend: Services, plivo: LocalPlivo, seen_tokens: set[str]
) -> None:
    with secure_site.serving():
        sent, kept = signed_in_over_https(browser, secure_site, backend, plivo, seen_tokens)
    assert_secure_cookie(sent, kept, f"__Host-{SESSION_COOKIE_BASE}", domain=None)
    assert_secure_cookie(sent, kept, f"__Host-{DEVICE_COOKIE_BASE}", domain=None)
    credentials = [name for name in kept if name.endswith(CREDENTIAL_COOKIE_BASES)]
    assert sorted(credentials) == [f"__Host-{DEVICE_COOKIE_BASE}", f"__Host-{SESSION_COOKIE_BASE}"], credentials


def test_with_cookie_domain_only_the_session_cookie_names_it(
    browser: Browser, secure_site: SecureSite, backend: Services, plivo: LocalPlivo, seen_tokens: set[str]
) -> None:
    """COOKIE_DOMAIN shares the session with sibling hosts (`__Secure-`, Domain); the remembered-device cookie,
    which skips the second factor, stays with this host (`__Host-`)."""
    with secure_site.serving(COOKIE_DOMAIN=TLS_HOST):
        sent, kept = signed_in_over_https(browser, secure_site, backend, plivo, seen_tokens)
    assert_secure_cookie(sent, kept, f"__Secure-{SESSION_COOKIE_BASE}", domain=TLS_HOST)
    assert_secure_cookie(sent, kept, f"__Host-{DEVICE_COOKIE_BASE}", domain=None)
    credentials = [name for name in kept if name.endswith(CREDENTIAL_COOKIE_BASES)]
    assert sorted(credentials) == [f"__Host-{DEVICE_COOKIE_BASE}", f"__Secure-{SESSION_COOKIE_BASE}"], credentials
