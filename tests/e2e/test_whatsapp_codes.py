"""Issue 27 in Chromium: codes by WhatsApp, chosen at enrollment, read from the template the local Plivo received,
and "Send a text instead" when the template is not delivered (the same code, by text, once)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.support.factories import PASSWORD, create_user
from tests.support.plivo_server import NO_REPORT, LocalPlivo
from tests.support.redis_server import RedisServer
from tests.support.smtp_server import LocalSmtp

pytestmark = pytest.mark.e2e

WHATSAPP_PROMPT = "page.enter_whatsapp_code"


def newest_message(sms: LocalPlivo, e164: str, kind: str, after: int = 0, timeout: float = 15.0) -> dict:
    """The newest message of `kind` ("whatsapp" or "sms") to `e164`, once more than `after` of them arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in sms.messages if m["dst"] == e164 and m.get("type", "sms") == kind]
        if len(found) > after:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError(f"no {kind} message reached the phone within {timeout:.0f}s")


def whatsapp_account(backend: Services) -> tuple[str, str]:
    """An account with 2FA on whose codes go by WhatsApp."""
    email, e164 = flows.new_email(), flows.new_phone()
    user = create_user(backend, email, phone=e164)
    assert backend.accounts.set_phone_channel(user.id or 0, "whatsapp")
    return email, e164


def log_in_to_whatsapp_challenge(page: Page, email: str, password: str = PASSWORD) -> None:
    """The password step of an account whose codes go by WhatsApp: the challenge says so."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(flows.CHALLENGE)
    expect(flows.said(page, WHATSAPP_PROMPT)).to_be_visible()


def test_enroll_with_whatsapp_then_sign_in_with_the_templates_code(
    page: Page, sms: LocalPlivo, mail: LocalSmtp, redis_server: RedisServer
) -> None:
    email, password = flows.sign_up(page, mail)
    e164 = flows.new_phone()
    page.get_by_role("link", name="Security settings").click()
    page.get_by_role("button", name="Enable two-factor authentication").click()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue to your phone number").click()
    page.get_by_label("Phone number").fill(flows.typed_form(e164))
    page.get_by_role("button", name="Send code").click()
    code = flows.wait_for_code(sms, e164)  # the number is proven by a text
    page.get_by_role("radio", name="WhatsApp").check()
    audit(page, "enrollment, codes by WhatsApp")
    flows.submit_code(page, code)
    expect(page.get_by_text("Two-factor authentication is on.").first).to_be_visible()
    flows.done_with_recovery_codes(page)
    expect(page.get_by_role("radio", name="WhatsApp")).to_be_checked()
    audit(page, "settings, codes by WhatsApp")
    flows.back_to_dashboard_and_log_out(page)

    log_in_to_whatsapp_challenge(page, email, password)
    template = newest_message(sms, e164, "whatsapp")
    assert template["template"]["name"] == "sms2fa_code" and template["src"] != template["dst"]
    expect(flows.said(page, "challenge.delivery.delivered")).to_be_visible()
    audit(page, "challenge, WhatsApp code delivered")
    flows.submit_code(page, sms.last_code_for(e164) or "")
    flows.expect_dashboard(page, email)


@pytest.mark.parametrize("outcome", [NO_REPORT, "failed"])
def test_a_whatsapp_code_not_delivered_is_texted_instead_and_signs_in(
    page: Page, sms: LocalPlivo, backend: Services, outcome: str
) -> None:
    email, e164 = whatsapp_account(backend)
    sms.deliver_next(outcome, error_code="131026" if outcome == "failed" else "")
    log_in_to_whatsapp_challenge(page, email)
    code = sms.last_code_for(e164) or newest_message(sms, e164, "whatsapp")["text"][-6:]
    text_instead = page.get_by_role("button", name="Send a text instead")
    expect(text_instead).to_be_visible(timeout=15_000)  # at once when failed, after 3 s without a report
    if outcome == "failed":
        expect(flows.said(page, "challenge.delivery.whatsapp_lost")).to_be_visible()
    audit(page, f"challenge, WhatsApp not delivered ({outcome})")
    text_instead.click()
    expect(flows.said(page, "challenge.texted_instead")).to_be_visible()
    expect(text_instead).to_have_count(0)  # once per code
    audit(page, "challenge, texted instead")
    texted = newest_message(sms, e164, "sms")
    assert code in texted["text"]  # the same code, by text
    flows.submit_code(page, code)
    flows.expect_dashboard(page, email)


def test_switching_codes_to_whatsapp_in_settings_asks_for_the_password_and_a_code_first(
    page: Page, sms: LocalPlivo, mail: LocalSmtp, backend: Services
) -> None:
    """The radio next to the number opens the re-authentication a number change takes; only then do codes go by
    WhatsApp, and the owner is mailed."""
    email, e164 = flows.seeded_account(backend)
    flows.signed_in(page, sms, email, e164)
    flows.open_settings(page)
    mails = len(mail.to(email))
    page.get_by_role("radio", name="WhatsApp").click()  # not check(): the radio shows the stored choice
    expect(page.get_by_role("heading", name="Get your codes by WhatsApp")).to_be_visible()
    assert backend.accounts.find_by_email(email).phone_channel == "sms"  # nothing yet: the password first
    audit(page, "settings, codes by WhatsApp: re-authentication")
    flows.choose_texted_code(page)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    sent = flows.texts_to(sms, e164)
    page.get_by_role("button", name="Text me a code").click()
    flows.submit_code(page, flows.wait_for_code(sms, e164, after=sent))
    expect(flows.said(page, "settings.channel_saved.whatsapp")).to_be_visible()
    expect(page.get_by_role("radio", name="WhatsApp")).to_be_checked()
    assert backend.accounts.find_by_email(email).phone_channel == "whatsapp"
    assert "WhatsApp" in mail.wait_for(email, after=mails).subject
