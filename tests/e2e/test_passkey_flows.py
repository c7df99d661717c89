"""Passkeys (issue 16), the way a person meets them in Chromium, with Chromium's own virtual authenticator
(DevTools Protocol, no hardware): register one in settings, pass the challenge with it, sign in with it
from /login without a password, remove it and find texted codes in force again. axe-core checks every new
screen. The app is reached as http://localhost:<port>: a passkey's relying-party id is a domain name.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.e2e.browser_tools import add_virtual_authenticator
from tests.e2e.conftest import RunningApp
from tests.e2e.test_email_flows import activity_lines
from tests.support.factories import PASSWORD, register_passkey
from tests.support.plivo_server import LocalPlivo
from tests.support.smtp_server import LocalSmtp
from tests.support.soft_authenticator import SoftAuthenticator

pytestmark = pytest.mark.e2e

PASSKEY_PROMPT = "Use your passkey: your device asks for your fingerprint, face, PIN or security key."
NAME = "Test laptop"


def test_register_a_passkey_sign_in_with_it_then_remove_it(page: Page, sms: LocalPlivo, backend: Services) -> None:
    email, e164 = flows.seeded_account(backend)
    authenticator = add_virtual_authenticator(page)
    flows.signed_in(page, sms, email, e164)

    # Settings: add a passkey after re-authentication.
    flows.open_settings(page)
    row = page.get_by_test_id("method-row").filter(has_text=words.settings.METHOD_PASSKEYS)
    expect(row).to_contain_text(
        words.settings.PASSKEYS_NONE
    )  # the Passkeys row says what one is: the one place for them
    expect(page.get_by_text(words.settings.METHOD_PASSKEYS, exact=True)).to_have_count(1)
    audit(page, "settings with no passkey")
    page.get_by_role("button", name="Add a passkey").click()
    flows.reauthenticate(page, sms, backend, email, e164)
    expect(page.get_by_role("button", name="Create passkey")).to_be_visible()
    audit(page, "the passkey setup step")
    page.get_by_label("Passkey name (optional)").fill("Laptop")
    page.get_by_role("button", name="Create passkey").click()
    expect(page.get_by_text("Passkey added.").first).to_be_visible()
    listed = row.get_by_test_id("passkey")  # listed under the Passkeys row, with readable dates
    expect(listed).to_have_text(re.compile(r"^Laptop · added today · (never used|last used today)"))
    expect(row).to_contain_text(words.settings.PASSKEYS_FIRST)
    expect(page.get_by_text(words.settings.METHOD_PASSKEYS, exact=True)).to_have_count(1)
    audit(page, "settings with a passkey")
    row.get_by_role("button", name="Rename Laptop").click()  # a settings action, no re-authentication
    audit(page, "renaming a passkey")
    page.get_by_label("New name for Laptop").fill(NAME)
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Passkey renamed.")).to_be_visible()
    expect(row.get_by_role("button", name=f"Remove {NAME}")).to_be_visible()
    [credential] = authenticator.credentials()
    assert credential["rpId"] == "localhost" and credential["isResidentCredential"]
    flows.back_to_dashboard_and_log_out(page)

    # The challenge: a passkey first, nothing texted, the other factors still offered.
    sent = flows.texts_to(sms, e164)
    flows.submit_password(page, email)
    expect(page).to_have_url(flows.CHALLENGE)
    expect(page.get_by_text(PASSKEY_PROMPT)).to_be_visible()
    expect(page.get_by_role("button", name="Text me a code")).to_be_visible()
    expect(page.get_by_role("button", name="Use a recovery code")).to_be_visible()
    expect(page.get_by_role("button", name="Use a passkey")).to_have_count(0)  # it is the one shown
    audit(page, "the challenge with a passkey")
    page.get_by_role("button", name="Verify with a passkey").click()
    flows.expect_dashboard(page, email)
    assert flows.texts_to(sms, e164) == sent
    flows.log_out(page)

    # /login: one step, no email, no password.
    audit(page, "the login page")
    page.get_by_role("button", name="Sign in with a passkey").click()
    flows.expect_dashboard(page, email)
    assert authenticator.credentials()[0]["signCount"] >= 2

    # Remove it (re-authentication first): texts are in force again.
    flows.open_settings(page)
    row.get_by_role("button", name=f"Remove {NAME}").click()
    expect(page.get_by_text(f"Removing the passkey {NAME}.")).to_be_visible()
    flows.reauthenticate(page, sms, backend, email, e164)
    expect(page.get_by_text("Passkey removed. Texted codes still protect your account.").first).to_be_visible()
    expect(page.get_by_role("button", name=f"Remove {NAME}")).to_have_count(0)
    expect(row).to_contain_text(words.settings.PASSKEYS_NONE)
    flows.back_to_dashboard_and_log_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()  # the authenticator still has it
    expect(flows.said(page, words.login.PASSKEY_SIGN_IN_FAILED.id)).to_be_visible()
    expect(page).not_to_have_url(flows.DASHBOARD)
    sent = flows.texts_to(sms, e164)
    flows.log_in_to_challenge(page, email, e164)  # texted code is the default again
    expect(page.get_by_role("button", name="Use a passkey")).to_have_count(0)
    flows.submit_code(page, flows.wait_for_code(sms, e164, after=sent))
    flows.expect_dashboard(page, email)


def test_a_browser_without_webauthn_gets_words_and_the_other_factors(
    page: Page, sms: LocalPlivo, backend: Services, app: RunningApp
) -> None:
    email, e164 = flows.seeded_account(backend)
    user = backend.accounts.find_by_email(email)
    assert user is not None and user.id is not None
    register_passkey(backend, user.id, SoftAuthenticator(app.environment["WEBAUTHN_ORIGIN"]))
    page.add_init_script("delete window.PublicKeyCredential")
    flows.submit_password(page, email)
    expect(page).to_have_url(flows.CHALLENGE)
    page.get_by_role("button", name="Verify with a passkey").click()
    expect(flows.said(page, "passkey.browser.unsupported.choose_another_way")).to_be_visible()
    audit(page, "the challenge after a passkey refusal")
    page.get_by_role("button", name="Text me a code").click()
    flows.submit_code(page, flows.wait_for_code(sms, e164))
    flows.expect_dashboard(page, email)


def test_a_passkey_confirms_a_change_and_every_passkey_change_is_noticed(
    page: Page, sms: LocalPlivo, mail: LocalSmtp, backend: Services
) -> None:
    """Issue 11 meets issue 16: adding a passkey is mailed and logged; re-authentication takes the passkey
    (no text sent); the activity page names the passkey sign-in and the changes."""
    email, e164 = flows.seeded_account(backend)
    add_virtual_authenticator(page)
    flows.signed_in(page, sms, email, e164)
    flows.open_settings(page)
    page.get_by_role("button", name="Add a passkey").click()
    flows.reauthenticate(page, sms, backend, email, e164)
    page.get_by_label("Passkey name (optional)").fill("Laptop")
    page.get_by_role("button", name="Create passkey").click()
    expect(page.get_by_text("Passkey added.").first).to_be_visible()
    assert "A passkey was added" in mail.wait_for(email).subject

    # Re-authentication with the passkey: the password, then the browser's ceremony; nothing is texted.
    sent = flows.texts_to(sms, e164)
    page.get_by_role("button", name="Regenerate recovery codes").click()
    # The step opens on the strongest factor the user has: the passkey (issue 23).
    expect(page.get_by_role("button", name="Use a passkey")).to_have_count(0)
    expect(page.get_by_text("To confirm, enter your password, then use one of your passkeys.")).to_be_visible()
    audit(page, "re-authentication with a passkey")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue with a passkey").click()
    expect(page.get_by_text("Save these recovery codes somewhere safe.", exact=False)).to_be_visible()
    flows.done_with_recovery_codes(page)
    assert flows.texts_to(sms, e164) == sent
    flows.back_to_dashboard_and_log_out(page)

    # A passkey sign-in, then the activity page says how.
    page.get_by_role("button", name="Sign in with a passkey").click()
    flows.expect_dashboard(page, email)
    lines = activity_lines(page)
    assert lines[:3] == ["Signed in with a passkey", "New recovery codes made", "Passkey added: Laptop"], lines


# Counts the page's passkey creations across reloads (an init script runs before the app's own scripts), each
# answered after two seconds, as a security key waits for its touch.
TOUCH_MS = 2000
COUNT_CREATIONS = (
    f"const touchMs = {TOUCH_MS};\n"
    + """(() => {
  const credentials = navigator.credentials;
  if (!credentials || !credentials.create) { return; }
  const create = credentials.create.bind(credentials);
  credentials.create = async (options) => {
    sessionStorage.setItem("creations", String(Number(sessionStorage.getItem("creations") || 0) + 1));
    await new Promise((resolve) => setTimeout(resolve, touchMs));
    return create(options);
  };
})()"""
)


def creations(page: Page) -> int:
    """How many times the page called navigator.credentials.create."""
    return page.evaluate("() => Number(sessionStorage.getItem('creations') || 0)")


@pytest.mark.parametrize("action", ["Enter", "Enter again before the touch", "click", "double click"])
def test_one_action_creates_one_passkey_and_that_passkey_signs_in(
    page: Page, sms: LocalPlivo, backend: Services, action: str
) -> None:
    """Issue 23's blocker: a second creation for one action leaves a security key (no resident keys) holding a
    credential the server never stored, and the wizard on a spent grant. One action, one ceremony, whatever the path."""
    email, e164 = flows.seeded_account(backend)
    authenticator = add_virtual_authenticator(page, resident_keys=False)
    page.add_init_script(COUNT_CREATIONS)
    flows.signed_in(page, sms, email, e164)
    flows.open_settings(page)
    page.get_by_role("button", name="Add a passkey").click()
    flows.reauthenticate(page, sms, backend, email, e164)
    page.get_by_label("Passkey name (optional)").fill("Security key")
    if action == "Enter":
        page.get_by_label("Passkey name (optional)").press("Enter")
    elif action == "Enter again before the touch":  # nothing seems to happen while the key waits: Enter again
        page.get_by_label("Passkey name (optional)").press("Enter")
        page.wait_for_function("() => sessionStorage.getItem('creations') === '1'")  # the key now waits
        expect(page.get_by_role("button", name="Create passkey")).to_be_disabled()  # busy while the key waits
        page.get_by_label("Passkey name (optional)").press("Enter")
    elif action == "click":
        page.get_by_role("button", name="Create passkey").click()
    else:
        page.get_by_role("button", name="Create passkey").dblclick()
    expect(page.get_by_text("Passkey added.").first).to_be_visible()
    row = page.get_by_test_id("method-row").filter(has_text=words.settings.METHOD_PASSKEYS)
    expect(row.get_by_test_id("passkey")).to_have_text(re.compile(r"^Security key · added today"))
    page.wait_for_timeout(1500)  # room for a second ceremony, if one were coming
    assert creations(page) == 1
    assert len(authenticator.credentials()) == 1
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)  # not thrown back to re-authentication
    audit(page, "settings after adding a passkey")
    flows.back_to_dashboard_and_log_out(page)

    sent = flows.texts_to(sms, e164)
    flows.submit_password(page, email)
    expect(page).to_have_url(flows.CHALLENGE)
    page.get_by_role("button", name="Verify with a passkey").click()
    flows.expect_dashboard(page, email)
    assert flows.texts_to(sms, e164) == sent
