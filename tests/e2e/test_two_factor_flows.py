"""Two-factor authentication by text message, the way a person meets it in Chromium.

Codes are read from the local Plivo's outbox, the way a person reads their phone. Each test uses its own
account and phone number: send limits are per user and per number, and a number belongs to one account.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.support.browser_capture import BrowserCapture, whole_number_forms
from tests.support.factories import PASSWORD
from tests.support.plivo_server import LocalPlivo
from tests.support.redis_server import RedisServer
from tests.support.smtp_server import LocalSmtp

pytestmark = pytest.mark.e2e


# ---- flows ---------------------------------------------------------------------------------------


def test_enroll_a_phone_then_log_out(
    page: Page, sms: LocalPlivo, mail: LocalSmtp, redis_server: RedisServer, capture: BrowserCapture
) -> None:
    """Sign up, enroll a phone with the texted code, see 2FA on, log out; no code (or its hash) reaches the browser."""
    _email, password = flows.sign_up(page, mail)
    e164 = flows.new_phone()
    digests = flows.enroll(page, sms, redis_server, e164, password)
    expect(page.get_by_role("button", name="Done")).to_be_visible()
    capture.snapshot(page)

    flows.done_with_recovery_codes(page)
    expect(page.get_by_role("button", name="Turn off two-factor authentication")).to_be_visible()
    expect(page.get_by_text(f"•••• {e164[-4:]}")).to_be_visible()
    audit(page, "settings, two-factor on")
    capture.snapshot(page)

    page.get_by_role("link", name="Back to dashboard").click()
    flows.log_out(page)
    capture.snapshot(page)
    codes = flows.all_codes(sms)
    assert len(codes) == 1
    capture.assert_absent(*codes, *digests)


def test_log_in_with_the_texted_code(
    page: Page, sms: LocalPlivo, backend: Services, redis_server: RedisServer, capture: BrowserCapture
) -> None:
    """Password, then the challenge: the masked number, a wrong code's tries left, the right code signs in.

    Neither the code, nor its hash, nor the whole phone number reaches the browser.
    """
    email, e164 = flows.seeded_account(backend)
    flows.log_in_to_challenge(page, email, e164)
    code = flows.wait_for_code(sms, e164)
    digests = flows.pending_code_digests(redis_server)
    capture.snapshot(page)

    flows.submit_code(page, flows.a_wrong_code(code))
    expect(flows.said(page, flows.WRONG_CODE)).to_have_text(flows.wrong_code_words(4))
    expect(page).to_have_url(flows.CHALLENGE)
    audit(page, "challenge, a wrong code")
    capture.snapshot(page)

    flows.submit_code(page, code)
    flows.expect_dashboard(page, email)
    capture.snapshot(page)

    assert flows.all_codes(sms) == [code]
    capture.assert_absent(*flows.all_codes(sms), *digests)
    capture.assert_absent(*whole_number_forms(e164))


def test_enrolled_in_the_browser_then_logged_in(
    page: Page, sms: LocalPlivo, mail: LocalSmtp, redis_server: RedisServer, capture: BrowserCapture
) -> None:
    """The whole story in one account: enroll through settings, log out, log in with password and code.

    The phone number is typed and sent at once, as when pasted: the enrollment form may echo it, but from the
    logout on, the browser must not receive it again.
    """
    email, password = flows.sign_up(page, mail)
    e164 = flows.new_phone()
    digests = flows.enroll(page, sms, redis_server, e164, password)
    flows.done_with_recovery_codes(page)
    page.get_by_role("link", name="Back to dashboard").click()
    flows.log_out(page)
    frames_before_login = len(capture.frames)

    sent = flows.texts_to(sms, e164)
    flows.log_in_to_challenge(page, email, e164, password)
    code = flows.wait_for_code(sms, e164, after=sent)
    digests += flows.pending_code_digests(redis_server)
    flows.submit_code(page, code)
    flows.expect_dashboard(page, email)

    capture.snapshot(page)
    capture.assert_absent(*flows.all_codes(sms), *digests)
    # The enrollment form echoed the number; login, the challenge and the dashboard must not.
    capture.assert_absent(*whole_number_forms(e164), frames_from=frames_before_login)


def test_five_wrong_codes_burn_the_code(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """After five wrong tries even the right code is refused; a new code is needed (and works)."""
    email, e164 = flows.seeded_account(backend)
    flows.log_in_to_challenge(page, email, e164)
    code = flows.wait_for_code(sms, e164)

    for tries_left in (4, 3, 2, 1):
        flows.submit_code(page, flows.a_wrong_code(code))
        expect(flows.said(page, flows.WRONG_CODE)).to_have_text(flows.wrong_code_words(tries_left))
    flows.submit_code(page, flows.a_wrong_code(code))
    expect(flows.said(page, flows.TOO_MANY_WRONG)).to_be_visible()
    audit(page, "challenge, too many wrong codes")

    flows.submit_code(page, code)
    expect(flows.said(page, flows.EXPIRED_OR_REPLACED)).to_be_visible()
    expect(page).to_have_url(flows.CHALLENGE)

    page.get_by_role("button", name="Resend code", exact=True).click()
    new_code = flows.wait_for_code(sms, e164, after=1)
    flows.submit_code(page, new_code)
    flows.expect_dashboard(page, email)


def test_challenge_guards(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """No password step -> login; the dashboard with the second factor pending -> the challenge."""
    page.goto("/2fa-challenge")
    expect(page).to_have_url(flows.LOGIN)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    email, e164 = flows.seeded_account(backend)
    flows.log_in_to_challenge(page, email, e164)
    page.goto("/dashboard")
    expect(page).to_have_url(flows.CHALLENGE)
    expect(page.get_by_label("Verification code")).to_be_visible()
    expect(page.get_by_text(email)).to_have_count(0)
    page.goto("/settings")
    expect(page).to_have_url(flows.CHALLENGE)

    flows.submit_code(page, flows.wait_for_code(sms, e164))  # the challenge still works after the detours
    flows.expect_dashboard(page, email)


def test_delivery_failure_then_resend(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """Plivo answers 500: a clear message, no cooldown, and 'Resend code' delivers a working code."""
    email, e164 = flows.seeded_account(backend)
    sms.fail_next(500)
    flows.submit_password(page, email)
    expect(page).to_have_url(flows.CHALLENGE)
    expect(flows.said(page, "challenge.not_sent")).to_be_visible()  # never "we sent" (issue 23)
    expect(flows.said(page, flows.DELIVERY_FAILED)).to_be_visible()
    audit(page, "challenge, the text failed")
    assert flows.texts_to(sms, e164) == 0

    resend = page.get_by_role("button", name="Resend code", exact=True)
    expect(resend).to_be_enabled(timeout=2_000)  # no cooldown after a failed send (the test cooldown is 3s)
    resend.click()
    code = flows.wait_for_code(sms, e164)
    expect(flows.said(page, flows.CODE_SENT)).to_contain_text(e164[-4:])
    expect(flows.said(page, flows.DELIVERY_FAILED)).to_have_count(0)
    flows.submit_code(page, code)
    flows.expect_dashboard(page, email)


def test_turning_two_factor_off_needs_password_and_code(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """Settings asks for the password (a wrong one is refused), then a texted code, then 2FA is off."""
    email, e164 = flows.seeded_account(backend)
    flows.signed_in(page, sms, email, e164)

    page.get_by_role("link", name="Security settings").click()
    page.get_by_role("button", name="Turn off two-factor authentication").click()
    expect(page.get_by_role("alert").filter(has_text="Only your password will protect this account.")).to_be_visible()
    page.get_by_role("button", name="Continue to turn off").click()
    expect(page.get_by_text(f"number ending in {e164[-4:]}")).to_be_visible()
    audit(page, "re-authentication, password then a texted code")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Text me a code").click()
    expect(flows.said(page, words.settings.PASSWORD_WRONG.id)).to_be_visible()
    audit(page, "re-authentication, a wrong password")
    assert flows.texts_to(sms, e164) == 1  # no code for a wrong password

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Text me a code").click()
    code = flows.wait_for_code(sms, e164, after=1)
    expect(page.get_by_label("Verification code")).to_be_visible()
    audit(page, "re-authentication, the texted code")
    flows.submit_code(page, flows.a_wrong_code(code))
    expect(flows.said(page, flows.WRONG_CODE)).to_have_text(flows.wrong_code_words(4))
    user = backend.accounts.find_by_email(email)
    assert user is not None and user.is_two_factor_enabled  # still on after a wrong code

    flows.submit_code(page, code)
    expect(page.get_by_text("Two-factor authentication is off.").first).to_be_visible()
    expect(page.get_by_role("button", name="Enable two-factor authentication")).to_be_visible()
    audit(page, "settings, two-factor turned off")
    user = backend.accounts.find_by_email(email)
    assert user is not None and not user.is_two_factor_enabled and not user.phone_number
