"""Two-factor authentication by text message, the way a person meets it in Chromium.

Codes are read from the local Plivo's outbox, the way a person reads their phone. Each test uses its own
account and phone number: send limits are per user and per number, and a number belongs to one account.
"""

from __future__ import annotations

import re
import secrets
import time

import pytest
from playwright.sync_api import Page, expect

from sms2fa_app.backend.services import Services
from tests.e2e.audit import audit
from tests.support.browser_capture import BrowserCapture, whole_number_forms
from tests.support.factories import PASSWORD, create_user
from tests.support.plivo_server import LocalPlivo
from tests.support.redis_server import RedisServer
from tests.support.smtp_server import LocalSmtp

pytestmark = pytest.mark.e2e

DASHBOARD = re.compile(r"/dashboard/?$")
CHALLENGE = re.compile(r"/2fa-challenge/?(\?.*)?$")
LOGIN = re.compile(r"/login/?(\?.*)?$")  # the guard may add ?next=...
CODE_IN_TEXT = re.compile(r"\b(\d{6})\b")
RESEND_COUNTING_DOWN = re.compile(r"^Resend code in \d+s$")
SMS_TIMEOUT_SECONDS = 15.0

WRONG_TRIES_LEFT = "That code isn't right. {tries} left."
TOO_MANY_WRONG = "That code stopped working after too many wrong tries. Request a new code below."
EXPIRED_OR_REPLACED = "That code has expired or was replaced. Request a new code below."
DELIVERY_FAILED = "We couldn't send the code. Try again in a moment."
# A replaced code is simply not the current one (today: "That code isn't right. 4 tries left.").
OLD_CODE_REFUSED = re.compile(r"^That code isn't right\. \d tries left\.$|^That code has expired or was replaced\.")

_numbers_used: set[str] = set()


# ---- helpers -------------------------------------------------------------------------------------


def new_email() -> str:
    """An address no other test uses (the app server lives for the whole e2e package)."""
    return f"e2e-2fa-{secrets.token_hex(5)}@example.com"


def new_phone() -> str:
    """A US mobile number in E.164 that no other test in this run uses."""
    while True:
        e164 = f"+1415555{secrets.randbelow(10_000):04d}"
        if e164 not in _numbers_used:
            _numbers_used.add(e164)
            return e164


def typed_form(e164: str) -> str:
    """How a person types '+14155552671': '+1 415 555 2671'."""
    return f"{e164[:2]} {e164[2:5]} {e164[5:8]} {e164[8:]}"


def texts_to(sms: LocalPlivo, e164: str) -> int:
    """How many texts the local Plivo accepted for this number."""
    return sum(1 for message in sms.messages if message["dst"].lstrip("+") == e164.lstrip("+"))


def wait_for_code(sms: LocalPlivo, e164: str, after: int = 0) -> str:
    """The code in the newest text to `e164`, once more than `after` texts reached it."""
    deadline = time.monotonic() + SMS_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if texts_to(sms, e164) > after:
            code = sms.last_code_for(e164)
            assert code is not None, "the text to the phone has no 6-digit code"
            return code
        time.sleep(0.1)
    raise AssertionError(f"no new text reached the phone within {SMS_TIMEOUT_SECONDS:.0f}s")


def all_codes(sms: LocalPlivo) -> list[str]:
    """Every code the local Plivo received, for the leak checks."""
    return [match.group(1) for message in sms.messages if (match := CODE_IN_TEXT.search(message["text"]))]


def pending_code_digests(redis_server: RedisServer) -> list[str]:
    """The keyed digests of the codes waiting in Redis (what a leak of 'the code hash' would look like)."""
    with redis_server.client() as client:
        values = [value for key in client.scan_iter("otp:code:*") for value in client.hgetall(key).values()]
    digests = [value for value in values if len(value) >= 32]
    assert digests, "no pending code digest in Redis"
    return digests


def a_wrong_code(*right: str) -> str:
    """A well-formed code that is none of `right`."""
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        if code not in right:
            return code


def alert(page: Page, text: str):
    """The alert saying exactly `text`."""
    return page.get_by_role("alert").filter(has_text=text)


