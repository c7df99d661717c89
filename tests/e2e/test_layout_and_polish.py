"""Issue 23's layout and polish in Chromium: settings as separate cards with an index at desktop width (the same
order on a phone), targets of at least 24x24 px, plain monospace codes and key, the otpauth link on phones, red
borders on fields in error, the signed-in address kept whole, the focus on each step's heading, named Sign out
buttons, the delete button that waits for its box, the activity page (grouped, named, paged, filtered) and the
admin charts (empty, currency, 375 px).

Screenshots of the settings page at 375 and 1280 px in light and dark mode go to test-artifacts/issue23/ (and
the audit's own under test-artifacts/screens/)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import delete, select

from sms2fa_app.backend.admin.cli import set_admin
from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.infra.client import ClientInfo
from sms2fa_app.backend.models import SmsOpsEvent, User
from sms2fa_app.backend.services import Services
from sms2fa_app.backend.vocabulary import EventKind
from sms2fa_app.state import words
from sms2fa_app.state.activity import PAGE_SIZE
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.support.browser import ARTIFACTS
from tests.support.factories import CHROME, PASSWORD, log_in, register_passkey
from tests.support.plivo_server import LocalPlivo
from tests.support.smtp_server import LocalSmtp
from tests.support.soft_authenticator import SoftAuthenticator

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "issue23"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
SECTIONS = ["Sign-in methods", "Devices and sessions", "Password", "Danger zone"]
MIN_TARGET_PX = 24  # WCAG 2.2, 2.5.8
FOCUSED_ID = "() => document.activeElement && document.activeElement.id"
FOCUSED_TEXT = "() => document.activeElement && document.activeElement.textContent"
NO_SIDEWAYS_SCROLL = "() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"


def shoot_both_modes(page: Page, name: str) -> None:
    """The page at 375 and 1280 px in light and dark mode (then light and desktop again)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky index where a visitor first sees it
    for mode in ("light", "dark"):
        page.emulate_media(color_scheme=mode)
        page.wait_for_function("(mode) => document.documentElement.classList.contains(mode)", arg=mode)
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            page.screenshot(path=str(SHOTS / f"{name}-{mode}-{viewport['width']}.png"), full_page=True)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(DESKTOP)


