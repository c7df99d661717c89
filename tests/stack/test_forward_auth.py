"""Forward-auth through the stack's real proxies, each test once per proxy: nginx's second server puts
tests/support/echo_upstream.py behind `auth_request` (deploy/nginx/sms2fa-forward-auth.conf and
sms2fa-auth-request.conf, the copy-paste snippets), and Caddy, when installed, puts the same app behind
`forward_auth` (deploy/caddy/sms2fa-forward-auth.caddy); the rules are scripts/stack.py's PROTECTED_APP_RULES.

Sessions are made through the backend on the stack's PostgreSQL and Redis and their cookie sent by hand (the browser
gets it from the app once the cookie exchange of issue 22 §1 lands; the Chromium walk upstream → login → code → back
is left for then).
"""

from __future__ import annotations

import http.client
import json
import secrets
import socket
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from scripts.stack import Stack
from sms2fa_app.backend.assurance import BY_PASSWORD, Amr
from sms2fa_app.backend.identity.session_cookie import cookie_policy
from sms2fa_app.backend.services import Services
from tests.support.browser import under_ci
from tests.support.factories import create_user

TWO_FACTORS = (Amr.PWD, Amr.SMS)


class Answer:
    """What nginx answered: status, headers, and the upstream's echo when it got that far."""

    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = response.headers
        body = response.read()
        self.echo: dict[str, Any] = json.loads(body) if response.getheader("content-type") == "application/json" else {}

    def seen(self, name: str) -> list[str]:
        """The values of header `name` the upstream received (an empty one, as Caddy copies it, is none)."""
        return [value for value in self.echo.get("headers", {}).get(name.lower(), []) if value]


class Proxy:
    """One proxy in front of the protected app: its port, and the app's address through it."""

    def __init__(self, name: str, port: int):
        self.name, self.port = name, port
        self.url = f"http://localhost:{port}"


@pytest.fixture(params=["nginx", "caddy"])
def proxy(request: pytest.FixtureRequest, stack: Stack) -> Proxy:
    if request.param == "nginx":
        return Proxy("nginx", stack.protected_port)
    if stack.caddy is None:
        if under_ci():
            pytest.fail("CI=true: the Caddy variant must run, but /usr/bin/caddy is missing", pytrace=False)
        pytest.skip("caddy is not installed (apt-get install caddy)")
    return Proxy("caddy", stack.caddy.port)


def ask(proxy: Proxy, path: str, headers: dict[str, str] | None = None) -> Answer:
    """A GET to the protected app through the proxy (Host: localhost:<port> unless `headers` says otherwise)."""
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": f"localhost:{proxy.port}", **(headers or {})})
        return Answer(connection.getresponse())
    finally:
        connection.close()


def session_cookie(stack: Stack, backend: Services, token: str) -> dict[str, str]:
    return {"Cookie": f"{cookie_policy(backend.settings).session_name}={token}"}


def new_session(backend: Services, methods: tuple[Amr, ...], *, phone: bool = True) -> tuple[int, str, str]:
    """A new account and a session of it: (user id, address, token)."""
    email = f"fa-{secrets.token_hex(4)}@example.com"
    number = f"+1650{secrets.randbelow(10**7):07d}" if phone else None
    user = create_user(backend, email, phone=number)
    return int(user.id or 0), email, backend.sessions.create(int(user.id or 0), methods).token


def login_redirect(stack: Stack, original: str) -> str:
    return f"{stack.url}/login?rd={quote(original, safe='')}"


def test_a_two_factor_session_reaches_the_upstream_named(stack: Stack, proxy: Proxy, backend: Services) -> None:
    user_id, email, token = new_session(backend, TWO_FACTORS)
    answer = ask(proxy, "/wiki?page=1", session_cookie(stack, backend, token))
    assert answer.status == 200, answer.headers
    assert answer.echo["path"] == "/wiki?page=1"
    assert answer.seen("Remote-User") == [str(user_id)] and answer.seen("Remote-Email") == [email]
    assert answer.seen("Remote-Amr") == ["pwd,sms,mfa"] and answer.seen("Remote-Name") == [email.split("@")[0]]


