"""Email as a way back and a way to warn (issue 11), the way a person meets it in Chromium.

Mails are read from the real SMTP test server (aiosmtpd), texts from the local Plivo. Each test uses its own
account and phone number; the activity page is checked at the end of each flow.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.e2e.conftest import RunningApp
from tests.support.browser_capture import BrowserCapture, whole_number_forms
from tests.support.factories import PASSWORD
from tests.support.plivo_server import LocalPlivo
from tests.support.smtp_server import LocalSmtp

pytestmark = pytest.mark.e2e

CHECK_EMAIL = "Check your email to finish signing up."
NEW_PASSWORD = "a fresh passphrase for e2e"


def fill_login(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def activity_lines(page: Page) -> list[str]:
    """Open the activity page and read its entries' first lines, newest first."""
    page.goto("/activity")
    expect(page.get_by_role("heading", name="Security activity")).to_be_visible()
    items = page.get_by_role("listitem")
    expect(items.first).to_be_visible()
    audit(page, "security activity")
    return [text.splitlines()[0].strip() for text in items.all_inner_texts()]


def sign_up_form(page: Page, email: str, password: str) -> None:
    page.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Confirm password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text(CHECK_EMAIL)).to_be_visible()


def with_authenticator_and_codes(backend: Services, email: str) -> tuple[pyotp.TOTP, list[str]]:
    """Give a seeded account an authenticator app and recovery codes (through the backend)."""
    user = backend.accounts.find_by_email(email)
    assert user is not None and user.id is not None
    codes = backend.recovery.generate(user.id)
    setup = backend.totp.begin_setup(user.id, email)
    totp = pyotp.TOTP(setup.secret)
    # Confirmed with the previous step's code, so the current step is still unused for the test.
    assert backend.totp.confirm_setup(user.id, totp.at(time.time() - flows.TOTP_STEP_SECONDS)).ok
    return totp, codes


# ---- sign-up -------------------------------------------------------------------------------------------


def test_sign_up_needs_the_mailed_link_and_a_taken_address_gets_the_same_answer(
    page: Page, mail: LocalSmtp, capture: BrowserCapture
) -> None:
    """Sign up, be refused at login until the link is opened (as for a wrong password; the right one mails a new
    link), then log in. Signing up again with the same address answers the same way, and its owner is told by mail
    instead."""
    email, password = flows.new_email(), "an e2e passphrase of mine"
    sign_up_form(page, email, password)
    first = mail.wait_for(email)
    assert "Confirm your email address" in first.subject and first.html

    page.goto("/login")
    fill_login(page, email, password)
    expect(flows.said(page, flows.INVALID_CREDENTIALS)).to_be_visible()  # what a wrong password gets
    audit(page, "log in, the address is not confirmed yet")
    second = mail.wait_for(email, after=1)
    assert second.link_to("/verify-email") != first.link_to("/verify-email")
    page.goto(first.link_to("/verify-email"))  # the old link no longer works
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_text("This link has expired or was already used.")).to_be_visible()
    audit(page, "confirm email, an old link")

    flows.confirm_address(page, mail, email)
    page.goto("/login")
    fill_login(page, email, password)
    flows.expect_dashboard(page, email)
    assert activity_lines(page)[:2] == ["Signed in with your password", "Email address confirmed"]
    page.goto("/dashboard")
    flows.log_out(page)

    sign_up_form(page, email, "somebody else's passphrase")  # the same answer for a taken address
    attempt = mail.wait_for(email, after=2)
    assert "tried to sign up" in attempt.subject and "/verify-email" not in attempt.text
    capture.snapshot(page)
    capture.assert_absent(password)


# ---- forgot password with 2FA on -------------------------------------------------------------------------


