"""What the end-to-end tests do the way a person does it in Chromium: new accounts and numbers, texted codes read
from the local Plivo, signing up, in and out, settings and re-authentication. The test modules share these through
`from tests.e2e import flows`; none imports another test module for them."""

from __future__ import annotations

import re
import secrets
import time

import pyotp
from playwright.sync_api import Locator, Page, expect

from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from tests.e2e.audit import audit
from tests.support.factories import PASSWORD, create_user
from tests.support.plivo_server import LocalPlivo
from tests.support.redis_server import RedisServer
from tests.support.smtp_server import LocalSmtp

DASHBOARD = re.compile(r"/dashboard/?$")
CHALLENGE = re.compile(r"/2fa-challenge/?(\?.*)?$")
LOGIN = re.compile(r"/login/?(\?.*)?$")  # the guard may add ?next=...
CODE_IN_TEXT = re.compile(r"\b(\d{6})\b")
RESEND_COUNTING_DOWN = re.compile(r"^Resend code in \d+s$")
SMS_TIMEOUT_SECONDS = 15.0

# Message ids (state/words/): the browser tests assert which message shows by its data-message-id.
WRONG_CODE = "challenge.sms.wrong"  # "That code isn't right. N tries left."
TOO_MANY_WRONG = "challenge.sms.exhausted"
EXPIRED_OR_REPLACED = "challenge.code_expired"
DELIVERY_FAILED = "challenge.send.delivery_failed"
CODE_SENT = "challenge.code_sent"  # "We sent a new code to the number ending in 2671."
INVALID_CREDENTIALS = "login.invalid_credentials"
# A replaced code is simply not the current one (today: "That code isn't right. 4 tries left.").
OLD_CODE_REFUSED = (WRONG_CODE, EXPIRED_OR_REPLACED)

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


def wait_for_code(sms: LocalPlivo, e164: str, after: int = 0, timeout: float = SMS_TIMEOUT_SECONDS) -> str:
    """The code in the newest text to `e164`, once more than `after` texts reached it (within `timeout` s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if texts_to(sms, e164) > after:
            code = sms.last_code_for(e164)
            assert code is not None, "the text to the phone has no 6-digit code"
            return code
        time.sleep(0.1)
    raise AssertionError(f"no new text reached the phone within {timeout:.0f}s")


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


def said(page: Page, *message_ids: str) -> Locator:
    """The message showing one of the catalogue entries `message_ids` (its data-message-id, state/said.py)."""
    return page.locator(", ".join(f'[data-message-id="{message_id}"]' for message_id in message_ids))


def wrong_code_words(tries_left: int) -> str:
    """What a wrong texted code with `tries_left` gets, in the catalogue's words."""
    return words.challenge.verify_failed(VerifyResult(VerifyStatus.WRONG, attempts_left=tries_left), Factor.SMS)


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


RECOVERY_CODE = re.compile(r"^[a-z0-9]{5}-[a-z0-9]{5}$")
RECOVERY_SPENT = "challenge.recovery.used"  # spent: refused, not a guess
TOTP_PROMPT = "Enter the 6-digit code from your authenticator app."
RECOVERY_PROMPT = "Enter one of your recovery codes. Each works once."
KEY_LINE = re.compile(r"^((?:[A-Z2-7]{1,4} ?)+)$")  # in groups of four, under its "Key" label
TOTP_STEP_SECONDS = 30


# ---- recovery codes, the authenticator app, re-authentication ---------------------------------------