def test_the_upstream_never_sees_the_sms2fa_cookies(stack: Stack, proxy: Proxy, backend: Services) -> None:
    """The sms2fa session is the proxy's business: the app gets its own cookies, never a token it could replay."""
    _user_id, _email, token = new_session(backend, TWO_FACTORS)
    policy = cookie_policy(backend.settings)
    cookies = f"{policy.session_name}={token}; theme=dark; {policy.device_name}={'d' * 43}; lang=en"
    answer = ask(proxy, "/wiki", {"Cookie": cookies})
    assert answer.status == 200, answer.headers  # the verify request still got the session cookie
    [upstream_cookies] = answer.seen("Cookie")
    assert token not in upstream_cookies and "sms2fa_" not in upstream_cookies
    assert {part.strip() for part in upstream_cookies.split(";") if part.strip()} == {"theme=dark", "lang=en"}
    alone = ask(proxy, "/wiki", session_cookie(stack, backend, token))
    assert alone.status == 200 and alone.seen("Cookie") == []
    session, device = policy.session_name, policy.device_name
    planted = f"{session}=a; theme=dark; {session}=b; {device}=c; x{session}=d"  # three of ours: none may pass
    [open_page_cookies] = ask(proxy, "/public/x", {"Cookie": planted}).seen("Cookie") or [""]
    assert f"{session}=" not in open_page_cookies.replace(f"x{session}=", "")


def test_a_password_only_session_is_sent_to_the_login_with_rd(stack: Stack, proxy: Proxy, backend: Services) -> None:
    _user_id, _email, token = new_session(backend, BY_PASSWORD, phone=False)
    answer = ask(proxy, "/wiki?page=1", session_cookie(stack, backend, token))
    assert answer.status == 302 and not answer.echo
    assert answer.headers["Location"] == login_redirect(stack, f"{proxy.url}/wiki?page=1")
    assert ask(proxy, "/one-factor/x", session_cookie(stack, backend, token)).status == 200  # its rule asks less
    assert ask(proxy, "/wiki").headers["Location"] == login_redirect(stack, f"{proxy.url}/wiki")  # nobody


def test_logging_out_refuses_the_very_next_request(stack: Stack, proxy: Proxy, backend: Services) -> None:
    _user_id, _email, token = new_session(backend, TWO_FACTORS)
    cookie = session_cookie(stack, backend, token)
    assert ask(proxy, "/wiki", cookie).status == 200
    assert ask(proxy, "/wiki", cookie).status == 200  # from the cache now
    backend.sessions.end(token)
    answer = ask(proxy, "/wiki", cookie)
    assert answer.status == 302 and answer.headers["Location"].startswith(f"{stack.url}/login?rd=")


def test_signing_out_everywhere_refuses_every_session_at_once(stack: Stack, proxy: Proxy, backend: Services) -> None:
    user_id, _email, token = new_session(backend, TWO_FACTORS)
    other = backend.sessions.create(user_id, TWO_FACTORS).token
    for each in (token, other):
        assert ask(proxy, "/wiki", session_cookie(stack, backend, each)).status == 200
    backend.sessions.end_all_for_user(user_id)
    for each in (token, other):
        assert ask(proxy, "/wiki", session_cookie(stack, backend, each)).status == 302


@pytest.mark.parametrize("spelling", ["Remote-User", "remote-user", "REMOTE-USER"])
def test_identity_headers_sent_by_the_client_are_replaced(
    stack: Stack, proxy: Proxy, backend: Services, spelling: str
) -> None:
    forged = {spelling: "admin", "Remote-Email": "admin@example.com", "Remote-Amr": "hwk,mfa"}
    bypassed = ask(proxy, "/public/readme", forged)
    assert bypassed.status == 200
    assert (
        bypassed.seen("Remote-User") == [] and bypassed.seen("Remote-Email") == [] and bypassed.seen("Remote-Amr") == []
    )
    user_id, _email, token = new_session(backend, TWO_FACTORS)
    signed_in = ask(proxy, "/wiki", {**forged, **session_cookie(stack, backend, token)})
    assert signed_in.seen("Remote-User") == [str(user_id)] and signed_in.seen("Remote-Amr") == ["pwd,sms,mfa"]


@pytest.mark.parametrize("header", ["Remote_User", "Remote_Email", "Remote_Name", "Remote_Amr"])
def test_identity_headers_spelled_with_an_underscore_are_dropped(
    stack: Stack, proxy: Proxy, backend: Services, header: str
) -> None:
    """Many app servers (CGI, WSGI, PHP) read Remote_User as REMOTE_USER, the same as Remote-User."""
    assert ask(proxy, "/public/readme", {header: "admin"}).seen(header) == []
    _user_id, _email, token = new_session(backend, TWO_FACTORS)
    assert ask(proxy, "/wiki", {header: "admin", **session_cookie(stack, backend, token)}).seen(header) == []


