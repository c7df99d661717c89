"""Issue 27 (Plivo Lookup) in Chromium: a number the local Plivo's Lookup calls a landline is offered a call, finishes
enrollment with the called code and is called again at sign-in; a VoIP number is refused with its sentence. Each new
state is audited (axe: 0 violations)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.support.factories import PASSWORD, create_user
from tests.support.plivo_server import LocalPlivo

pytestmark = pytest.mark.e2e

CALL_TIMEOUT_SECONDS = 15.0


def wait_for_call_code(sms: LocalPlivo, e164: str, after: int = 0) -> str:
    """The code read out by the newest answered call to `e164`, once more than `after` calls reached it."""
    deadline = time.monotonic() + CALL_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        calls = [call for call in sms.calls if call["to"] == e164]
        code = sms.last_call_code_for(e164) if len(calls) > after and "spoken" in calls[-1] else None
        if code is not None:
            return code
        time.sleep(0.1)
    raise AssertionError(f"no answered call to the phone within {CALL_TIMEOUT_SECONDS:.0f}s")


def at_phone_step(page: Page, backend: Services) -> str:
    """A signed-in account without 2FA, on the wizard's phone step; returns its email."""
    email = flows.new_email()
    create_user(backend, email)
    flows.submit_password(page, email)
    expect(page).to_have_url(flows.DASHBOARD)
    page.get_by_role("link", name="Security settings").click()
    page.get_by_role("button", name="Enable two-factor authentication").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue to your phone number").click()
    expect(page.get_by_label("Phone number")).to_be_visible()
    return email


def test_a_landline_is_offered_a_call_and_signs_in_with_called_codes(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    e164 = flows.new_phone()
    sms.lookups.answer_for(e164, "fixed")
    email = at_phone_step(page, backend)
    page.get_by_label("Phone number").fill(flows.typed_form(e164))
    page.get_by_role("button", name="Send code").click()
    expect(flows.said(page, "settings.landline_call")).to_be_visible()
    expect(page.get_by_label("Verification code")).to_be_visible()
    audit(page, "enrollment, a landline is called")
    flows.submit_code(page, wait_for_call_code(sms, e164))
    expect(page.get_by_text("Two-factor authentication is on.").first).to_be_visible()
    assert flows.texts_to(sms, e164) == 0 and sms.lookups.requests == [e164]
    flows.done_with_recovery_codes(page)
    flows.back_to_dashboard_and_log_out(page)

    flows.wait_out_login_cooldown(backend, email)
    flows.submit_password(page, email)
    expect(page).to_have_url(flows.CHALLENGE)
    flows.submit_code(page, wait_for_call_code(sms, e164, after=1))  # the sign-in code comes by call too
    flows.expect_dashboard(page, email)
    assert flows.texts_to(sms, e164) == 0 and sms.lookups.requests == [e164]  # looked up once, at enrollment


def test_a_voip_number_is_refused_with_its_sentence(page: Page, sms: LocalPlivo, backend: Services) -> None:
    e164 = flows.new_phone()
    sms.lookups.answer_for(e164, "voip")
    at_phone_step(page, backend)
    page.get_by_label("Phone number").fill(flows.typed_form(e164))
    page.get_by_role("button", name="Send code").click()
    expect(flows.said(page, "challenge.send.voip")).to_be_visible()
    expect(page.get_by_label("Phone number")).to_be_visible()  # still on the phone step: nothing was sent
    audit(page, "enrollment, a VoIP number is refused")
    assert flows.texts_to(sms, e164) == 0 and sms.calls == [] and sms.lookups.requests == [e164]