def submit_code(page: Page, code: str) -> None:
    """Type a code into 'Verification code' and press its form's button ("Verify", or on a re-authentication
    step the operation it confirms)."""
    field = page.get_by_label("Verification code")
    field.fill(code)
    page.locator("form").filter(has=field).locator("button[type=submit]").click()


def confirm_address_at(page: Page, link: str) -> None:
    """Open a verification link and press its button."""
    page.goto(link)
    expect(page.get_by_role("button", name="Confirm my email address")).to_be_visible()
    audit(page, "confirm email")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_text("Your email address is confirmed. You can log in now.")).to_be_visible()
    audit(page, "email confirmed")


def confirm_address(page: Page, mail: LocalSmtp, email: str) -> None:
    """Open the verification link mailed to `email` and press its button."""
    confirm_address_at(page, mail.wait_for(email).link_to("/verify-email"))


def fill_sign_up(page: Page) -> tuple[str, str]:
    """A new account through /signup, up to "Check your email"; returns (email, password)."""
    email, password = new_email(), f"pw-{secrets.token_hex(8)}"
    page.goto("/signup")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    audit(page, "sign up")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Confirm password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Check your email to finish signing up.")).to_be_visible()
    audit(page, "sign up, check your email")
    return email, password


def log_in_after_confirming(page: Page, email: str, password: str) -> None:
    """From the confirmed-address page: "Log in", the password, the dashboard (2FA is not on yet)."""
    page.get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    audit(page, "log in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(DASHBOARD)
    expect(page.get_by_text(email)).to_be_visible()
    audit(page, "dashboard")


def sign_up(page: Page, mail: LocalSmtp) -> tuple[str, str]:
    """A new account through /signup, its address confirmed by the mailed link, then logged in; returns
    (email, password), on the dashboard."""
    email, password = fill_sign_up(page)
    confirm_address(page, mail, email)
    log_in_after_confirming(page, email, password)
    return email, password


def enroll(page: Page, sms: LocalPlivo, redis_server: RedisServer, e164: str, password: str) -> list[str]:
    """From the dashboard: Security settings, enable 2FA with `e164` and the texted code.

    Returns the digest of the enrollment code as Redis held it, for the leak checks.
    """
    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("button", name="Enable two-factor authentication")).to_be_visible()
    audit(page, "settings, two-factor off")
    page.get_by_role("button", name="Enable two-factor authentication").click()
    expect(page.get_by_label("Password")).to_be_visible()
    audit(page, "re-authentication, password only")
    page.get_by_label("Password").fill(password)  # re-authentication before any factor change
    page.get_by_role("button", name="Continue to your phone number").click()
    expect(page.get_by_label("Phone number")).to_be_visible()
    audit(page, "enrollment, phone number")
    page.get_by_label("Phone number").fill(typed_form(e164))
    before = texts_to(sms, e164)
    page.get_by_role("button", name="Send code").click()
    code = wait_for_code(sms, e164, after=before)
    expect(page.get_by_label("Verification code")).to_be_visible()
    audit(page, "enrollment, texted code")
    digests = pending_code_digests(redis_server)
    submit_code(page, code)
    expect(page.get_by_text("Two-factor authentication is on.").first).to_be_visible()
    audit(page, "enrollment done, recovery codes")
    return digests


def done_with_recovery_codes(page: Page) -> None:
    """The new recovery codes: Done waits for "I saved these codes", then leaves the step."""
    done = page.get_by_role("button", name="Done")
    expect(done).to_be_disabled()
    page.get_by_role("checkbox", name="I saved these codes").check()
    expect(done).to_be_enabled()
    done.click()


def log_out(page: Page) -> None:
    """Press 'Log out' on the dashboard."""
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(LOGIN)


