"""Issue 12, part 2, in Chromium: every wait counts down live in the browser (the lockout, the code's expiry, the
settings wizard's Send code cooldown), Verify waits for a lock, a setup code may go to another number at once, the
challenge says whose sign-in it is, and each settings step is numbered. Screenshots of each state at 375x812 and
1280x800 go to test-artifacts/issue12-part2/."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.e2e.conftest import ARTIFACTS
from tests.support.browser_capture import BrowserCapture
from tests.support.factories import PASSWORD
from tests.support.plivo_server import LocalPlivo

SHOTS = ARTIFACTS / "issue12-part2"
SIZES = {"375": {"width": 375, "height": 812}, "1280": {"width": 1280, "height": 800}}
CLOCK = re.compile(r"\d+:\d\d")


def shoot(page: Page, name: str) -> None:
    """The page as it is now, at 375x812 and 1280x800 (then back to the test's size)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    if before:
        page.set_viewport_size(before)


def expect_ticking(locator: Locator, capture: BrowserCapture) -> None:
    """The m:ss the locator shows decreases with no server event in between."""
    expect(locator).to_have_text(CLOCK)
    shown = locator.inner_text()
    events_before = sum(frame.startswith("42") for frame in capture.frames)
    expect(locator).not_to_have_text(shown)
    assert sum(frame.startswith("42") for frame in capture.frames) == events_before
    before = CLOCK.search(shown)
    after = CLOCK.search(locator.inner_text())
    assert before and after

    def seconds(match: re.Match[str]) -> int:
        minutes, secs = match.group(0).split(":")
        return int(minutes) * 60 + int(secs)

    assert seconds(after) < seconds(before)


def test_the_challenge_counts_the_code_expiry_and_a_lockout_down(
    page: Page, sms: LocalPlivo, backend: Services, capture: BrowserCapture
) -> None:
    email, e164 = flows.seeded_account(backend)
    user_id = backend.accounts.find_by_email(email).id or 0
    flows.log_in_to_challenge(page, email, e164)
    code = flows.wait_for_code(sms, e164)
    expect(page.get_by_text(f"Signing in as {email[0]}…@{email.split('@')[1]}")).to_be_visible()
    expiry = page.get_by_test_id("code-expiry")
    expect(expiry).to_have_text(re.compile(r"^Code expires in [45]:\d\d\.$"))
    audit(page, "challenge, the code's expiry counting down")
    expect_ticking(expiry, capture)
    page.set_viewport_size(SIZES["375"])  # the title is one line on a phone
    heading = page.get_by_role("heading", name="Verify it's you")
    box = heading.bounding_box()
    assert box is not None and box.get("height", 0) < 48
    # "· Not you?" wraps as one piece: one line box, the separator on the button's line.
    assert page.get_by_test_id("not-you-group").evaluate("e => e.getClientRects().length") == 1
    shoot(page, "challenge-expiry")

    for _ in range(backend.settings.otp_lockout_threshold):  # another factor's wrong guesses lock every factor
        backend.lockout.register_failure(user_id, "totp")
    page.reload()
    expect(page.get_by_role("alert").filter(has_text="recovery codes included")).to_be_visible()
    lock = page.get_by_test_id("lock-countdown")
    expect(lock).to_have_text(re.compile(r"^Try again in 0:[45]\d\.$"))
    verify = page.get_by_role("button", name=re.compile(r"^Wait \d:\d\d$"))
    expect(verify).to_be_disabled()
    audit(page, "challenge, locked with a live countdown")
    expect_ticking(lock, capture)
    shoot(page, "challenge-locked")
    page.get_by_role("button", name="Use a recovery code").click()
    expect(verify).to_be_disabled()  # the one lock holds recovery codes too
    backend.lockout.clear(user_id)

    page.get_by_test_id("not-you").click()
    expect(page).to_have_url(re.compile(r"/login"))
    assert code  # the code went out; "Not you?" ended the sign-in before it was used


def test_the_settings_wizard_numbers_its_steps_and_counts_the_cooldown_per_number(
    page: Page, sms: LocalPlivo, backend: Services, capture: BrowserCapture
) -> None:
    email, e164 = flows.seeded_account(backend)
    flows.signed_in(page, sms, email, e164)
    flows.open_settings(page)

    page.get_by_role("button", name="Change phone number").click()
    expect(page.get_by_role("heading", name="Change your phone number")).to_be_visible()
    expect(page.get_by_test_id("step-label")).to_have_text("Step 1 of 4")
    audit(page, "change number, step 1 of 4")
    expect(page.get_by_text("Codes will go to the new number, not this one.")).to_be_visible()
    shoot(page, "settings-reauth-named")
    flows.wait_out_login_cooldown(backend, email, Purpose.REAUTH)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    sent = flows.texts_to(sms, e164)
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_test_id("step-label")).to_have_text("Step 2 of 4")
    expect(page.get_by_role("button", name="Continue to the new number")).to_be_visible()
    flows.submit_code(page, flows.wait_for_code(sms, e164, after=sent))

    expect(page.get_by_test_id("step-label")).to_have_text("Step 3 of 4")
    first, second = flows.new_phone(), flows.new_phone()
    page.get_by_label("Phone number").fill(flows.typed_form(first))
    page.get_by_role("button", name="Send code").click()
    flows.wait_for_code(sms, first)
    expect(page.get_by_test_id("step-label")).to_have_text("Step 4 of 4")
    page.get_by_role("button", name="Back").click()
    waiting = page.get_by_role("button", name=re.compile(r"^Send code in \d:\d\d$"))
    expect(waiting).to_be_disabled()  # the same number waits for its cooldown, counted down in the browser
    audit(page, "change number, the send cooldown counting down")
    shoot(page, "settings-send-cooldown")
    page.get_by_label("Phone number").fill(flows.typed_form(second))  # a typo fixed: another number at once
    send = page.get_by_role("button", name="Send code", exact=True)
    expect(send).to_be_enabled()
    send.click()
    flows.submit_code(page, flows.wait_for_code(sms, second))
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_text(f"•••• {second[-4:]}")).to_be_visible()


def test_settings_re_authentication_counts_a_lockout_down(
    page: Page, sms: LocalPlivo, backend: Services, capture: BrowserCapture
) -> None:
    email, e164 = flows.seeded_account(backend)
    user_id = backend.accounts.find_by_email(email).id or 0
    flows.signed_in(page, sms, email, e164)
    flows.open_settings(page)
    for _ in range(backend.settings.otp_lockout_threshold):
        backend.lockout.register_failure(user_id, "sms")
    page.get_by_role("button", name="Turn off two-factor authentication").click()
    page.get_by_role("button", name="Continue to turn off").click()  # after the warning of what it loses
    expect(page.get_by_role("heading", name="Turn off two-factor authentication")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Too many wrong codes.")).to_be_visible()
    audit(page, "re-authentication, locked with a live countdown")
    expect_ticking(page.get_by_test_id("lock-countdown"), capture)
    shoot(page, "settings-reauth-locked")
    backend.lockout.clear(user_id)
