"""The session credential lives in an HttpOnly cookie that no script of the page can read, and a page of another
site cannot open a signed-in websocket with it (cross-site WebSocket hijacking)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from websockets.exceptions import InvalidStatus

from sms2fa_app.backend.services import Services
from sms2fa_app.reflex_adapter import hydrate_event_name
from sms2fa_app.state.session import SessionState
from tests.e2e import flows
from tests.e2e.conftest import RunningApp
from tests.e2e.test_account_flows import expect_dashboard, log_in, new_email, wait_until
from tests.e2e.test_tab_replay import to_login
from tests.support.factories import PASSWORD, create_user
from tests.support.reflex_client import ReflexClient, handler_name

SESSION_COOKIE = "sms2fa_session"  # plain http on localhost: no __Host- prefix (backend/identity/session_cookie.py)


def session_cookie(page: Page) -> dict:
    """The browser's session cookie, as the browser keeps it."""
    found = [cookie for cookie in page.context.cookies() if cookie["name"] == SESSION_COOKIE]
    assert found, f"no {SESSION_COOKIE} cookie after signing in: {[c['name'] for c in page.context.cookies()]}"
    return found[0]


def credential_cookies(page: Page) -> list[dict]:
    return [cookie for cookie in page.context.cookies() if cookie["name"] in (SESSION_COOKIE, "sms2fa_device")]


def readable_by_scripts(page: Page) -> str:
    """Everything a script of the page can read of its storage: localStorage, sessionStorage, document.cookie."""
    return page.evaluate(
        "() => JSON.stringify({local: {...localStorage}, session: {...sessionStorage}, cookie: document.cookie})"
    )


def test_no_script_of_the_page_can_read_the_session_token(page: Page, app: RunningApp, backend: Services) -> None:
    email = new_email()
    create_user(backend, email)
    log_in(page, email)
    expect_dashboard(page, email)
    readable = readable_by_scripts(page)
    assert "sms2fa_session" not in readable and "sms2fa_device" not in readable, readable

    cookie = session_cookie(page)
    assert backend.sessions.resolve(cookie["value"]) is not None, "the cookie is not the signed-in session's token"
    assert cookie["value"] not in readable
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["secure"]  # plain http on localhost; tests/stack asserts Secure behind https

    page.reload()  # a new websocket: signed in by the cookie its handshake carries
    expect_dashboard(page, email)

    flows.log_out(page)
    wait_until(page, lambda: not credential_cookies(page))  # the page asked the endpoint to clear it
    assert backend.sessions.resolve(cookie["value"]) is None  # and the session ended on the server at once


def test_a_token_left_in_local_storage_by_the_old_app_is_removed_and_signs_nobody_in(
    page: Page, app: RunningApp, backend: Services
) -> None:
    """A browser that signed in before the cookie (its token in localStorage) is signed out once, cleanly, and that
    session ends on the server: a copy of the old token signs nobody in either."""
    email = new_email()
    create_user(backend, email)
    token = backend.accounts.log_in(email, PASSWORD).issued.token
    page.goto("/login")
    page.evaluate("(token) => localStorage.setItem('sms2fa_session', token)", token)
    page.evaluate("() => localStorage.setItem('sms2fa_device', 'an-old-device-token')")
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=|/login$"))
    wait_until(page, lambda: "sms2fa_" not in readable_by_scripts(page))
    expect(page.get_by_role("alert")).to_have_count(0)
    assert not credential_cookies(page)
    wait_until(page, lambda: backend.sessions.resolve(token) is None)


def test_the_login_returns_to_rd_once_the_cookie_is_set(page: Page, app: RunningApp, backend: Services) -> None:
    """forward-auth's `rd` (here a page of the app's own host, which APP_URL names): a full page load there,
    after the ticket was traded, finds the cookie and is signed in."""
    email = new_email()
    create_user(backend, email)
    page.goto(f"/login?rd={quote(app.url + '/activity', safe='')}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/activity/?$"))
    assert backend.sessions.resolve(session_cookie(page)["value"]) is not None
    expect(page.get_by_role("heading", name="Security activity")).to_be_visible()


# The SessionCookie component's props, found in React's fiber tree (it renders nothing, so no element carries them).
SESSION_COOKIE_PROPS = """() => {
  const rootKey = (node) => node && Object.keys(node).find((key) => key.startsWith("__reactContainer$"));
  const containers = [document, document.documentElement, document.body, document.getElementById("root")];
  const container = containers.find(rootKey);
  if (!container) return "no React root";
  const pending = [container[rootKey(container)]];
  while (pending.length) {
    const fiber = pending.pop();
    if (!fiber) continue;
    const props = fiber.memoizedProps;
    if (props && typeof props === "object" && "ticket" in props && "returnTo" in props) return {ticket: props.ticket};
    pending.push(fiber.child, fiber.sibling);
  }
  return null;
}"""


def test_the_page_keeps_no_ticket_once_it_is_posted(page: Page, app: RunningApp, backend: Services) -> None:
    email = new_email()
    create_user(backend, email)
    tickets: list[str] = []
    page.on("request", lambda request: request.url.endswith("/api/session/cookie") and tickets.append("posted"))
    log_in(page, email)
    expect_dashboard(page, email)
    assert tickets, "the sign-in posted no ticket"
    held: list[object] = []
    try:
        wait_until(page, lambda: held.append(page.evaluate(SESSION_COOKIE_PROPS)) or held[-1] == {"ticket": ""})
    except AssertionError:
        raise AssertionError(f"the page still holds its used ticket: {str(held[-1])[:40]}") from None


def signed_in_over_socket(app: RunningApp, origin: str, cookie: str) -> bool:
    """Whether a websocket opened as a page at `origin` (with the user's cookie) reaches the dashboard."""
    headers = {"Origin": origin, "Cookie": f"{SESSION_COOKIE}={cookie}"}
    try:
        with ReflexClient(app.url, headers=headers) as client:
            client.call(hydrate_event_name(), {"vars": {}}, path="/dashboard")
            update = client.call(handler_name(SessionState, "require_authenticated"), path="/dashboard")
            return not to_login(update)
    except (InvalidStatus, ConnectionError):
        return False  # the handshake was refused


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost.evil.example"])
def test_a_socket_from_another_site_gets_no_signed_in_state(
    page: Page, app: RunningApp, backend: Services, origin: str
) -> None:
    email = new_email()
    create_user(backend, email)
    log_in(page, email)
    expect_dashboard(page, email)
    cookie = session_cookie(page)["value"]

    assert not signed_in_over_socket(app, origin, cookie), f"a page at {origin} opened a signed-in socket"
    assert signed_in_over_socket(app, app.url, cookie)  # the app's own page, with the same cookie, is signed in
