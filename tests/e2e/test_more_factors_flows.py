"""Beyond SMS (issue 6), the way a person meets it in Chromium: recovery codes, an authenticator app, and a
remembered device.

Texted codes are read from the local Plivo's outbox; authenticator codes come from pyotp with the key the
settings page shows. Each test uses its own account and phone number.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.support.plivo_server import LocalPlivo
from tests.support.redis_server import RedisServer
from tests.support.smtp_server import LocalSmtp

pytestmark = pytest.mark.e2e


# ---- flows ---------------------------------------------------------------------------------------


def test_sign_in_with_a_recovery_code_that_then_is_used_up(
    page: Page, sms: LocalPlivo, mail: LocalSmtp, backend: Services, redis_server: RedisServer
) -> None:
    """Enroll and read the 10 codes; one signs in once, then is refused; settings counts 9 left."""
    email, password = flows.sign_up(page, mail)
    e164 = flows.new_phone()
    flows.enroll(page, sms, redis_server, e164, password)
    code_elements = page.get_by_test_id("recovery-code")
    expect(code_elements).to_have_count(10)
    codes = [text.strip() for text in code_elements.all_inner_texts()]
    assert all(flows.RECOVERY_CODE.match(code) for code in codes), codes
    assert len(set(codes)) == 10
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    expect(page.get_by_role("button", name="Download")).to_be_visible()
    flows.done_with_recovery_codes(page)
    expect(page.get_by_text("10 recovery codes left")).to_be_visible()
    flows.back_to_dashboard_and_log_out(page)

    flows.log_in_to_challenge(page, email, e164, password)
    flows.redeem_recovery_code(page, codes[0])
    flows.expect_dashboard(page, email)
    flows.log_out(page)

    flows.wait_out_login_cooldown(backend, email)  # so this login texts a code of its own
    sent = flows.texts_to(sms, e164)
    flows.log_in_to_challenge(page, email, e164, password)
    login_code = flows.wait_for_code(sms, e164, after=sent)
    flows.redeem_recovery_code(page, codes[0])
    expect(flows.said(page, flows.RECOVERY_SPENT)).to_be_visible()
    audit(page, "challenge, a spent recovery code")
    expect(page).to_have_url(flows.CHALLENGE)

    # In with the texted code instead, not with a second recovery code.
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_label("Verification code")).to_be_visible()
    flows.submit_code(page, login_code)
    flows.expect_dashboard(page, email)
    flows.open_settings(page)
    expect(page.get_by_text("9 recovery codes left")).to_be_visible()


def test_set_up_an_authenticator_app_and_sign_in_with_it(page: Page, sms: LocalPlivo, backend: Services) -> None:
    """Set up TOTP from the key shown; sign in with a current code; the next login defaults to the app."""
    email, e164 = flows.seeded_account(backend)
    flows.signed_in(page, sms, email, e164)
    flows.open_settings(page)
    totp, setup_step = flows.add_authenticator(page, sms, e164)
    flows.back_to_dashboard_and_log_out(page)

    flows.wait_out_login_cooldown(backend, email)  # a fast run is back within the first login's cooldown
    flows.log_in_to_challenge(page, email, e164)  # texts stay the default until the app is used once
    page.get_by_role("button", name="Use my authenticator app").click()
    expect(page.get_by_text(flows.TOTP_PROMPT)).to_be_visible()
    audit(page, "challenge, an authenticator code")
    flows.wait_for_step_after(setup_step)  # the setup code's step is used up
    flows.submit_code(page, totp.now())
    flows.expect_dashboard(page, email)
    flows.log_out(page)

    sent = flows.texts_to(sms, e164)
    flows.submit_password(page, email)
    expect(page).to_have_url(flows.CHALLENGE)
    expect(page.get_by_text(flows.TOTP_PROMPT)).to_be_visible()
    expect(page.get_by_role("button", name="Text me a code")).to_be_visible()
    expect(page.get_by_role("button", name="Use my authenticator app")).to_have_count(0)
    time.sleep(1)  # with the app as the default, the password step texts nothing
    assert flows.texts_to(sms, e164) == sent


def test_a_remembered_device_skips_the_challenge_until_forgotten(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    """The texted code with 'Remember this device' ticked; the next login skips the challenge until 'Forget'."""
    email, e164 = flows.seeded_account(backend)
    flows.log_in_to_challenge(page, email, e164)
    code = flows.wait_for_code(sms, e164)
    remember = page.get_by_role("checkbox", name="Remember this device for 30 days")
    remember.check()
    expect(remember).to_be_checked()
    flows.submit_code(page, code)
    flows.expect_dashboard(page, email)
    flows.log_out(page)

    sent = flows.texts_to(sms, e164)
    flows.submit_password(page, email)
    flows.expect_dashboard(page, email)
    assert flows.texts_to(sms, e164) == sent  # no code was texted for this login

    flows.open_settings(page)
    expect(page.get_by_role("heading", name="Remembered devices")).to_be_visible()
    audit(page, "settings, a remembered device")
    forget = page.get_by_role("button", name=re.compile(r"^Forget .+ on .+$"))  # "Forget Chrome on Linux"
    expect(forget).to_have_count(1)
    forget.click()
    expect(page.get_by_text("No remembered devices.", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Forget .+ on .+$"))).to_have_count(0)
    expect(page.get_by_role("heading", name="Remembered devices")).to_be_focused()  # not <body>: the button is gone
    audit(page, "settings, no remembered device")
    flows.back_to_dashboard_and_log_out(page)

    flows.log_in_to_challenge(page, email, e164)  # the challenge again, not the dashboard
    expect(page.get_by_role("checkbox", name="Remember this device for 30 days")).not_to_be_checked()
