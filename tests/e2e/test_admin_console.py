"""The admin console in Chromium (issue 15, item 5): who may enter, a 2FA reset with its waiting period and mails
(cancelled once by the user's link, then applied), and the SMS operations charts drawn from seeded events.

No page or websocket frame the admin sees holds a code, a hash or a whole phone number."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from sms2fa_app.backend.admin.audit import Action
from sms2fa_app.backend.admin.cli import set_admin
from sms2fa_app.backend.admin.resets import CANCEL_PATH, PENDING
from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.delivery.status import Channel, DeliveryState
from sms2fa_app.backend.models import TwoFactorReset, User
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.e2e.conftest import RunningApp
from tests.support.browser_capture import BrowserCapture, whole_number_forms
from tests.support.factories import PASSWORD, create_user
from tests.support.plivo_server import LocalPlivo
from tests.support.smtp_server import LocalSmtp

pytestmark = pytest.mark.e2e

WAIT_SECONDS = 86400  # ADMIN_RESET_WAIT_SECONDS in tests/e2e/conftest.py: production allows no less
SWEEP_SECONDS = 1  # ADMIN_RESET_SWEEP_SECONDS there
NOTE = "Video call; face matched the passport on file"


def signed_in_admin(page: Page, sms: LocalPlivo, backend: Services) -> tuple[str, str]:
    """An admin with 2FA on (granted as the CLI does), signed in with the texted code; (email, phone)."""
    email, e164 = flows.seeded_account(backend)
    assert "is now an admin" in set_admin(backend.database, backend.clock, email, True)
    flows.signed_in(page, sms, email, e164)
    return email, e164


def open_account(page: Page, email: str) -> None:
    page.get_by_label("Email contains").fill(email.split("@")[0])
    page.get_by_role("button", name="Search").click()
    results = page.locator("#admin-results")
    expect(results.get_by_text(email)).to_be_visible()
    results.get_by_role("button", name="Open").click()
    expect(page.locator("#admin-account")).to_have_text(email)


def schedule_reset(page: Page) -> None:
    page.locator("#admin-check").select_option("video_call")
    page.get_by_label("What you checked").fill(NOTE)
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Schedule reset").click()
    expect(page.locator("#admin-notice")).to_have_attribute("data-message-id", "admin.reset.scheduled")
    expect(page.locator("#admin-pending-reset")).to_be_visible()
    audit(page, "admin, a reset scheduled")


def make_pending_reset_due(backend: Services, user_id: int) -> None:
    """Move the user's pending reset's due time to now, as if its day of waiting had passed (production allows
    no shorter wait, and the app runs with the real clock)."""
    with backend.database.session() as db:
        reset = db.exec(
            select(TwoFactorReset).where(col(TwoFactorReset.user_id) == user_id, col(TwoFactorReset.state) == PENDING)
        ).one()
        assert reset.due_at > time.time() + WAIT_SECONDS - 600  # scheduled a day ahead, by the app's setting
        reset.due_at = time.time()
        db.add(reset)  # committed as the session closes


def password_hash(backend: Services, email: str) -> str:
    with backend.database.session() as db:
        return db.exec(select(User.password_hash).where(User.email == email)).one()


def test_an_admin_resets_a_users_2fa_after_the_waiting_period_which_the_user_can_cancel(
    page: Page,
    browser: Browser,
    app: RunningApp,
    sms: LocalPlivo,
    mail: LocalSmtp,
    backend: Services,
    capture: BrowserCapture,
) -> None:
    admin_email, admin_e164 = signed_in_admin(page, sms, backend)
    user_email, user_e164 = flows.seeded_account(backend)
    with backend.database.session() as db:
        user_id = db.exec(select(User.id).where(User.email == user_email)).one()
    backend.sessions.create(user_id, BY_PASSWORD)  # the user is signed in somewhere

    page.goto("/admin")
    open_account(page, user_email)
    expect(page.locator("#admin-2fa")).to_have_attribute("data-state", "on")
    expect(page.locator("#admin-factors")).to_contain_text(f"•••• {user_e164[-4:]}")
    audit(page, "admin, an account")
    capture.snapshot(page)

    # First reset: the user cancels it from the mail's link, in their own browser.
    schedule_reset(page)
    scheduled = mail.wait_for(user_email)
    assert "will be reset" in scheduled.subject and "a video call" in scheduled.text
    link = scheduled.link_to(CANCEL_PATH)
    user_context = browser.new_context(base_url=app.url)
    try:
        user_page = user_context.new_page()
        user_page.goto(link)
        audit(user_page, "cancel the reset")
        user_page.get_by_role("button", name="Cancel the reset").click()
        expect(user_page.locator("#cancel-result")).to_have_attribute(
            "data-message-id", words.admin.RESET_CANCELLED_BY_LINK.id
        )
        audit(user_page, "the reset cancelled")
    finally:
        user_context.close()
    assert "cancelled" in mail.wait_for(user_email, after=1).subject
    page.locator("#admin-results").get_by_role("button", name="Open").click()
    expect(page.locator("#admin-pending-reset")).to_have_count(0)

    # Second reset: nobody cancels it; after the waiting period the sweep applies it.
    schedule_reset(page)
    scheduled_again = mail.wait_for(user_email, after=2)
    assert "will be reset" in scheduled_again.subject
    time.sleep(3 * SWEEP_SECONDS)
    assert backend.accounts.get(user_id).is_two_factor_enabled  # still waiting: the sweeps ran and left it
    make_pending_reset_due(backend, user_id)
    done = mail.wait_for(user_email, after=3, timeout=15)
    assert "was reset" in done.subject
    after = backend.accounts.get(user_id)
    assert after is not None and not after.is_two_factor_enabled and after.phone_number is None
    assert backend.sessions.list_for_user(user_id) == []
    page.locator("#admin-results").get_by_role("button", name="Open").click()
    expect(page.locator("#admin-2fa")).to_have_attribute("data-state", "off")
    expect(page.get_by_text(words.admin_pages.AUDITED[Action.APPLY_RESET])).to_be_visible()  # the audit row
    capture.snapshot(page)

    capture.assert_absent(*whole_number_forms(user_e164), *whole_number_forms(admin_e164), *flows.all_codes(sms))
    capture.assert_absent(password_hash(backend, user_email), password_hash(backend, admin_email))
    capture.assert_absent(link.split("token=", 1)[1])


def test_the_sms_charts_render_from_seeded_events(
    page: Page, sms: LocalPlivo, backend: Services, capture: BrowserCapture
) -> None:
    ops = backend.admin.ops_events
    for index in range(6):
        ops.text(Channel.SMS, "US", "sent", f"seeded-us-{index}")
        ops.report(f"seeded-us-{index}", DeliveryState.DELIVERED if index else DeliveryState.UNDELIVERED)
    for index in range(3):
        ops.text(Channel.SMS, "GB", "sent", f"seeded-gb-{index}")
    ops.text(Channel.VOICE, "US", "sent", "seeded-call")
    ops.text(Channel.SMS, "LV", "blocked")
    ops.text(Channel.SMS, "LV", "country_blocked")
    ops.text(Channel.SMS, "US", "global_budget")
    signed_in_admin(page, sms, backend)
    page.goto("/admin/sms")
    for chart in ("texts", "calls", "delivery", "refusals", "blocked", "spend"):
        expect(page.locator(f"#chart-{chart} svg.recharts-surface").first).to_be_visible()
    texts = page.locator("#chart-texts")
    expect(texts.locator(".recharts-legend-item-text", has_text=re.compile("^US$"))).to_be_visible()
    expect(texts.locator(".recharts-legend-item-text", has_text=re.compile("^GB$"))).to_be_visible()
    assert texts.locator(".recharts-bar-rectangle").count() >= 2
    assert page.locator("#chart-calls .recharts-bar-rectangle").count() >= 1
    expect(page.locator("#chart-refusals")).to_contain_text("global budget")
    expect(page.locator("#chart-blocked")).to_contain_text("LV")
    expect(page.locator("#chart-spend")).to_contain_text("GB")
    expect(page.locator("#admin-delivery-summary")).to_contain_text("% delivered")
    expect(page.locator("#admin-total-spend")).not_to_have_text("Estimated spend: 0.00")
    code_texts = page.locator("#admin-code-texts")  # each language's code text, encoding and segments (issue 26)
    expect(code_texts.locator("tr[data-locale='hi']")).to_contain_text("UCS-2")
    expect(code_texts.locator("tr[data-locale='es']")).to_contain_text("GSM-7")
    audit(page, "admin, SMS operations")
    capture.snapshot(page)
    assert not [line for line in capture.console if "Content Security Policy" in line or "pageerror" in line]
    capture.assert_absent(*flows.all_codes(sms))


def test_a_user_without_the_role_or_an_admin_without_2fa_is_refused(
    page: Page, sms: LocalPlivo, backend: Services, capture: BrowserCapture
) -> None:
    page.goto("/admin")
    expect(page).to_have_url(flows.LOGIN)  # nobody signed in: log in first

    email, e164 = flows.seeded_account(backend)  # 2FA on, no role
    flows.signed_in(page, sms, email, e164)
    page.goto("/admin")
    expect(page.locator("#admin-refusal")).to_have_attribute("data-message-id", words.admin.ADMIN_ONLY.id)
    expect(page.get_by_label("Email contains")).to_have_count(0)
    audit(page, "admin, refused")
    page.goto("/admin/sms")
    expect(page.locator("#admin-refusal")).to_have_attribute("data-message-id", words.admin.ADMIN_ONLY.id)
    expect(page.locator("svg.recharts-surface")).to_have_count(0)
    audit(page, "admin SMS operations, refused")
    page.goto("/dashboard")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(flows.LOGIN)

    no_2fa = flows.new_email()
    create_user(backend, no_2fa)
    set_admin(backend.database, backend.clock, no_2fa, True)
    page.get_by_label("Email").fill(no_2fa)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(flows.DASHBOARD)
    page.goto("/admin")
    expect(page.locator("#admin-refusal")).to_have_attribute("data-message-id", words.admin.ADMIN_NEEDS_2FA.id)
    expect(page.get_by_label("Email contains")).to_have_count(0)
    capture.assert_absent(*whole_number_forms(e164))
