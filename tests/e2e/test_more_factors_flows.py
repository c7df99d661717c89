"""Beyond SMS (issue 6), the way a person meets it in Chromium: recovery codes, an authenticator app, and a
remembered device.

Texted codes are read from the local Plivo's outbox; authenticator codes come from pyotp with the key the
settings page shows. Each test uses its own account and phone number.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.services import Services
from tests.e2e.audit import audit
from tests.e2e.test_two_factor_flows import (
    CHALLENGE,
    DASHBOARD,
    alert,
    done_with_recovery_codes,
    enroll,
    expect_dashboard,
    log_in_to_challenge,
    log_out,
    new_phone,
    seeded_account,
    sign_up,
    submit_code,
    texts_to,
    wait_for_code,
)
from tests.support.factories import PASSWORD
from tests.support.plivo_server import LocalPlivo
from tests.support.redis_server import RedisServer
from tests.support.smtp_server import LocalSmtp

pytestmark = pytest.mark.e2e

RECOVERY_CODE = re.compile(r"^[a-z0-9]{5}-[a-z0-9]{5}$")
RECOVERY_SPENT = "That recovery code was already used. Each works once: try another one."  # spent: refused, not a guess
TOTP_PROMPT = "Enter the 6-digit code from your authenticator app."
RECOVERY_PROMPT = "Enter one of your recovery codes. Each works once."
KEY_LINE = re.compile(r"^Key: ((?:[A-Z2-7]{1,4} ?)+)$")  # in groups of four
TOTP_STEP_SECONDS = 30


# ---- helpers -------------------------------------------------------------------------------------


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
    key_line = page.get_by_text(KEY_LINE)
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


# ---- flows ---------------------------------------------------------------------------------------


def test_sign_in_with_a_recovery_code_that_then_is_used_up(
    page: Page, sms: LocalPlivo, mail: LocalSmtp, backend: Services, redis_server: RedisServer
) -> None:
    """Enroll and read the 10 codes; one signs in once, then is refused; settings counts 9 left."""
    email, password = sign_up(page, mail)
    e164 = new_phone()
    enroll(page, sms, redis_server, e164, password)
    code_elements = page.locator("li code")
    expect(code_elements).to_have_count(10)
    codes = [text.strip() for text in code_elements.all_inner_texts()]
    assert all(RECOVERY_CODE.match(code) for code in codes), codes
    assert len(set(codes)) == 10
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    expect(page.get_by_role("button", name="Download")).to_be_visible()
    done_with_recovery_codes(page)
    expect(page.get_by_text("10 recovery codes left")).to_be_visible()
    back_to_dashboard_and_log_out(page)

    log_in_to_challenge(page, email, e164, password)
    redeem_recovery_code(page, codes[0])
    expect_dashboard(page, email)
    log_out(page)

    wait_out_login_cooldown(backend, email)  # so this login texts a code of its own
    sent = texts_to(sms, e164)
    log_in_to_challenge(page, email, e164, password)
    login_code = wait_for_code(sms, e164, after=sent)
    redeem_recovery_code(page, codes[0])
    expect(alert(page, RECOVERY_SPENT)).to_be_visible()
    audit(page, "challenge, a spent recovery code")
    expect(page).to_have_url(CHALLENGE)

    # In with the texted code instead, not with a second recovery code.
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_label("Verification code")).to_be_visible()
    submit_code(page, login_code)
    expect_dashboard(page, email)
    open_settings(page)
    expect(page.get_by_text("9 recovery codes left")).to_be_visible()


def test_set_up_an_authenticator_app_and_sign_in_with_it(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """Set up TOTP from the key shown; sign in with a current code; the next login defaults to the app."""
    email, e164 = seeded_account(backend)
    log_in_to_challenge(page, email, e164)
    submit_code(page, wait_for_code(sms, e164))
    expect_dashboard(page, email)
    open_settings(page)
    totp, setup_step = add_authenticator(page, sms, e164)
    back_to_dashboard_and_log_out(page)

    log_in_to_challenge(page, email, e164)  # texts stay the default until the app is used once
    page.get_by_role("button", name="Use my authenticator app").click()
    expect(page.get_by_text(TOTP_PROMPT)).to_be_visible()
    audit(page, "challenge, an authenticator code")
    wait_for_step_after(setup_step)  # the setup code's step is used up
    submit_code(page, totp.now())
    expect_dashboard(page, email)
    log_out(page)

    sent = texts_to(sms, e164)
    submit_password(page, email)
    expect(page).to_have_url(CHALLENGE)
    expect(page.get_by_text(TOTP_PROMPT)).to_be_visible()
    expect(page.get_by_role("button", name="Text me a code")).to_be_visible()
    expect(page.get_by_role("button", name="Use my authenticator app")).to_have_count(0)
    time.sleep(1)  # with the app as the default, the password step texts nothing
    assert texts_to(sms, e164) == sent


def test_a_remembered_device_skips_the_challenge_until_forgotten(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    """The texted code with 'Remember this device' ticked; the next login skips the challenge until 'Forget'."""
    email, e164 = seeded_account(backend)
    log_in_to_challenge(page, email, e164)
    code = wait_for_code(sms, e164)
    remember = page.get_by_role("checkbox", name="Remember this device for 30 days")
    remember.check()
    expect(remember).to_be_checked()
    submit_code(page, code)
    expect_dashboard(page, email)
    log_out(page)

    sent = texts_to(sms, e164)
    submit_password(page, email)
    expect_dashboard(page, email)
    assert texts_to(sms, e164) == sent  # no code was texted for this login

    open_settings(page)
    expect(page.get_by_role("heading", name="Remembered devices")).to_be_visible()
    audit(page, "settings, a remembered device")
    forget = page.get_by_role("button", name=re.compile(r"^Forget .+ on .+$"))  # "Forget Chrome on Linux"
    expect(forget).to_have_count(1)
    forget.click()
    expect(page.get_by_text("No remembered devices.", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Forget .+ on .+$"))).to_have_count(0)
    expect(page.get_by_role("heading", name="Remembered devices")).to_be_focused()  # not <body>: the button is gone
    audit(page, "settings, no remembered device")
    back_to_dashboard_and_log_out(page)

    log_in_to_challenge(page, email, e164)  # the challenge again, not the dashboard
    expect(page.get_by_role("checkbox", name="Remember this device for 30 days")).not_to_be_checked()
