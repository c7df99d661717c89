"""The main flows in Chromium through nginx, under its Content-Security-Policy (the `page` fixture fails a test
whose page had any CSP violation), and what nginx shows the world: security headers, health, no metrics, no
query strings in its access log."""

from __future__ import annotations

import re
import urllib.request
from email.message import Message

import redis
from playwright.sync_api import Page

from scripts.stack import Stack
from scripts.stack_parts import answers
from sms2fa_app.backend.identity.session_cookie import cookie_policy
from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.support.plivo_server import LocalPlivo
from tests.support.smtp_server import LocalSmtp

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class AppRedis:
    """The app's Redis database, as the e2e helpers expect a Redis server (`.client()`)."""

    def __init__(self, stack: Stack) -> None:
        self._url = stack.redis.url(0)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self._url, decode_responses=True)


def headers_of(url: str) -> tuple[int, Message]:
    request = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def test_sign_up_enroll_log_out_and_log_in_with_the_texted_code(
    page: Page, stack: Stack, plivo: LocalPlivo, mail: LocalSmtp, backend: Services
) -> None:
    """The whole story through nginx and several workers: sign up (the address confirmed by the mailed link),
    enroll a phone, log out, log in with a code."""
    email, password = flows.sign_up(page, mail)
    e164 = flows.new_phone()
    flows.enroll(page, plivo, AppRedis(stack), e164, password)
    flows.done_with_recovery_codes(page)
    page.get_by_role("link", name="Back to dashboard").click()
    flows.log_out(page)
    sent = len(plivo.messages)
    flows.log_in_to_challenge(page, email, e164, password)
    flows.submit_code(page, flows.wait_for_code(plivo, e164, after=sent))
    flows.expect_dashboard(page, email)
    # The session cookie, set through nginx: HttpOnly, SameSite=Lax, and Secure exactly where the site is https.
    policy = cookie_policy(backend.settings)
    cookie = next(cookie for cookie in page.context.cookies() if cookie["name"] == policy.session_name)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["secure"] == policy.secure
    page.reload()  # a socket on any worker is signed in by the cookie its handshake carries
    flows.expect_dashboard(page, email)


def test_security_headers_on_every_kind_of_answer(stack: Stack) -> None:
    """Pages, assets, the backend's answers and errors all carry the headers; the CSP forbids framing, eval and
    inline scripts other than the build's own (by hash)."""
    with urllib.request.urlopen(f"{stack.url}/login", timeout=10) as response:
        html = response.read().decode()
    asset = re.search(r'"(/assets/[^"]+\.js)"', html)
    assert asset is not None, "no script asset in the login page"
    urls = [f"{stack.url}/login", f"{stack.url}{asset.group(1)}", f"{stack.url}/healthz"]
    urls += [f"{stack.url}/readyz", f"{stack.url}/no-such-page", f"{stack.url}/metrics"]
    for url in urls:
        status, headers = headers_of(url)
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name) == value, f"{url} ({status}): {name} is {headers.get(name)!r}"
        policy = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, f"{url}: {policy!r}"
        script_src = re.search(r"script-src ([^;]*)", policy)
        assert script_src is not None and "'sha256-" in script_src.group(1), policy
        assert "unsafe-inline" not in script_src.group(1) and "unsafe-eval" not in policy, policy


def test_health_through_the_proxy_and_metrics_only_on_the_workers_with_the_token(stack: Stack) -> None:
    assert answers(f"{stack.url}/healthz") == 200
    assert answers(f"{stack.url}/readyz") == 200
    assert answers(f"{stack.url}/metrics") == 404  # never public
    for worker in stack.backends:
        assert answers(f"{worker.url}/metrics") == 401
        request = urllib.request.Request(
            f"{worker.url}/metrics", headers={"Authorization": f"Bearer {stack.metrics_token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert "sms2fa_texts_total" in response.read().decode()


def test_the_access_log_keeps_no_query_string(stack: Stack, backend: Services) -> None:
    """The websocket's URL carries the tab id in its query string: the access log has the path only."""
    log = stack.nginx.access_log.read_text()
    assert '"GET /_event/ HTTP/1.1" 101' in log, "no websocket was logged (the flows ran before this test)"
    assert "?" not in log and "token=" not in log and "EIO=" not in log
