"""Issue 15 in Chromium: the live delivery status, "Call me instead", WebOTP, and proof of work under pressure.

The local Plivo sends real signed delivery reports to the app and fetches the voice answer as Plivo would;
the tests read codes from its texts and calls, the way a person reads or listens to their phone."""

from __future__ import annotations

import re
import secrets
import time

import pytest
from playwright.sync_api import Page, expect

from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.e2e.conftest import APP_HOST, BrowserCapture, whole_number_forms
from tests.support.factories import PASSWORD, create_user
from tests.support.plivo_server import LocalPlivo

pytestmark = pytest.mark.e2e

CALL_TIMEOUT_SECONDS = 15.0


def status(page: Page):
    return page.get_by_test_id("delivery-status")


def wait_for_call_code(sms: LocalPlivo, e164: str) -> str:
    """The code the newest answered call to `e164` read out."""
    deadline = time.monotonic() + CALL_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        code = sms.last_call_code_for(e164)
        if code is not None:
            return code
        time.sleep(0.1)
    raise AssertionError(f"no answered call to the phone within {CALL_TIMEOUT_SECONDS:.0f}s")


def test_the_challenge_shows_the_delivery_status_live(page: Page, sms: LocalPlivo, backend: Services) -> None:
    email, e164 = flows.seeded_account(backend)
    flows.log_in_to_challenge(page, email, e164)
    expect(status(page)).to_have_attribute("data-message-id", "challenge.delivery.delivered")
    assert [report["reply"] for report in sms.reports] == [200, 200, 200]  # signed reports, all accepted
    flows.submit_code(page, flows.wait_for_code(sms, e164))
    flows.expect_dashboard(page, email)


def test_an_undelivered_text_offers_a_call_whose_code_signs_in(
    page: Page, sms: LocalPlivo, backend: Services, capture: BrowserCapture
) -> None:
    email, e164 = flows.seeded_account(backend)
    sms.deliver_next("undelivered", error_code="30")
    flows.log_in_to_challenge(page, email, e164)
    expect(status(page)).to_have_attribute("data-message-id", "challenge.delivery.not_delivered")
    call_button = page.get_by_role("button", name="Call me instead")
    expect(call_button).to_be_enabled()
    audit(page, "challenge, the text was not delivered")
    call_button.click()
    expect(flows.said(page, "challenge.calling")).to_be_visible()
    audit(page, "challenge, calling")
    code = wait_for_call_code(sms, e164)
    expect(status(page)).to_have_attribute("data-message-id", "challenge.delivery.answered")
    capture.snapshot(page)
    capture.assert_absent(code, *whole_number_forms(e164))  # the spoken code never travels to the browser
    flows.submit_code(page, code)
    flows.expect_dashboard(page, email)


def test_call_me_instead_after_a_delivered_text(page: Page, sms: LocalPlivo, backend: Services) -> None:
    email, e164 = flows.seeded_account(backend)
    flows.log_in_to_challenge(page, email, e164)
    texted = flows.wait_for_code(sms, e164)
    expect(status(page)).to_have_attribute("data-message-id", "challenge.delivery.delivered")
    call_button = page.get_by_role("button", name="Call me instead")
    expect(call_button).to_be_enabled()  # after the (3-second, in these tests) cooldown texts and calls share
    call_button.click()
    code = wait_for_call_code(sms, e164)
    assert code != texted
    (call,) = sms.calls
    assert call["reply"] == 200 and code not in call["answer_url"]
    flows.submit_code(page, code)
    flows.expect_dashboard(page, email)


WEB_OTP_STUB = """
window.OTPCredential = function OTPCredential() {};
window.__otpRequests = [];
navigator.credentials.get = (options) => new Promise((resolve) => {
  window.__otpRequests.push(JSON.stringify({transport: options && options.otp && options.otp.transport}));
  window.__deliverOtp = (code) => resolve({type: 'otp', code});
});
"""


def test_webotp_fills_in_the_site_bound_code(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """A browser with WebOTP (stubbed: headless Chromium has no SMS) gets the code from the site-bound text."""
    page.add_init_script(WEB_OTP_STUB)
    email, e164 = flows.seeded_account(backend)
    flows.log_in_to_challenge(page, email, e164)
    code = flows.wait_for_code(sms, e164)
    text = [message["text"] for message in sms.messages if message["dst"] == e164][-1]
    assert text.splitlines()[-1] == f"@{APP_HOST} #{code}"  # the last line binds the code to this site
    page.wait_for_function("() => window.__otpRequests.length > 0")
    assert page.evaluate("window.__otpRequests") == ['{"transport":["sms"]}']
    page.evaluate("code => window.__deliverOtp(code)", code)
    flows.expect_dashboard(page, email)


def test_proof_of_work_appears_under_pressure_on_login_and_passes(page: Page, backend: Services) -> None:
    email = flows.new_email()
    create_user(backend, email)
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    for _ in range(2):  # POW_AFTER_LOGIN_FAILURES_PER_ACCOUNT=2 in these tests
        page.get_by_label("Password", exact=True).fill("not the password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_have_attribute("data-message-id", flows.INVALID_CREDENTIALS)
        expect(page.get_by_label("Password", exact=True)).to_have_value("")  # this answer came: it clears it
    expect(page.get_by_test_id("proof-of-work")).to_have_count(0)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Solved in the browser, unseen, and the form goes again by itself (tests/e2e/test_trap_paths.py: the
    # password stays while it runs).
    expect(page).to_have_url(re.compile(r"/dashboard/?$"), timeout=60_000)


def test_proof_of_work_appears_under_country_pressure_on_resend_and_passes(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    """Texts to GB (cap 4 an hour in these tests) ask for proof after two: the challenge's resend shows the widget."""
    email, e164 = flows.new_email(), f"+447400{secrets.randbelow(1_000_000):06d}"
    create_user(backend, email, phone=e164)
    flows.log_in_to_challenge(page, email, e164)
    flows.wait_for_code(sms, e164)
    resend = page.get_by_role("button", name="Resend code")
    expect(resend).to_be_enabled()
    resend.click()
    flows.wait_for_code(sms, e164, after=1)
    expect(resend).to_be_enabled()
    resend.click()  # the server asks for a proof: solved unseen, then "Resend code" is pressed again by itself
    code = flows.wait_for_code(sms, e164, after=2, timeout=60.0)
    expect(page.locator("altcha-widget")).to_be_hidden()  # the next proof, if any, is made unseen too
    flows.submit_code(page, code)
    flows.expect_dashboard(page, email)
