"""The resend countdown in Chromium: a deadline the server sends once, counted down in the browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.support.browser_capture import BrowserCapture
from tests.support.plivo_server import LocalPlivo


def test_resend_waits_for_the_countdown_and_replaces_the_code(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """'Resend code in Ns' is disabled, 'Resend code' at zero; the new code works and the old one no longer does."""
    email, e164 = flows.seeded_account(backend)
    flows.log_in_to_challenge(page, email, e164)
    old_code = flows.wait_for_code(sms, e164)

    expect(page.get_by_role("button", name=flows.RESEND_COUNTING_DOWN)).to_be_disabled()
    resend = page.get_by_role("button", name="Resend code", exact=True)
    expect(resend).to_be_enabled()  # OTP_RESEND_COOLDOWN_SECONDS is 3 in TEST_SETTINGS
    resend.click()
    new_code = flows.wait_for_code(sms, e164, after=1)
    expect(flows.said(page, flows.CODE_SENT)).to_contain_text(e164[-4:])
    expect(page.get_by_role("button", name=flows.RESEND_COUNTING_DOWN)).to_be_disabled()  # a new countdown
    audit(page, "challenge, a new code sent")

    if new_code != old_code:  # one chance in a million they are equal
        flows.submit_code(page, old_code)
        expect(flows.said(page, *flows.OLD_CODE_REFUSED)).to_be_visible()
        expect(page).to_have_url(flows.CHALLENGE)
    flows.submit_code(page, new_code)
    flows.expect_dashboard(page, email)


def test_the_countdown_ticks_in_the_browser_without_server_events(
    page: Page, sms: LocalPlivo, backend: Services, capture: BrowserCapture
) -> None:
    """The server sends the resend deadline once: while the button counts down, no socket.io event arrives."""
    email, e164 = flows.seeded_account(backend)
    sms.hold_reports = True  # the live delivery status (issue 15) then shows its first state and stays there
    flows.log_in_to_challenge(page, email, e164)
    expect(page.get_by_test_id("delivery-status")).to_have_attribute("data-message-id", "challenge.delivery.queued")
    counting = page.get_by_role("button", name=flows.RESEND_COUNTING_DOWN)
    expect(counting).to_be_disabled()
    shown = counting.inner_text()
    events_before = sum(frame.startswith("42") for frame in capture.frames)
    expect(page.get_by_role("button", name=flows.RESEND_COUNTING_DOWN)).not_to_have_text(shown)  # it ticked...
    expect(page.get_by_role("button", name="Resend code", exact=True)).to_be_enabled()  # ...down to zero
    assert sum(frame.startswith("42") for frame in capture.frames) == events_before
    flows.wait_for_code(sms, e164)