def submit_password(page: Page, email: str, password: str = PASSWORD) -> None:
    """The password step of /login (where it leads is for the caller to check)."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def open_settings(page: Page) -> None:
    """From the dashboard to the settings page, its status shown."""
    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("button", name="Turn off two-factor authentication")).to_be_visible()


def back_to_dashboard_and_log_out(page: Page) -> None:
    """From settings: 'Back to dashboard', then 'Log out'."""
    page.get_by_role("link", name="Back to dashboard").click()
    expect(page).to_have_url(DASHBOARD)
    log_out(page)


def redeem_recovery_code(page: Page, code: str) -> None:
    """On the challenge: switch to recovery codes, type `code`, press Verify."""
    page.get_by_role("button", name="Use a recovery code").click()
    expect(page.get_by_text(RECOVERY_PROMPT)).to_be_visible()
    audit(page, "challenge, a recovery code")
    page.get_by_label("Recovery code").fill(code)
    page.get_by_role("button", name="Verify").click()


def wait_out_login_cooldown(backend: Services, email: str, purpose: Purpose = Purpose.LOGIN) -> None:
    """Wait (a few seconds) until the server lets the user's next login (or `purpose`) text a code: the resend
    cooldown is per user, so a login right after another one would get "Please wait ..." instead of a code."""
    user = backend.accounts.find_by_email(email)
    assert user is not None and user.id is not None
    deadline = time.monotonic() + 10
    while backend.otp.resend_wait(user_id=user.id, purpose=purpose) > 0:
        assert time.monotonic() < deadline, f"the {purpose.value} resend cooldown did not end"
        time.sleep(0.2)


def time_step() -> int:
    """The current TOTP time step."""
    return int(time.time() // TOTP_STEP_SECONDS)


def wait_for_step_after(step: int) -> None:
    """Poll (at most one step) until the TOTP time step is later than `step`: a used step never works again."""
    deadline = time.monotonic() + TOTP_STEP_SECONDS + 2
    while time_step() <= step:
        assert time.monotonic() < deadline, "the TOTP time step did not change"
        time.sleep(0.2)


def add_authenticator(page: Page, sms: LocalPlivo, e164: str) -> tuple[pyotp.TOTP, int]:
    """On settings: password, the texted code, then a current code from the key shown.

    Returns the authenticator and the time step whose code confirmed it.
    """
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    sent = texts_to(sms, e164)
    page.get_by_role("button", name="Text me a code").click()
    submit_code(page, wait_for_code(sms, e164, after=sent))

    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    key_line = page.get_by_test_id("totp-key")
    expect(key_line).to_be_visible()
    audit(page, "authenticator setup")
    match = KEY_LINE.match(key_line.inner_text().strip())
    assert match is not None, "no base32 key next to the QR code"
    totp = pyotp.TOTP(match.group(1).replace(" ", ""))
    step = time_step()
    submit_code(page, totp.at(step * TOTP_STEP_SECONDS))
    expect(page.get_by_text("Authenticator app added.").first).to_be_visible()
    row = page.get_by_test_id("method-row").filter(has_text="Authenticator app")
    expect(row.get_by_text("On", exact=True)).to_be_visible()
    audit(page, "settings, authenticator added")
    return totp, step


def choose_texted_code(page: Page) -> None:
    """On the wizard's password step: confirm with a texted code, when the step opened on a stronger factor (a
    passkey, the authenticator app)."""
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    stronger = page.get_by_role("button", name="Continue with a passkey").or_(page.get_by_label("Verification code"))
    if stronger.count():
        page.get_by_role("button", name="Text me a code").click()
        expect(stronger).to_have_count(0)


def reauthenticate(page: Page, sms: LocalPlivo, backend: Services, email: str, e164: str) -> None:
    """The wizard's password step, then the code texted to the current number (once the last re-authentication
    text's resend cooldown is over: a fast run may come back within it)."""
    wait_out_login_cooldown(backend, email, Purpose.REAUTH)
    choose_texted_code(page)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    sent = texts_to(sms, e164)
    page.get_by_role("button", name="Text me a code").click()
    submit_code(page, wait_for_code(sms, e164, after=sent))


def signed_in(page: Page, sms: LocalPlivo, email: str, e164: str) -> None:
    """In through the password and a texted code, on the dashboard."""
    log_in_to_challenge(page, email, e164)
    submit_code(page, wait_for_code(sms, e164))
    expect_dashboard(page, email)
