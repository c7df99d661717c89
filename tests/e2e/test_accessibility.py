"""Issue 12, part 1, in Chromium: where the focus goes, how a form shows its errors, and the brand (icons, link
preview, the 404 page) with a console free of errors.

Every state here is also audited (tests/e2e/audit.py): axe-core in light and dark mode, screenshots.
"""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.e2e.conftest import RunningApp
from tests.e2e.test_email_flows import with_authenticator_and_codes
from tests.support.browser_capture import BrowserCapture
from tests.support.plivo_server import LocalPlivo

pytestmark = pytest.mark.e2e

PUBLIC_PAGES = ["/", "/login", "/signup", "/forgot-password", "/reset-password", "/verify-email"]
BRAND_FILES = {
    "/favicon.ico": "image/",
    "/favicon.svg": "image/svg+xml",
    "/apple-touch-icon.png": "image/png",
    "/logo.svg": "image/svg+xml",
    "/og-image.png": "image/png",
}


def focused_id(page: Page) -> str:
    """The id of the focused element ('' for <body>)."""
    return page.evaluate("() => document.activeElement ? document.activeElement.id : ''")


def console_errors(capture: BrowserCapture) -> list[str]:
    return [line for line in capture.console if line.startswith(("error:", "pageerror:"))]


# ---- the brand ----------------------------------------------------------------------------------------


def test_every_public_page_loads_without_a_console_error(page: Page, capture: BrowserCapture) -> None:
    """No 404 for an icon, no script error: the console stays clean on each page a visitor may open first. (An
    unknown address answers 404 itself, which Chromium logs: its test checks that nothing else failed.)"""
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    for path in PUBLIC_PAGES:
        page.goto(path)
        expect(page.get_by_role("link", name="sms2fa")).to_be_visible()
        page.wait_for_load_state("networkidle")
        audit(page, f"{path} on arrival")
    assert failed == []
    assert console_errors(capture) == []


def test_icons_logo_and_link_preview_are_served(page: Page, app: RunningApp) -> None:
    """The head names the icons and an absolute og:image from APP_URL; each file is there, with its type."""
    for path, kind in BRAND_FILES.items():
        with urllib.request.urlopen(app.url + path, timeout=5) as response:
            assert response.status == 200 and response.headers["Content-Type"].startswith(kind), path
            assert len(response.read()) > 200, path
    page.goto("/login")
    head = page.locator("head")
    expect(head.locator('link[rel="icon"][href="/favicon.svg"]')).to_have_count(1)
    expect(head.locator('link[rel="apple-touch-icon"][href="/apple-touch-icon.png"]')).to_have_count(1)
    expect(head.locator('meta[name="description"]')).to_have_attribute("content", re.compile(r"^Sign in with"))
    expect(head.locator('meta[property="og:image"]')).to_have_attribute(
        "content", app.environment["APP_URL"] + "/og-image.png"
    )
    logo = page.get_by_role("banner").get_by_role("img", name="sms2fa")
    expect(logo).to_have_attribute("src", "/logo.svg")
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", logo.element_handle())
    expect(page.get_by_role("heading", level=1)).to_have_count(1)  # the wordmark is no heading
    expect(page.get_by_role("main")).to_have_count(1)


def test_an_unknown_address_gets_the_styled_404_page_with_a_way_home(page: Page, app: RunningApp) -> None:
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.goto("/no-such-page")
    expect(page.get_by_role("heading", level=1, name="Page not found")).to_be_visible()
    expect(page).to_have_title("Page not found · sms2fa")
    audit(page, "page not found")
    page.wait_for_load_state("networkidle")
    assert failed == [f"{app.url}/no-such-page"]  # the page itself says 404; its icons and scripts load
    page.get_by_role("link", name="Go to the home page").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


# ---- focus ---------------------------------------------------------------------------------------------


def test_the_first_field_has_the_focus_on_login_and_signup(page: Page) -> None:
    page.goto("/login")
    expect(page.get_by_label("Email")).to_be_focused()
    page.goto("/signup")
    expect(page.get_by_label("Email")).to_be_focused()
    log_in_instead = page.get_by_role("link", name="Log in instead")
    expect(log_in_instead).to_have_css("text-decoration-line", "underline")
    log_in_instead.click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_the_focus_follows_each_switch_of_factor_and_the_resend(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """On the challenge, the focus lands on the new field after every switch and after "Resend code"."""
    email, e164 = flows.seeded_account(backend)
    totp, _codes = with_authenticator_and_codes(backend, email)
    flows.log_in_to_challenge(page, email, e164)
    code = page.get_by_label("Verification code")
    expect(code).to_be_focused()

    page.get_by_role("button", name="Use my authenticator app").click()
    expect(page.get_by_text(flows.TOTP_PROMPT)).to_be_visible()
    expect(code).to_be_focused()
    page.get_by_role("button", name="Use a recovery code").click()
    expect(page.get_by_text(flows.RECOVERY_PROMPT)).to_be_visible()
    expect(page.get_by_label("Recovery code")).to_be_focused()
    page.get_by_role("button", name="Text me a code").click()
    expect(code).to_be_focused()

    resend = page.get_by_role("button", name="Resend code", exact=True)
    expect(resend).to_be_enabled()  # after the 3-second cooldown of these tests
    resend.click()
    new_code = flows.wait_for_code(sms, e164, after=1)
    expect(flows.said(page, flows.CODE_SENT)).to_contain_text(e164[-4:])
    expect(code).to_be_focused()
    assert focused_id(page) == "field-code"
    flows.submit_code(page, new_code)
    flows.expect_dashboard(page, email)

    flows.open_settings(page)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_label("Password", exact=True)).to_be_focused()  # the step opens on its first field
    audit(page, "re-authentication for a new password")
    page.get_by_role("button", name="Use a recovery code").click()
    expect(page.get_by_label("Recovery code")).to_be_focused()
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    assert totp.now()  # the app stays offered


# ---- form errors ---------------------------------------------------------------------------------------


def test_a_field_in_error_is_marked_focused_and_cleared_when_edited(page: Page) -> None:
    """Only the app's message shows (no browser bubble for a malformed address); the field is aria-invalid,
    described by its message and focused; editing it clears both."""
    page.goto("/signup")
    email = page.get_by_label("Email")
    email.fill("not-an-address")
    page.get_by_label("Password", exact=True).fill("a long enough passphrase")
    page.get_by_label("Confirm password").fill("a long enough passphrase")
    page.get_by_label("Confirm password").press("Enter")  # the Enter key submits too, without browser validation

    message = page.locator("#field-email-error")
    expect(message).to_be_visible()
    expect(message).to_have_attribute("role", "alert")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", "field-email-error")
    expect(email).to_be_focused()
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "false")
    audit(page, "sign up, a field in error")

    email.press("End")
    email.type("@example.com")
    expect(message).to_be_hidden()
    expect(email).to_have_attribute("aria-invalid", "false")

    email.fill("still-not-an-address")
    page.get_by_role("button", name="Create account").click()  # the same answer shows again
    expect(message).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
