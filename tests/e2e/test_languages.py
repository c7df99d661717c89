"""Issue 26 in Chromium: the pages in the browser's language (Playwright's `locale`, i.e. Accept-Language), the
sign-up → confirm → enroll → challenge walk in Spanish and in Arabic (right to left), axe clean in both, the
language picker, and screenshots at 375 px for German and Arabic in test-artifacts/languages/; the admin console
in Spanish and Arabic, `<title>` in the tab's language, and a message on screen said again after a switch.

Every label is found by its words in the locale, read from the catalogs (`Text.translated`): a label still in
English fails the walk.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from sms2fa_app.backend.admin.cli import set_admin
from sms2fa_app.backend.admin.resets import IdentityCheck
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.recovery import RECOVERY_CODE_COUNT
from sms2fa_app.backend.i18n.locales import is_right_to_left, language_tag
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from sms2fa_app.state.words.catalogue import Text
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.e2e.conftest import RunningApp
from tests.support.browser import ARTIFACTS
from tests.support.browser_suite import fresh_context
from tests.support.plivo_server import LocalPlivo
from tests.support.redis_server import RedisServer
from tests.support.smtp_server import LocalSmtp

pytestmark = pytest.mark.e2e

SCREENSHOTS = ARTIFACTS / "languages"
NARROW_PHONE = {"width": 375, "height": 812}
PAGES = words.pages
ADMIN = words.admin_pages


@pytest.fixture
def locale() -> str:
    """The browser's language (tests parametrize it)."""
    return "en-US"


@pytest.fixture
def context(browser: Browser, app: RunningApp, locale: str) -> Iterator[BrowserContext]:
    """A fresh browser context speaking `locale` (overrides conftest's)."""
    with fresh_context(browser, app.url, locale=locale) as new_context:
        yield new_context


def said(text: Text, locale: str, **params: object) -> str:
    """The words in the catalog's locale ("es-ES" -> es, "ar-EG" -> ar)."""
    return str(text.translated(locale.partition("-")[0], **params))


def expect_document_language(page: Page, locale: str) -> None:
    """`<html lang>` and `dir` follow the page's language."""
    expect(page.locator("html")).to_have_attribute("lang", language_tag(locale))
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if is_right_to_left(locale) else "ltr")