def test_original_url_headers_sent_by_the_client_never_reach_the_upstream(proxy: Proxy) -> None:
    """Apps (IIS, Symfony, Zend) route by X-Original-URL or X-Rewrite-URL: the rules judged another path."""
    forged = {"X-Original-URL": "/admin/x", "X-Rewrite-URL": "/admin/x", "X-Forwarded-Uri": "/admin/x"}
    answer = ask(proxy, "/public/readme", {**forged, "X-Forwarded-Method": "DELETE"})
    assert answer.status == 200
    assert all(answer.seen(name) == [] for name in [*forged, "X-Forwarded-Method"]), answer.echo["headers"]


def raw_request(port: int, data: bytes) -> tuple[str, str]:
    """Bytes as sent (http.client cannot write a request in absolute form): the status line and the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(data)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    text = answer.decode(errors="replace")
    return text.partition("\r\n")[0], text


def test_a_request_in_absolute_form_is_judged_by_the_host_it_reaches(proxy: Proxy) -> None:
    """nginx picks the server by the request line's host, so the rules must read that host, not the Host header:
    `open.localhost` is open to all, `localhost` is not."""
    request = f"GET http://localhost:{proxy.port}/wiki HTTP/1.1\r\nHost: open.localhost\r\nConnection: close\r\n\r\n"
    status, answer = raw_request(proxy.port, request.encode())
    assert '"path"' not in answer and status.split()[1] in ("302", "421"), answer
    if status.split()[1] == "302":
        assert f"rd=http%3A%2F%2Flocalhost%3A{proxy.port}%2Fwiki" in answer, answer


@pytest.mark.parametrize("suffix", ["?", "#", ":{port}?", ":{port}#"])
def test_a_host_header_cannot_shift_the_path_out_of_the_rules_sight(
    stack: Stack, proxy: Proxy, backend: Services, suffix: str
) -> None:
    """`Host: localhost?` once made the original URL `http://localhost?/forbidden/x`: the rules read path `/`."""
    _user_id, _email, token = new_session(backend, TWO_FACTORS)
    host = "localhost" + suffix.format(port=proxy.port)
    answer = ask(proxy, "/forbidden/x", {"Host": host, **session_cookie(stack, backend, token)})
    assert answer.status in (400, 403, 421) and not answer.echo, answer.echo


def test_bypass_and_deny_rules(stack: Stack, proxy: Proxy, backend: Services) -> None:
    assert ask(proxy, "/public/logo.png").status == 200
    _user_id, _email, token = new_session(backend, TWO_FACTORS)
    denied = ask(proxy, "/forbidden/x", session_cookie(stack, backend, token))
    assert denied.status == 403 and not denied.echo and "Location" not in denied.headers
    assert ask(proxy, "/public/..%2fwiki").status == 302  # resolves outside the bypass prefix


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("evil.example", "/wiki"),
        ("localhost.evil.example", "/wiki"),
        ("evil.example:{port}", "/wiki"),
        ("localhost:{port}", "//evil.example/wiki"),
        ("localhost:{port}", "/wiki?rd=https://evil.example/"),
        ("localhost:{port}", "/%0d%0aSet-Cookie:%20pwned=1"),
        ("localhost:{port}", "/\\evil.example"),
    ],
)
def test_host_and_path_tricks_never_produce_a_foreign_return_address(
    stack: Stack, proxy: Proxy, host: str, path: str
) -> None:
    answer = ask(proxy, path, {"Host": host.format(port=proxy.port)})
    assert answer.status in (302, 400, 403, 421) and not answer.echo  # 421: nginx's default server, a foreign host
    assert "Set-Cookie" not in answer.headers
    location = answer.headers.get("Location")
    if location is not None:
        assert location.startswith(f"{stack.url}/login") and "\r" not in location and "\n" not in location
        returns = parse_qs(urlsplit(location).query).get("rd", [])
        assert all(urlsplit(rd).netloc == f"localhost:{proxy.port}" for rd in returns), location


def test_a_raw_crlf_in_the_request_line_is_refused(proxy: Proxy) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as raw:
        raw.sendall(b"GET /wiki\r\nSet-Cookie: pwned=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        head = raw.recv(4096).decode(errors="replace")
    assert "pwned" not in head and not head.startswith("HTTP/1.1 200"), head