def box_size(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["width"], box["height"]


def assert_target_size(locator: Locator) -> None:
    width, height = box_size(locator)
    assert width >= MIN_TARGET_PX and height >= MIN_TARGET_PX, (width, height)


def expect_focus_on_heading(page: Page, name: str) -> None:
    """The step's heading has the focus (not <body>)."""
    heading = page.get_by_role("heading", name=name)
    expect(heading).to_be_visible()
    page.wait_for_function(f"() => document.activeElement && document.activeElement.textContent === {name!r}")
    assert page.evaluate("() => /^H[1-6]$/.test(document.activeElement.tagName)")


def section_titles(page: Page) -> list[str]:
    return [
        section.get_by_role("heading", level=2).first.inner_text()
        for section in page.get_by_test_id("settings-section").all()
    ]


def signed_in_to_settings(page: Page, sms: LocalPlivo, backend: Services) -> tuple[str, str]:
    """A 2FA account with a passkey and a second session, signed in, on /settings; (email, phone)."""
    email, e164 = flows.seeded_account(backend)
    flows.signed_in(page, sms, email, e164)  # with texts (a passkey would be offered first)
    user_id = user_id_of(backend, email)
    register_passkey(backend, user_id, SoftAuthenticator(backend.settings.passkey_origin), name="Work laptop")
    log_in(backend, email)  # another browser's session
    flows.open_settings(page)
    return email, e164


def user_id_of(backend: Services, email: str) -> int:
    with backend.database.session() as db:
        user_id = db.exec(select(User.id).where(User.email == email)).one()
        assert user_id is not None
        return int(user_id)


# ---- settings --------------------------------------------------------------------------------------------


def test_settings_sections_are_cards_in_one_order_with_an_index_at_desktop_width(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    email, e164 = signed_in_to_settings(page, sms, backend)
    page.set_viewport_size(DESKTOP)
    assert section_titles(page) == SECTIONS
    index = page.get_by_role("navigation", name="Settings sections")
    expect(index).to_be_visible()
    assert [link.inner_text() for link in index.get_by_role("link").all()] == SECTIONS
    danger, devices = page.locator("#danger-zone"), page.locator("#devices-and-sessions")
    expect(danger.get_by_role("button", name="Turn off two-factor authentication")).to_be_visible()
    expect(devices.get_by_role("button", name="Turn off two-factor authentication")).to_have_count(0)
    expect(devices.get_by_role("heading", name="Remembered devices")).to_be_visible()
    audit(page, "settings, sections")
    shoot_both_modes(page, "settings")
    index.get_by_role("link", name="Danger zone").click()
    expect(page).to_have_url(re.compile("#danger-zone$"))

    page.set_viewport_size(PHONE)  # one column, the same order, no index
    expect(index).to_be_hidden()
    assert section_titles(page) == SECTIONS
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    tops = [section.bounding_box()["y"] for section in page.get_by_test_id("settings-section").all()]  # type: ignore[index]
    assert tops == sorted(tops)

    # Every session's Sign out names its session; Rename and Remove are real targets.
    sign_outs = devices.get_by_role("button", name=re.compile("^Sign out session"))
    names = [button.get_attribute("aria-label") for button in sign_outs.all()]
    assert len(names) == 2 and len(set(names)) == 2, names
    for button in sign_outs.all():
        assert_target_size(button)
    for action in ("Rename Work laptop", "Remove Work laptop"):
        assert_target_size(page.get_by_role("button", name=action))
    page.set_viewport_size(DESKTOP)

    # Deleting: step 2 opens on its heading; the button waits for the box.
    page.get_by_role("button", name="Delete my account").click()
    flows.reauthenticate(page, sms, backend, email, e164)
    delete_button = page.get_by_role("button", name="Delete my account permanently")
    expect(delete_button).to_be_disabled()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'step-heading'")
    audit(page, "settings, delete account, step 2")
    page.get_by_role("checkbox", name="I understand that this cannot be undone").check()
    expect(delete_button).to_be_enabled()
    page.get_by_role("checkbox", name="I understand that this cannot be undone").uncheck()
    expect(delete_button).to_be_disabled()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_test_id("settings-section")).to_have_count(len(SECTIONS))
    assert section_titles(page) == SECTIONS


def test_recovery_codes_and_the_key_read_as_plain_monospace_with_an_app_link_on_phones(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    email, e164 = signed_in_to_settings(page, sms, backend)
    page.get_by_role("button", name="Regenerate recovery codes").click()
    flows.reauthenticate(page, sms, backend, email, e164)
    expect_focus_on_heading(page, words.settings.RECOVERY_HEADING)
    codes = page.get_by_test_id("recovery-code")
    expect(codes).to_have_count(10)
    first = codes.first
    assert "mono" in first.evaluate("e => getComputedStyle(e).fontFamily").lower()
    body_color = page.evaluate("getComputedStyle(document.querySelector('main')).color")
    assert first.evaluate("e => getComputedStyle(e).color") == body_color  # not an accent, not a link
    assert first.evaluate("e => e.closest('a, button, code') === null")
    audit(page, "settings, recovery codes regenerated")
    flows.done_with_recovery_codes(page)

    page.get_by_role("button", name="Set up an authenticator app").click()
    flows.reauthenticate(page, sms, backend, email, e164)
    key = page.get_by_test_id("totp-key")
    expect(key).to_be_visible()
    assert "mono" in key.evaluate("e => getComputedStyle(e).fontFamily").lower()
    assert float(key.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 16
    app_link = page.get_by_role("link", name="Open in authenticator app")
    expect(app_link).to_be_hidden()  # a desktop scans the QR code
    page.set_viewport_size(PHONE)
    expect(app_link).to_be_visible()
    assert (app_link.get_attribute("href") or "").startswith("otpauth://totp/")
    assert_target_size(app_link)
    audit(page, "settings, authenticator setup on a phone")
    page.set_viewport_size(DESKTOP)


def test_not_you_is_a_real_target_and_a_field_in_error_has_a_red_border(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    email, e164 = flows.seeded_account(backend)
    flows.log_in_to_challenge(page, email, e164)
    page.set_viewport_size(PHONE)
    assert_target_size(page.get_by_test_id("not-you"))
    page.set_viewport_size(DESKTOP)
    page.get_by_test_id("not-you").click()
    expect(page).to_have_url(flows.LOGIN)

    page.goto("/signup")
    page.get_by_label("Email").fill("not-an-address")
    page.get_by_role("button", name="Create account").click()
    field = page.locator("#field-email")
    expect(field).to_have_attribute("aria-invalid", "true")
    red = field.evaluate("e => getComputedStyle(e.closest('.rt-TextFieldRoot')).boxShadow")
    quiet = page.locator("#field-confirm_password").evaluate(
        "e => getComputedStyle(e.closest('.rt-TextFieldRoot')).boxShadow"
    )
    assert red != quiet and re.search(r"rgb\(2[0-9]{2}, [0-9]{1,2}, [0-9]{1,2}\)", red), (red, quiet)
    field.fill("ada@example.com")  # edited: the error and the red border go
    expect(field).to_have_attribute("aria-invalid", "false")
    assert field.evaluate("e => getComputedStyle(e.closest('.rt-TextFieldRoot')).boxShadow") == quiet


def test_the_dashboard_keeps_a_hyphenated_address_whole_and_links_an_admin_to_the_console(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    email, e164 = flows.seeded_account(backend)  # e2e-2fa-<hex>@example.com: hyphens to break at
    assert "is now an admin" in set_admin(backend.database, backend.clock, email, True)
    flows.signed_in(page, sms, email, e164)
    expect(page.get_by_role("link", name="Admin console")).to_have_attribute("href", "/admin")
    page.set_viewport_size(PHONE)
    shown = page.get_by_test_id("signed-in-email")
    assert shown.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    line = float(shown.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert box_size(shown)[1] < 1.5 * line  # one line
    audit(page, "dashboard, an admin on a phone")
    page.set_viewport_size(DESKTOP)


# ---- the focus on each step's heading ----------------------------------------------------------------------


def test_each_email_step_opens_on_its_heading(page: Page, sms: LocalPlivo, mail: LocalSmtp, backend: Services) -> None:
    page.goto("/signup")
    email, _password = flows.fill_sign_up(page)
    expect_focus_on_heading(page, "Check your email")
    expect(page.get_by_role("link", name=re.compile("log in", re.IGNORECASE))).to_have_count(1)
    audit(page, "sign-up, check your email")

    page.goto(mail.wait_for(email).link_to("/verify-email"))
    expect_focus_on_heading(page, "One step left")
    page.get_by_role("button", name="Confirm my email address").click()
    expect_focus_on_heading(page, "Email address confirmed")

    account, e164 = flows.seeded_account(backend)
    page.goto("/forgot-password")
    assert page.evaluate(FOCUSED_ID) == "field-email"  # the page opens on its one field
    page.get_by_label("Email").fill(account)
    page.get_by_role("button", name="Send reset link").click()
    expect_focus_on_heading(page, "Check your email")
    link = mail.wait_for(account).link_to("/reset-password")

    page.goto(link)
    expect_focus_on_heading(page, "Confirm it's you")
    sent = flows.texts_to(sms, e164)
    page.get_by_role("button", name="Text me the code").click()
    flows.submit_code(page, flows.wait_for_code(sms, e164, after=sent))
    expect_focus_on_heading(page, "Your new password")
    page.get_by_label("New password", exact=True).fill(PASSWORD + " again")
    page.get_by_label("Confirm new password").fill(PASSWORD + " again")
    page.get_by_role("button", name="Set new password").click()
    expect_focus_on_heading(page, "Password changed")
    page.goto(link)
    expect_focus_on_heading(page, "This link can't be used")


# ---- activity ----------------------------------------------------------------------------------------------


def test_activity_groups_identical_rows_names_the_passkey_and_pages(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    email, e164 = flows.seeded_account(backend)
    user_id = user_id_of(backend, email)
    client = ClientInfo("203.0.113.7", CHROME)
    with backend.database.session() as tx:
        for number in range(PAGE_SIZE + 4):
            kind = EventKind.PASSWORD_CHANGED if number % 2 else EventKind.RECOVERY_CODES_REGENERATED
            backend.activity.record(tx, user_id, kind, client=client)
        backend.activity.record(tx, user_id, EventKind.PASSKEY_ADDED, "Work laptop", client=client)
        for _ in range(5):
            backend.activity.record(tx, user_id, EventKind.SECOND_FACTOR_FAILED, "totp", client=client)
    flows.signed_in(page, sms, email, e164)
    expect(page.get_by_role("link", name="Admin console")).to_have_count(0)  # not an admin
    page.goto("/activity")
    rows = page.get_by_test_id("activity-row")
    expect(rows).to_have_count(PAGE_SIZE)
    lines = [text.splitlines()[0] for text in rows.all_inner_texts()]
    assert lines[0] == "Signed in with a texted code"
    assert lines[1].startswith("Wrong authenticator app code entered") and words.activity.repeated(5) in lines[1]
    assert lines[2] == "Passkey added: Work laptop"
    expect(page.get_by_test_id("activity-page")).to_have_text("Page 1 of 2")
    audit(page, "security activity, grouped and paged")
    page.get_by_role("button", name="Older").click()
    expect(page.get_by_test_id("activity-page")).to_have_text("Page 2 of 2")
    expect(page.get_by_role("button", name="Older")).to_be_disabled()
    page.get_by_label("Show").select_option(words.activity.FAILURES)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Wrong authenticator app code entered")
    expect(page.get_by_test_id("activity-page")).to_have_count(0)


# ---- the admin charts --------------------------------------------------------------------------------------


def test_empty_admin_charts_say_so_spend_has_a_currency_and_a_phone_reads_them(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    email, e164 = flows.seeded_account(backend)
    assert "is now an admin" in set_admin(backend.database, backend.clock, email, True)
    flows.signed_in(page, sms, email, e164)
    page.get_by_role("link", name="Admin console").click()
    expect(page).to_have_url(re.compile("/admin/?$"))
    backend.admin.ops_events.flush()  # the sign-in's text waits in Redis until stored (issue 24): store it, then
    with backend.database.session() as db:  # empty the charts
        db.exec(delete(SmsOpsEvent))  # type: ignore[call-overload]
    page.goto("/admin/sms")
    expect(page.locator(f'[data-message-id="{words.admin.NO_DATA.id}"]')).to_have_count(7)  # WhatsApp's too
    expect(page.locator(".recharts-surface")).to_have_count(0)  # no bare axes
    expect(page.locator("#admin-total-spend")).to_have_text("Estimated spend: 0.00 USD")
    audit(page, "admin, SMS operations, empty")

    for index in range(3):
        backend.admin.ops_events.text(Channel.SMS, "US", "sent", f"issue23-{index}")
    backend.admin.ops_events.text(Channel.SMS, "US", "global_budget")
    page.get_by_role("button", name="Refresh").click()
    expect(page.get_by_role("application").first).to_be_visible()
    expect(page.locator("#admin-total-spend")).to_have_text(re.compile(r"^Estimated spend: 0\.0[0-9] USD$"))
    expect(page.locator("#chart-spend")).to_contain_text("spend (USD)")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)  # recharts redraws on resize
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    for chart in page.locator(".admin-chart svg[role=application]").all():
        assert box_size(chart)[0] <= PHONE["width"]
    tick = page.locator("#chart-texts .recharts-cartesian-axis-tick-value").first
    assert float(tick.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 11
    audit(page, "admin, SMS operations on a phone")
    page.set_viewport_size(DESKTOP)