def screenshot_at_375(page: Page, name: str) -> None:
    """The page as a narrow phone shows it (an artifact), with nothing wider than the screen."""
    page.set_viewport_size(NARROW_PHONE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= NARROW_PHONE["width"]


def sign_up_in(page: Page, mail: LocalSmtp, lang: str) -> tuple[str, str]:
    """/signup, the mailed link, then the password: on the dashboard."""
    email, password = flows.new_email(), "pw-languages-walk-1"
    page.goto("/signup")
    expect(page.get_by_role("heading", name=said(PAGES.CREATE_YOUR_ACCOUNT, lang))).to_be_visible()
    expect_document_language(page, lang)
    audit(page, f"sign up ({lang})")
    page.get_by_label(said(PAGES.EMAIL, lang)).fill(email)
    page.get_by_label(said(PAGES.PASSWORD, lang), exact=True).fill(password)
    page.get_by_label(said(PAGES.CONFIRM_PASSWORD, lang)).fill(password)
    page.get_by_role("button", name=said(PAGES.CREATE_ACCOUNT, lang)).click()
    expect(page.get_by_text(said(PAGES.CHECK_EMAIL_TO_FINISH, lang))).to_be_visible()

    page.goto(mail.wait_for(email).link_to("/verify-email"))
    page.get_by_role("button", name=said(PAGES.CONFIRM_MY_EMAIL, lang)).click()
    expect(page.get_by_text(said(words.login.EMAIL_VERIFIED, lang))).to_be_visible()  # a state's words, translated
    audit(page, f"email confirmed ({lang})")

    page.get_by_role("link", name=said(PAGES.LOG_IN, lang), exact=True).click()
    submit_password(page, lang, email, password)
    expect(page).to_have_url(flows.DASHBOARD)
    return email, password


def submit_password(page: Page, lang: str, email: str, password: str) -> None:
    expect(page.get_by_role("heading", name=said(PAGES.LOG_IN, lang))).to_be_visible()
    page.get_by_label(said(PAGES.EMAIL, lang)).fill(email)
    page.get_by_label(said(PAGES.PASSWORD, lang), exact=True).fill(password)
    page.get_by_role("button", name=said(PAGES.LOG_IN, lang), exact=True).click()


def enroll_in(page: Page, sms: LocalPlivo, lang: str, e164: str, password: str) -> None:
    """Security settings: two-factor authentication on with the texted code, the recovery codes saved."""
    page.get_by_role("link", name=said(PAGES.SECURITY_SETTINGS, lang)).click()
    page.get_by_role("button", name=said(PAGES.ENABLE_TWO_FACTOR, lang)).click()
    page.get_by_label(said(PAGES.PASSWORD, lang), exact=True).fill(password)
    continue_words = said(words.settings.OPERATION_CONFIRMS[Operation.ENABLE_SMS][0], lang)
    page.get_by_role("button", name=continue_words).click()
    page.get_by_label(said(PAGES.PHONE_NUMBER, lang)).fill(flows.typed_form(e164))
    before = flows.texts_to(sms, e164)
    page.get_by_role("button", name=said(PAGES.SEND_CODE, lang), exact=True).click()
    code = flows.wait_for_code(sms, e164, after=before)
    audit(page, f"enrollment, texted code ({lang})")
    page.get_by_label(said(PAGES.VERIFICATION_CODE, lang)).fill(code)
    page.get_by_role("button", name=said(PAGES.VERIFY, lang), exact=True).click()
    expect(page.get_by_role("heading", name=said(words.settings.RECOVERY_HEADING, lang))).to_be_visible()
    audit(page, f"enrollment done, recovery codes ({lang})")
    page.get_by_role("checkbox", name=said(words.settings.RECOVERY_SAVED_LABEL, lang)).check()
    page.get_by_role("button", name=said(PAGES.DONE, lang), exact=True).click()
    recovery_row = page.get_by_test_id("method-row").filter(has_text=said(words.settings.METHOD_RECOVERY, lang))
    # the locale's plural form, chosen in the browser
    expect(recovery_row).to_contain_text(words.settings.RECOVERY_LEFT(RECOVERY_CODE_COUNT, lang))
    page.get_by_role("link", name=said(PAGES.BACK_TO_DASHBOARD, lang)).click()
    page.get_by_role("button", name=said(PAGES.LOG_OUT, lang)).click()
    expect(page).to_have_url(flows.LOGIN)


@pytest.mark.parametrize("locale", ["es-ES", "ar-EG"])
def test_the_walk_in_spanish_and_arabic(
    page: Page, mail: LocalSmtp, sms: LocalPlivo, redis_server: RedisServer, locale: str
) -> None:
    """Sign up, confirm, enroll, then the challenge, every label and message in the browser's language; Arabic
    reads right to left (`dir="rtl"`); axe finds nothing on any step (audit)."""
    lang = locale.partition("-")[0]
    email, password = sign_up_in(page, mail, lang)
    expect_document_language(page, lang)
    e164 = flows.new_phone()
    enroll_in(page, sms, lang, e164, password)

    before = flows.texts_to(sms, e164)
    submit_password(page, lang, email, password)
    expect(page).to_have_url(flows.CHALLENGE)
    expect(page.get_by_text(said(PAGES.ENTER_TEXTED_CODE, lang, ending=e164[-4:]))).to_be_visible()
    expect_document_language(page, lang)
    audit(page, f"challenge, texted code ({lang})")
    if lang == "ar":
        screenshot_at_375(page, "ar-challenge")
    code = flows.wait_for_code(sms, e164, after=before)
    page.get_by_label(said(PAGES.VERIFICATION_CODE, lang)).fill(code)
    page.get_by_role("button", name=said(PAGES.VERIFY, lang), exact=True).click()
    expect(page).to_have_url(flows.DASHBOARD)
    expect(page.get_by_role("heading", name=said(PAGES.DASHBOARD, lang))).to_be_visible()


@pytest.mark.parametrize("locale", ["de-DE"])
def test_german_at_375_px(page: Page, locale: str) -> None:
    """German's long words fit a narrow phone: the sign-up and log-in pages at 375 px (screenshots kept)."""
    page.goto("/signup")
    expect(page.get_by_role("button", name=said(PAGES.CREATE_ACCOUNT, "de"))).to_be_visible()
    expect_document_language(page, "de")
    screenshot_at_375(page, "de-signup")
    page.goto("/login")
    expect(page.get_by_role("heading", name=said(PAGES.LOG_IN, "de"))).to_be_visible()
    screenshot_at_375(page, "de-login")


def test_the_picker_switches_the_page_and_is_saved_at_sign_in(page: Page, backend: Services, sms: LocalPlivo) -> None:
    """An English browser picks Arabic on the login page: the page turns right to left at once; signing in (both
    factors) saves the choice as the user's language (what their mails and texts use)."""
    email, phone = flows.seeded_account(backend)
    before = flows.texts_to(sms, phone)
    page.goto("/login")
    expect_document_language(page, "en")
    page.locator("#language-picker").select_option("ar")
    expect_document_language(page, "ar")
    expect(page.get_by_role("heading", name=said(PAGES.LOG_IN, "ar"))).to_be_visible()
    page.get_by_label(said(PAGES.EMAIL, "ar")).fill(email)
    page.get_by_label(said(PAGES.PASSWORD, "ar"), exact=True).fill(flows.PASSWORD)
    page.get_by_role("button", name=said(PAGES.LOG_IN, "ar"), exact=True).click()
    expect(page).to_have_url(flows.CHALLENGE)
    expect(page.get_by_role("heading", name=said(PAGES.VERIFY_ITS_YOU, "ar"))).to_be_visible()
    page.get_by_label(said(PAGES.VERIFICATION_CODE, "ar")).fill(flows.wait_for_code(sms, phone, after=before))
    page.get_by_role("button", name=said(PAGES.VERIFY, "ar"), exact=True).click()
    expect(page).to_have_url(flows.DASHBOARD)
    expect(page.get_by_test_id("signed-in-email")).to_have_text(email)  # the page's guard ran: it saves the choice
    expect_document_language(page, "ar")
    user = backend.accounts.find_by_email(email)
    assert user is not None and user.id is not None
    assert backend.languages.choice(user.id) == "ar"


def test_an_unknown_language_changes_nothing(page: Page) -> None:
    """A value the picker does not offer (sent by a crafted page) leaves the tab's language as it was."""
    page.goto("/login")
    picker = page.locator("#language-picker")
    picker.evaluate("(select) => { const o = document.createElement('option'); o.value = 'xx'; select.add(o); }")
    picker.select_option("xx")
    page.wait_for_timeout(500)
    expect_document_language(page, "en")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def expect_title_in(page: Page, titled: Text, lang: str) -> None:
    """`<title>` in the page's language (the server renders the English; the browser says it again)."""
    expect(page).to_have_title(said(PAGES.TITLE, lang, page=said(titled, lang)))


@pytest.mark.parametrize("lang", ["es", "ar"])
def test_the_admin_console_in_spanish_and_arabic(page: Page, backend: Services, sms: LocalPlivo, lang: str) -> None:
    """An admin who chose Spanish or Arabic reads the console in it: labels, buttons, the account's words, the
    charts' headings and the title; axe finds nothing."""
    email, phone = flows.seeded_account(backend)
    assert "is now an admin" in set_admin(backend.database, backend.clock, email, True)
    flows.signed_in(page, sms, email, phone)
    user = backend.accounts.find_by_email(email)
    assert user is not None and user.id is not None
    backend.languages.choose(user.id, lang)

    page.goto("/admin")
    expect(page.get_by_role("heading", name=said(PAGES.ADMIN_ACCOUNTS, lang), exact=True)).to_be_visible()
    expect_document_language(page, lang)
    expect_title_in(page, PAGES.ADMIN, lang)
    page.get_by_label(said(ADMIN.EMAIL_CONTAINS, lang)).fill(email.split("@")[0])
    page.get_by_role("button", name=said(ADMIN.SEARCH, lang)).click()
    page.locator("#admin-results").get_by_role("button", name=said(ADMIN.OPEN, lang)).click()
    expect(page.locator("#admin-2fa")).to_have_attribute("data-state", "on")
    expect(page.get_by_role("heading", name=said(ADMIN.RESET_TWO_FACTOR, lang))).to_be_visible()
    check = page.locator("#admin-check option[value='video_call']")
    expect(check).to_have_text(said(ADMIN.IDENTITY_CHECKS[IdentityCheck.VIDEO_CALL], lang))  # a state's words
    audit(page, f"admin console, an account ({lang})")

    page.goto("/admin/sms")
    expect(page.get_by_role("heading", name=said(ADMIN.SMS_OPERATIONS_TITLE, lang))).to_be_visible()
    expect(page.get_by_role("heading", name=said(ADMIN.CODE_TEXTS, lang))).to_be_visible()
    expect_title_in(page, PAGES.ADMIN_SMS_OPERATIONS, lang)
    audit(page, f"admin console, SMS operations ({lang})")


def test_a_message_on_screen_follows_a_switch_of_language(page: Page) -> None:
    """A message the page already shows is said again in the language just picked (its id unchanged), and the
    title follows."""
    page.goto("/login")
    expect_title_in(page, PAGES.LOG_IN, "en")
    page.get_by_label("Email").fill(flows.new_email())
    page.get_by_label("Password", exact=True).fill("not-the-password-1")
    page.get_by_role("button", name="Log in", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_attribute("data-message-id", flows.INVALID_CREDENTIALS)
    expect(alert).to_have_text(str(words.login.INVALID_CREDENTIALS))
    page.locator("#language-picker").select_option("ar")
    expect(alert).to_have_text(said(words.login.INVALID_CREDENTIALS, "ar"))
    expect(alert).to_have_attribute("data-message-id", flows.INVALID_CREDENTIALS)
    expect_title_in(page, PAGES.LOG_IN, "ar")
    page.locator("#language-picker").select_option("es")
    expect(alert).to_have_text(said(words.login.INVALID_CREDENTIALS, "es"))
    expect_title_in(page, PAGES.LOG_IN, "es")
