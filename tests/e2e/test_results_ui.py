"""Issue 12, part 3, the way a person meets it in Chromium: recovery codes (a real text file, "Copied", the
confirmation gate, the banner after a recovery sign-in, a refused code kept and selected), the authenticator's QR
code on a white tile in dark mode with its key in groups, results that say what changed, method rows, devices,
the dashboard's security card, and the sign-up and login forms.

Each step a screen changes is saved at 375x812 and 1280x800 under test-artifacts/issue12-part3/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import unquote

import pyotp
import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from tests.e2e import flows
from tests.e2e.browser_tools import assert_accessible
from tests.e2e.conftest import ARTIFACTS, RunningApp
from tests.support.factories import PASSWORD, create_user
from tests.support.plivo_server import LocalPlivo
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "issue12-part3"
SIZES = ((375, 812), (1280, 800))
KEY_GROUPS = re.compile(r"^((?:[A-Z2-7]{4} )*[A-Z2-7]{1,4})$")


def shoot(page: Page, name: str, *, axe: bool = True) -> None:
    """Check the page with axe-core, then save it as it is at both widths (then back to 1280x800)."""
    if axe:
        assert_accessible(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def allow_clipboard(context: BrowserContext, app: RunningApp) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url)


def clipboard(page: Page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


# Keep the browser's own write, then make the page's write refuse.
REFUSE_CLIPBOARD_WRITE = """() => {
  window.__write = navigator.clipboard.writeText.bind(navigator.clipboard);
  navigator.clipboard.writeText = () => Promise.reject(new DOMException("refused", "NotAllowedError"));
}"""
# Make the page's write wait for window.__releaseCopy(), then write with the browser's own.
HOLD_CLIPBOARD_WRITE = """() => {
  navigator.clipboard.writeText = (text) =>
    new Promise((resolve) => { window.__releaseCopy = () => resolve(window.__write(text)); });
}"""


def status(page: Page, text: str):
    """The live region (role=status) saying `text`."""
    return page.get_by_role("status").filter(has_text=text)


def below(lower: Locator, upper: Locator) -> bool:
    """`lower` starts below where `upper` ends on the page."""
    low, up = lower.bounding_box(), upper.bounding_box()
    assert low is not None and up is not None
    return low["y"] >= up["y"] + up["height"]


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def test_recovery_codes_download_copy_confirm_then_the_banner(
    page: Page, context: BrowserContext, app: RunningApp, sms: LocalPlivo, redis_server: RedisServer, backend: Services
) -> None:
    email, e164 = flows.new_email(), flows.new_phone()
    create_user(backend, email)
    allow_clipboard(context, app)
    log_in(page, email)
    flows.expect_dashboard(page, email)
    card = page.get_by_test_id("security-card")
    expect(card).to_contain_text(words.settings.TWO_FACTOR_OFF_CARD)
    expect(card.get_by_role("link", name="Turn on two-factor authentication")).to_be_visible()
    shoot(page, "dashboard-2fa-off")

    flows.enroll(page, sms, redis_server, e164, PASSWORD)
    expect(page.get_by_text(f"Two-factor authentication is on. Codes go to •••• {e164[-4:]}.")).to_be_visible()
    codes = [text.strip() for text in page.get_by_test_id("recovery-code").all_inner_texts()]
    assert len(codes) == 10 and all(flows.RECOVERY_CODE.match(code) for code in codes), codes

    # Download: a text file, one code per line under a header naming the app, the account and the date.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == words.settings.RECOVERY_FILE_NAME
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[:3] == [
        "sms2fa recovery codes",
        f"Account: {email}",
        f"Created: {words.common.calendar_day(time.time())}",
    ]
    assert lines[-10:] == codes and not any("\\n" in line or '"' in line for line in lines)

    # Copy: a refused clipboard write says how to copy by hand; "Copied" is said in a live region only once the
    # write resolved, and the clipboard then holds the codes, one a line. The test replaces the page's write
    # (DevTools evaluation, outside the page's CSP).
    copy = page.get_by_role("button", name="Copy", exact=True)
    expect(status(page, words.common.COPIED)).to_have_count(0)
    page.evaluate(REFUSE_CLIPBOARD_WRITE)
    copy.click()
    expect(status(page, words.common.COPY_FAILED)).to_be_visible()
    assert_accessible(page, "recovery codes, copy refused")
    page.evaluate(HOLD_CLIPBOARD_WRITE)
    copy.click()
    page.wait_for_function("window.__releaseCopy !== undefined")
    page.wait_for_timeout(700)  # long enough for a "Copied" sent on the click to come back from the server
    expect(status(page, words.common.COPIED)).to_have_count(0)
    page.evaluate("window.__releaseCopy()")
    expect(status(page, words.common.COPIED)).to_be_visible()
    assert clipboard(page) == "\n".join(codes)

    # Done waits for "I saved these codes".
    done = page.get_by_role("button", name="Done")
    expect(done).to_be_disabled()
    page.get_by_role("checkbox", name=words.settings.RECOVERY_SAVED_LABEL).check()
    expect(done).to_be_enabled()
    shoot(page, "recovery-codes")
    done.click()

    # One row per method.
    rows = page.get_by_test_id("method-row")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text(f"On · •••• {e164[-4:]}")
    expect(rows.nth(1)).to_contain_text("Authenticator app")
    expect(rows.nth(3)).to_contain_text("10 recovery codes left")
    shoot(page, "settings-rows")

    page.get_by_role("link", name="Back to dashboard").click()
    expect(page.get_by_test_id("security-card")).to_contain_text(f"Text message to •••• {e164[-4:]}")
    shoot(page, "dashboard-2fa-on")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(flows.LOGIN)
    expect(flows.said(page, words.login.LOGGED_OUT.id)).to_be_visible()
    shoot(page, "login-logged-out")

    # A refused recovery code stays in its field, selected; a good one signs in with the banner.
    flows.log_in_to_challenge(page, email, e164)
    page.get_by_role("button", name="Use a recovery code").click()
    expect(page.get_by_text(flows.RECOVERY_PROMPT)).to_be_visible()
    field = page.get_by_label("Recovery code")
    field.fill("zzzzz-zzzzz")
    page.get_by_role("button", name="Verify").click()
    expect(flows.said(page, "challenge.recovery.wrong")).to_be_visible()
    expect(field).to_have_value("zzzzz-zzzzz")
    expect(field).to_be_focused()
    selected = field.evaluate("f => [f.selectionStart, f.selectionEnd]")
    assert selected == [0, len("zzzzz-zzzzz")], selected
    shoot(page, "challenge-recovery-refused")
    field.fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    flows.expect_dashboard(page, email)
    banner = page.get_by_role("status").filter(has_text="You used a recovery code. 9 left.")
    expect(banner).to_be_visible()
    expect(banner.get_by_role("link", name="Make new recovery codes")).to_have_attribute("href", "/settings")
    shoot(page, "dashboard-recovery-banner")
    page.reload()
    expect(page.get_by_text("You used a recovery code.")).to_have_count(0)  # said once


def test_authenticator_setup_in_dark_mode(
    page: Page, context: BrowserContext, app: RunningApp, sms: LocalPlivo, backend: Services
) -> None:
    email, e164 = flows.seeded_account(backend)
    allow_clipboard(context, app)
    page.emulate_media(color_scheme="dark")
    flows.signed_in(page, sms, email, e164)
    page.get_by_role("link", name="Security settings").click()
    page.get_by_role("button", name="Set up an authenticator app").click()
    flows.reauthenticate(page, sms, backend, email, e164)

    qr = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 255, 255)"  # dark
    tile = page.get_by_test_id("qr-tile")
    assert tile.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
    assert tile.evaluate("e => parseFloat(getComputedStyle(e).paddingTop)") >= 16  # the quiet zone
    svg = unquote(qr.get_attribute("src") or "")
    assert "<path fill='#fff' d='M0 0h" in svg and "stroke='#000'" in svg  # black on its own white square

    key_line = page.get_by_test_id("totp-key")
    match = KEY_GROUPS.match(key_line.inner_text().strip())
    assert match is not None, key_line.inner_text()
    secret = match.group(1).replace(" ", "")
    page.get_by_role("button", name="Copy key").click()
    expect(status(page, words.common.KEY_COPIED)).to_be_visible()
    assert clipboard(page) == secret
    shoot(page, "totp-setup-dark")

    flows.submit_code(page, pyotp.TOTP(secret).now())
    added = "Authenticator app added. You can sign in with its codes instead of a text."
    expect(page.get_by_text(added)).to_be_visible()
    row = page.get_by_test_id("method-row").filter(has_text="Authenticator app")
    expect(row.get_by_role("button", name="Remove authenticator app")).to_be_visible()
    shoot(page, "totp-added-dark")


def test_change_number_says_what_changed_devices_and_turn_off_warning(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    email, e164 = flows.seeded_account(backend)
    log_in_to_remember(page, sms, email, e164)
    page.get_by_role("link", name="Security settings").click()

    # Remembered devices: this browser marked, readable dates, "Forget <browser>" names, Forget all asks first.
    expect(page.get_by_text("This device")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Remembered today · last used today$"))).to_be_visible()
    # Active sessions read their dates the same way, with the time of day.
    expect(
        page.get_by_text(re.compile(r"^Started today at \d\d:\d\d UTC · last seen today at \d\d:\d\d UTC$")).first
    ).to_be_visible()
    # "Turn off" is in the danger zone (issue 23): after the devices and the password, not under "Remembered devices".
    turn_off = page.get_by_role("button", name="Turn off two-factor authentication")
    assert below(turn_off, page.get_by_role("heading", name="Remembered devices"))
    assert below(turn_off, page.get_by_role("button", name="Forget all"))
    assert below(turn_off, page.get_by_role("heading", name="Password", exact=True))
    expect(
        page.locator("#danger-zone").get_by_role("button", name="Turn off two-factor authentication")
    ).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Forget \S.* on \S"))).to_have_count(1)
    page.get_by_role("button", name="Forget all").click()
    expect(page.get_by_role("alert").filter(has_text=words.settings.FORGET_ALL_CONFIRM)).to_be_visible()
    shoot(page, "settings-devices-forget-all")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("This device")).to_be_visible()

    # Turning 2FA off warns first.
    page.get_by_role("button", name="Turn off two-factor authentication").click()
    expect(page.get_by_role("alert").filter(has_text=words.settings.DISABLE_WARNING)).to_be_visible()
    shoot(page, "settings-disable-warning")
    page.get_by_role("button", name="Keep it on").click()

    # Change number: the same one is refused; the new one is shown formatted; the result says what changed.
    page.get_by_role("button", name="Change phone number").click()
    flows.reauthenticate(page, sms, backend, email, e164)
    flows.wait_out_login_cooldown(backend, email, Purpose.ENROLL)
    page.get_by_label("Phone number").fill(flows.typed_form(e164))
    page.get_by_role("button", name="Send code").click()
    expect(flows.said(page, words.settings.SAME_NUMBER.id)).to_be_visible()
    new = flows.new_phone()
    page.get_by_label("Phone number").fill(flows.typed_form(new))
    formatted = f"+1 {new[2:5]}-{new[5:8]}-{new[8:]}"
    expect(page.get_by_text(f"We'll text {formatted}")).to_be_visible()
    sent = flows.texts_to(sms, new)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_text(f"enter the code we sent to {formatted}.")).to_be_visible()
    flows.submit_code(page, flows.wait_for_code(sms, new, after=sent))
    expect(flows.said(page, "done.change_number.devices")).to_contain_text(f"•••• {new[-4:]}")
    shoot(page, "change-number-result")


def log_in_to_remember(page: Page, sms: LocalPlivo, email: str, e164: str) -> None:
    """In with the texted code and "Remember this device" ticked."""
    flows.submit_password(page, email)
    expect(page).to_have_url(flows.CHALLENGE)
    code = flows.wait_for_code(sms, e164)
    page.get_by_role("checkbox", name=re.compile(r"^Remember this device")).check()
    flows.submit_code(page, code)
    expect(page).to_have_url(flows.DASHBOARD)


def test_sign_up_shows_every_error_at_once_and_login_notices(page: Page, backend: Services) -> None:
    page.goto("/signup")
    expect(page.get_by_text(words.login.PASSWORD_RULE)).to_be_visible()  # the rule, up front
    page.get_by_label("Email").fill("ada@example")  # the browser's own check lets it through; ours does not
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Confirm password").fill("other")
    page.get_by_role("button", name="Create account").click()
    expect(flows.said(page, words.login.EMAIL_INVALID.id)).to_be_visible()
    expect(flows.said(page, words.login.PASSWORD_TOO_SHORT.id)).to_be_visible()
    expect(flows.said(page, words.login.PASSWORDS_DIFFER.id)).to_be_visible()
    # /signup's "Log in" link (link-in-text-block) is issue 12 part 1's to fix; axe checks this page there.
    shoot(page, "signup-every-error", axe=False)

    email = flows.new_email()
    create_user(backend, email)
    log_in(page, email, "not the password")
    expect(flows.said(page, flows.INVALID_CREDENTIALS)).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_label("Email")).to_have_value(email)
    shoot(page, "login-failed")

    page.goto("/settings")
    expect(page).to_have_url(re.compile(r"/login\?next=/settings/?$"))
    expect(flows.said(page, words.login.LOG_IN_TO_CONTINUE.id)).to_be_visible()
    shoot(page, "login-to-continue")
