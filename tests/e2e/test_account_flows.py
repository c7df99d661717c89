"""Sign-up, log-in, log-out and the guards, the way a person meets them in Chromium.

Elements are found by their labels and roles: if a test cannot find a control by name, neither can a screen reader.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.support.browser_capture import BrowserCapture
from tests.support.factories import PASSWORD, create_user
from tests.support.smtp_server import LocalSmtp

DASHBOARD = re.compile(r"/dashboard/?$")
LOGIN = re.compile(r"/login/?(\?.*)?$")  # the guard may add ?next=...


def new_email() -> str:
    """An address no other test uses (the app server lives for the whole session)."""
    return f"e2e-{secrets.token_hex(5)}@example.com"


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill and submit the login form."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def wait_until(page: Page, condition: Callable[[], bool], timeout_ms: int = 10_000) -> None:
    """Let the page run (and its events arrive) until `condition` holds."""
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    assert condition(), "timed out waiting for the page"


def expect_dashboard(page: Page, email: str) -> None:
    """On the dashboard, signed in as `email`."""
    expect(page).to_have_url(DASHBOARD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()


def test_sign_up_log_out_and_log_in_again(page: Page, mail: LocalSmtp, capture: BrowserCapture) -> None:
    """A new account confirms its address by the mailed link, lands on the dashboard, logs out, and logs back in
    with its password."""
    email = new_email()
    password = f"pw-{secrets.token_hex(8)}"
    page.goto("/signup")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Confirm password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Check your email to finish signing up.")).to_be_visible()
    flows.confirm_address(page, mail, email)
    log_in(page, email, password)
    expect_dashboard(page, email)
    capture.snapshot(page)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(LOGIN)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_text(email)).to_have_count(0)

    log_in(page, email, password)
    expect_dashboard(page, email)
    capture.snapshot(page)
    capture.assert_absent(password)  # the server never sends a password back


@pytest.mark.parametrize("who", ["wrong password", "unknown email"])
def test_failed_login_says_incorrect_email_or_password(page: Page, backend: Services, who: str) -> None:
    """Wrong password and unknown account get one message; the user stays on the login page and can retry."""
    email = new_email()
    create_user(backend, email)
    if who == "wrong password":
        log_in(page, email, "not-the-password")
    else:
        log_in(page, new_email())
    expect(page.get_by_role("alert")).to_have_attribute("data-message-id", flows.INVALID_CREDENTIALS)
    expect(page).to_have_url(LOGIN)
    audit(page, "log in, incorrect email or password")
    log_in(page, email)
    expect_dashboard(page, email)


def test_a_login_error_does_not_follow_the_user_to_a_new_visit(page: Page) -> None:
    """An old failure is not shown again when the user comes back to the login page later."""
    log_in(page, new_email())
    expect(page.get_by_role("alert")).to_be_visible()
    page.goto("/signup")
    expect(page.get_by_role("button", name="Create account")).to_be_visible()
    page.goto("/login")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.wait_for_timeout(1000)  # let the state arrive over the websocket
    expect(page.get_by_role("alert")).to_have_count(0, timeout=2000)


def test_dashboard_without_a_session_goes_to_login(page: Page) -> None:
    """The server-side guard sends a visitor without a session to the login page."""
    page.goto("/dashboard")
    expect(page).to_have_url(LOGIN)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_back_button_after_logout_shows_nothing_private(page: Page, backend: Services, capture: BrowserCapture) -> None:
    """After logging out, going back to the dashboard neither shows nor receives the account's email."""
    email = new_email()
    create_user(backend, email)
    log_in(page, email)
    expect_dashboard(page, email)
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(LOGIN)
    frames_after_logout, urls_after_logout = len(capture.frames), len(capture.navigations)

    page.go_back()
    wait_until(page, lambda: any(DASHBOARD.search(url) for url in capture.navigations[urls_after_logout:]))
    expect(page).to_have_url(LOGIN)  # the server-side guard sent us away again
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_text(email)).to_have_count(0)
    capture.snapshot(page)
    capture.assert_absent(email, frames_from=frames_after_logout)