def log_in_to_challenge(page: Page, email: str, e164: str, password: str = PASSWORD) -> None:
    """Pass the password step of an account with 2FA on; ends on the challenge page."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(CHALLENGE)
    expect(page.get_by_text(f"Enter the 6-digit code we sent to the number ending in {e164[-4:]}.")).to_be_visible()
    audit(page, "challenge, texted code")


def seeded_account(backend: Services) -> tuple[str, str]:
    """An account with 2FA already on (created through the backend); returns (email, phone)."""
    email, e164 = new_email(), new_phone()
    create_user(backend, email, phone=e164)
    return email, e164


def expect_dashboard(page: Page, email: str) -> None:
    """On the dashboard, signed in as `email`."""
    expect(page).to_have_url(DASHBOARD)
    expect(page.get_by_text(email)).to_be_visible()


# ---- flows ---------------------------------------------------------------------------------------


def test_enroll_a_phone_then_log_out(
    page: Page, sms: LocalPlivo, mail: LocalSmtp, redis_server: RedisServer, capture: BrowserCapture
) -> None:
    """Sign up, enroll a phone with the texted code, see 2FA on, log out; no code (or its hash) reaches the browser."""
    _email, password = sign_up(page, mail)
    e164 = new_phone()
    digests = enroll(page, sms, redis_server, e164, password)
    expect(page.get_by_role("button", name="Done")).to_be_visible()
    capture.snapshot(page)

    done_with_recovery_codes(page)
    expect(page.get_by_role("button", name="Turn off two-factor authentication")).to_be_visible()
    expect(page.get_by_text(f"•••• {e164[-4:]}")).to_be_visible()
    audit(page, "settings, two-factor on")
    capture.snapshot(page)

    page.get_by_role("link", name="Back to dashboard").click()
    log_out(page)
    capture.snapshot(page)
    codes = all_codes(sms)
    assert len(codes) == 1
    capture.assert_absent(*codes, *digests)


def test_log_in_with_the_texted_code(
    page: Page, sms: LocalPlivo, backend: Services, redis_server: RedisServer, capture: BrowserCapture
) -> None:
    """Password, then the challenge: the masked number, a wrong code's tries left, the right code signs in.

    Neither the code, nor its hash, nor the whole phone number reaches the browser.
    """
    email, e164 = seeded_account(backend)
    log_in_to_challenge(page, email, e164)
    code = wait_for_code(sms, e164)
    digests = pending_code_digests(redis_server)
    capture.snapshot(page)

    submit_code(page, a_wrong_code(code))
    expect(alert(page, WRONG_TRIES_LEFT.format(tries="4 tries"))).to_be_visible()
    expect(page).to_have_url(CHALLENGE)
    audit(page, "challenge, a wrong code")
    capture.snapshot(page)

    submit_code(page, code)
    expect_dashboard(page, email)
    capture.snapshot(page)

    assert all_codes(sms) == [code]
    capture.assert_absent(*all_codes(sms), *digests)
    capture.assert_absent(*whole_number_forms(e164))


def test_enrolled_in_the_browser_then_logged_in(
    page: Page, sms: LocalPlivo, mail: LocalSmtp, redis_server: RedisServer, capture: BrowserCapture
) -> None:
    """The whole story in one account: enroll through settings, log out, log in with password and code.

    The phone number is typed and sent at once, as when pasted: the enrollment form may echo it, but from the
    logout on, the browser must not receive it again.
    """
    email, password = sign_up(page, mail)
    e164 = new_phone()
    digests = enroll(page, sms, redis_server, e164, password)
    done_with_recovery_codes(page)
    page.get_by_role("link", name="Back to dashboard").click()
    log_out(page)
    frames_before_login = len(capture.frames)

    sent = texts_to(sms, e164)
    log_in_to_challenge(page, email, e164, password)
    code = wait_for_code(sms, e164, after=sent)
    digests += pending_code_digests(redis_server)
    submit_code(page, code)
    expect_dashboard(page, email)

    capture.snapshot(page)
    capture.assert_absent(*all_codes(sms), *digests)
    # The enrollment form echoed the number; login, the challenge and the dashboard must not.
    capture.assert_absent(*whole_number_forms(e164), frames_from=frames_before_login)


def test_five_wrong_codes_burn_the_code(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """After five wrong tries even the right code is refused; a new code is needed (and works)."""
    email, e164 = seeded_account(backend)
    log_in_to_challenge(page, email, e164)
    code = wait_for_code(sms, e164)

    for tries_left in ("4 tries", "3 tries", "2 tries", "1 try"):
        submit_code(page, a_wrong_code(code))
        expect(alert(page, WRONG_TRIES_LEFT.format(tries=tries_left))).to_be_visible()
    submit_code(page, a_wrong_code(code))
    expect(alert(page, TOO_MANY_WRONG)).to_be_visible()
    audit(page, "challenge, too many wrong codes")

    submit_code(page, code)
    expect(alert(page, EXPIRED_OR_REPLACED)).to_be_visible()
    expect(page).to_have_url(CHALLENGE)

    page.get_by_role("button", name="Resend code", exact=True).click()
    new_code = wait_for_code(sms, e164, after=1)
    submit_code(page, new_code)
    expect_dashboard(page, email)


def test_challenge_guards(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """No password step -> login; the dashboard with the second factor pending -> the challenge."""
    page.goto("/2fa-challenge")
    expect(page).to_have_url(LOGIN)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    email, e164 = seeded_account(backend)
    log_in_to_challenge(page, email, e164)
    page.goto("/dashboard")
    expect(page).to_have_url(CHALLENGE)
    expect(page.get_by_label("Verification code")).to_be_visible()
    expect(page.get_by_text(email)).to_have_count(0)
    page.goto("/settings")
    expect(page).to_have_url(CHALLENGE)

    submit_code(page, wait_for_code(sms, e164))  # the challenge still works after the detours
    expect_dashboard(page, email)


def test_delivery_failure_then_resend(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """Plivo answers 500: a clear message, no cooldown, and 'Resend code' delivers a working code."""
    email, e164 = seeded_account(backend)
    sms.fail_next(500)
    log_in_to_challenge(page, email, e164)
    expect(alert(page, DELIVERY_FAILED)).to_be_visible()
    audit(page, "challenge, the text failed")
    assert texts_to(sms, e164) == 0

    resend = page.get_by_role("button", name="Resend code", exact=True)
    expect(resend).to_be_enabled(timeout=2_000)  # no cooldown after a failed send (the test cooldown is 3s)
    resend.click()
    code = wait_for_code(sms, e164)
    expect(page.get_by_text(f"We sent a new code to the number ending in {e164[-4:]}.")).to_be_visible()
    expect(alert(page, DELIVERY_FAILED)).to_have_count(0)
    submit_code(page, code)
    expect_dashboard(page, email)


def test_turning_two_factor_off_needs_password_and_code(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """Settings asks for the password (a wrong one is refused), then a texted code, then 2FA is off."""
    email, e164 = seeded_account(backend)
    log_in_to_challenge(page, email, e164)
    submit_code(page, wait_for_code(sms, e164))
    expect_dashboard(page, email)

    page.get_by_role("link", name="Security settings").click()
    page.get_by_role("button", name="Turn off two-factor authentication").click()
    expect(page.get_by_role("alert").filter(has_text="Only your password will protect this account.")).to_be_visible()
    page.get_by_role("button", name="Continue to turn off").click()
    expect(page.get_by_text(f"number ending in {e164[-4:]}")).to_be_visible()
    audit(page, "re-authentication, password then a texted code")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Text me a code").click()
    expect(alert(page, "That password isn't right.")).to_be_visible()
    audit(page, "re-authentication, a wrong password")
    assert texts_to(sms, e164) == 1  # no code for a wrong password

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Text me a code").click()
    code = wait_for_code(sms, e164, after=1)
    expect(page.get_by_label("Verification code")).to_be_visible()
    audit(page, "re-authentication, the texted code")
    submit_code(page, a_wrong_code(code))
    expect(alert(page, WRONG_TRIES_LEFT.format(tries="4 tries"))).to_be_visible()
    user = backend.accounts.find_by_email(email)
    assert user is not None and user.is_two_factor_enabled  # still on after a wrong code

    submit_code(page, code)
    expect(page.get_by_text("Two-factor authentication is off.").first).to_be_visible()
    expect(page.get_by_role("button", name="Enable two-factor authentication")).to_be_visible()
    audit(page, "settings, two-factor turned off")
    user = backend.accounts.find_by_email(email)
    assert user is not None and not user.is_two_factor_enabled and not user.phone_number
