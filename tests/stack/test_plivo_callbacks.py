"""Plivo's requests reach the app through nginx, as on a real host: the stack's APP_URL is nginx's address, so the
local Plivo's signed delivery reports and voice-answer fetches go through the proxy to the workers. Without them
the challenge's live status never moves and "Call me instead" reads out no code (issue 20, finding 1)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

from playwright.sync_api import Page, expect

from scripts.stack import Stack
from sms2fa_app.api.forms import MAX_BODY_BYTES
from sms2fa_app.backend.delivery.callbacks import MESSAGE_STATUS_PATH, VOICE_ANSWER_PATH
from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.test_delivery_and_pressure import status, wait_for_call_code
from tests.integration.test_plivo_callbacks import wait_for
from tests.support.plivo_server import LocalPlivo
from tests.support.plivo_signing import post_form, post_signed

NGINX_BODY_LIMIT_BYTES = 64 * 1024  # deploy/nginx/sms2fa-locations.conf: client_max_body_size 64k on the callbacks


def status_of(method: str, url: str) -> int:
    """The HTTP status nginx answers `method url` with (no body)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_delivery_reports_move_the_live_status_and_call_me_instead_signs_in_through_nginx(
    page: Page, stack: Stack, plivo: LocalPlivo, backend: Services
) -> None:
    """An undelivered text's signed reports reach a worker through nginx, the challenge offers a call, and the
    code the call reads out (its answer XML fetched through nginx) signs in."""
    email, e164 = flows.seeded_account(backend)
    plivo.deliver_next("undelivered", error_code="30")
    flows.log_in_to_challenge(page, email, e164)
    wait_for(lambda: len(plivo.reports) == 3, timeout=15)
    reports = plivo.reports
    assert all(report["url"].startswith(f"{stack.url}{MESSAGE_STATUS_PATH}?") for report in reports), reports
    assert [(report["status"], report["reply"]) for report in reports] == [
        ("queued", 200),
        ("sent", 200),
        ("undelivered", 200),
    ]
    expect(status(page)).to_have_attribute("data-message-id", "challenge.delivery.not_delivered")
    call_button = page.get_by_role("button", name="Call me instead")
    expect(call_button).to_be_enabled()
    call_button.click()
    code = wait_for_call_code(plivo, e164)
    (call,) = plivo.calls
    assert call["answer_url"].startswith(f"{stack.url}{VOICE_ANSWER_PATH}?") and call["reply"] == 200, call
    expect(status(page)).to_have_attribute("data-message-id", "challenge.delivery.answered")
    flows.submit_code(page, code)
    flows.expect_dashboard(page, email)


def test_nginx_hands_callbacks_to_the_app_bounded_and_logs_no_query_string(
    stack: Stack, plivo: LocalPlivo, backend: Services
) -> None:
    """The app judges what nginx forwards (signed: 200, unsigned: 403); nginx refuses a body past its limit before
    any worker reads it, and its access log names the path without the signed query string."""
    url = f"{stack.url}{MESSAGE_STATUS_PATH}?{urlencode({'t': int(time.time())})}"
    report = {"MessageUUID": "00000000-0000-0000-0000-000000000000", "Status": "delivered", "To": "15005550006"}
    assert post_signed(plivo.auth_token, url, report).status == 200
    assert post_form(url, report, {}).status == 403
    assert MAX_BODY_BYTES < NGINX_BODY_LIMIT_BYTES  # the app's own, tighter limit answers small oversized forms
    assert post_form(url, {"padding": "x" * NGINX_BODY_LIMIT_BYTES}, {}).status == 413
    # Review round 2, L3: only Plivo's two paths, only as POST, reach a worker; nginx answers the rest itself.
    assert status_of("GET", f"{stack.url}{VOICE_ANSWER_PATH}?call=x") == 403
    assert status_of("DELETE", f"{stack.url}{MESSAGE_STATUS_PATH}") == 403
    assert post_form(f"{stack.url}/api/plivo/other", report, {}).status == 404
    log = stack.nginx.access_log.read_text()
    assert f'"POST {MESSAGE_STATUS_PATH} HTTP/1.1" 200' in log and f'"POST {MESSAGE_STATUS_PATH} HTTP/1.1" 403' in log
    assert "?t=" not in log and "call=" not in log