def test_forgot_password_with_2fa_needs_the_second_factor_and_ends_every_session(
    page: Page,
    browser: Browser,
    app: RunningApp,
    sms: LocalPlivo,
    mail: LocalSmtp,
    backend: Services,
    capture: BrowserCapture,
) -> None:
    email, e164 = flows.seeded_account(backend)
    other_context = browser.new_context(base_url=app.url)  # the account's session elsewhere
    try:
        other = other_context.new_page()
        flows.log_in_to_challenge(other, email, e164)
        flows.submit_code(other, flows.wait_for_code(sms, e164))
        flows.expect_dashboard(other, email)

        page.goto("/login")
        page.get_by_role("link", name="Forgot password?").click()
        expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()  # /login has an Email too
        audit(page, "forgot password")
        page.get_by_label("Email").fill(email)
        page.get_by_role("button", name="Send reset link").click()
        expect(page.get_by_role("status")).to_have_attribute("data-message-id", "reset.sent")
        audit(page, "forgot password, link sent")
        link = mail.wait_for(email).link_to("/reset-password")

        page.goto(link)
        expect(page.get_by_text("Confirm it's you before you choose a new password.", exact=False)).to_be_visible()
        expect(page.get_by_label("New password")).to_have_count(0)  # no way around the second factor
        audit(page, "reset password, the second factor")
        sent = flows.texts_to(sms, e164)
        page.get_by_role("button", name="Text me the code").click()
        code = flows.wait_for_code(sms, e164, after=sent)
        expect(page.get_by_label("Verification code")).to_be_visible()
        audit(page, "reset password, the texted code")
        flows.submit_code(page, code)
        # The step has its heading, the rule and the strength hint, both describing the field (issue 23).
        expect(page.get_by_role("heading", name="Your new password")).to_be_visible()
        new_password = page.get_by_label("New password", exact=True)
        expect(new_password).to_have_accessible_description(str(words.login.PASSWORD_RULE))
        new_password.fill(NEW_PASSWORD)
        page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
        expect(page.get_by_text(re.compile(r"^Strength: "))).to_be_visible()
        expect(new_password).to_have_accessible_description(re.compile(r"Strength: "))
        audit(page, "reset password, the new password")
        page.get_by_role("button", name="Set new password").click()
        expect(page.get_by_text("Your password was changed and every session was signed out.")).to_be_visible()
        audit(page, "reset password, done")

        other.goto("/dashboard")  # the old session is gone
        expect(other).to_have_url(flows.LOGIN)
    finally:
        other_context.close()

    notice = mail.wait_for(email, after=1)
    assert "Your password was reset" in notice.subject and "Wasn't you?" in notice.text
    page.goto(link)  # the link was single use
    expect(page.get_by_text("This link has expired or was already used. Ask for a new one.")).to_be_visible()
    audit(page, "reset password, a used link")

    page.goto("/login")
    fill_login(page, email, PASSWORD)
    expect(flows.said(page, flows.INVALID_CREDENTIALS)).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_have_value("")  # the answer clears it: type after that
    flows.wait_out_login_cooldown(backend, email)  # the other session's login texted a code moments ago
    sent = flows.texts_to(sms, e164)
    fill_login(page, email, NEW_PASSWORD)
    expect(page).to_have_url(flows.CHALLENGE)
    flows.submit_code(page, flows.wait_for_code(sms, e164, after=sent))
    flows.expect_dashboard(page, email)
    lines = activity_lines(page)
    assert lines[0] == "Signed in with a texted code" and "Password reset by email link" in lines
    capture.snapshot(page)
    capture.assert_absent(*flows.all_codes(sms), NEW_PASSWORD)


# ---- a lost phone ----------------------------------------------------------------------------------------


def test_lost_phone_recovery_code_then_a_new_number_confirmed_with_the_authenticator(
    page: Page, sms: LocalPlivo, mail: LocalSmtp, backend: Services, capture: BrowserCapture
) -> None:
    """Sign in with a recovery code; change the number, confirming with the authenticator app (nothing goes to
    the lost phone but the notice); the owner gets the notices and the old number a text."""
    email, old = flows.seeded_account(backend)
    totp, codes = with_authenticator_and_codes(backend, email)
    flows.log_in_to_challenge(page, email, old)
    flows.redeem_recovery_code(page, codes[0])
    flows.expect_dashboard(page, email)
    texts_to_old_phone = flows.texts_to(sms, old)  # the login texted the lost phone once

    flows.open_settings(page)
    page.get_by_role("button", name="Change phone number").click()
    expect(page.get_by_role("heading", name="Change your phone number")).to_be_visible()
    # The step opens on the strongest factor the user has (issue 23): the app, never the lost phone.
    expect(page.get_by_role("button", name="Use my authenticator app")).to_have_count(0)
    expect(page.get_by_text("To confirm, enter your password and a code from your authenticator app.")).to_be_visible()
    audit(page, "re-authentication, password and an authenticator code")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Verification code").fill(totp.now())
    page.get_by_role("button", name="Continue to the new number").click()
    new = flows.new_phone()
    page.get_by_label("Phone number").fill(flows.typed_form(new))
    page.get_by_role("button", name="Send code").click()
    flows.submit_code(page, flows.wait_for_code(sms, new))
    expect(page.get_by_text(f"Codes now go to •••• {new[-4:]}").first).to_be_visible()
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_text(f"•••• {new[-4:]}")).to_be_visible()

    notice = mail.wait_for(email, after=1)  # after the recovery code's notice
    subjects = [received.subject for received in mail.to(email)]
    assert any("A recovery code was used" in subject for subject in subjects)
    assert "phone number for sign-in codes was changed" in notice.subject and f"ending in {new[-4:]}" in notice.text
    deadline = time.monotonic() + 15
    while flows.texts_to(sms, old) == texts_to_old_phone and time.monotonic() < deadline:
        time.sleep(0.1)
    (to_old,) = [message for message in sms.messages if message["dst"].lstrip("+") == old.lstrip("+")][-1:]
    # no code in it (digits inside the address in the reset link are not a code)
    assert "was changed" in to_old["text"] and not re.search(r"\b\d{6}\b", to_old["text"])
    assert flows.texts_to(sms, old) == texts_to_old_phone + 1  # the notice only: no code went to the lost phone
    for received in mail.to(email):
        for whole in (*whole_number_forms(old), *whole_number_forms(new)):
            assert whole not in received.text and whole not in received.html

    lines = activity_lines(page)
    assert lines[0] == f"Phone number changed (now ending in {new[-4:]})"
    assert "Recovery code used (9 left)" in lines and "Signed in with a recovery code" in lines
    page.goto("/dashboard")
    expect(page).to_have_url(flows.DASHBOARD)
    capture.snapshot(page)
    capture.assert_absent(*codes, *flows.all_codes(sms), *whole_number_forms(old), *whole_number_forms(new))
