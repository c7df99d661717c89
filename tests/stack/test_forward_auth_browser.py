"""The browser's walk through forward-auth (issue 22 §3): the protected app → the sms2fa login (with `rd`) →
password → texted code → back on the app, which shows who signed in; then logout in sms2fa and the app refuses.

The sign-in reaches the protected app through the session cookie (issue 22 §1), traded for the websocket's ticket
before the login page follows `rd`.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from scripts.stack import Stack
from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.support.factories import PASSWORD
from tests.support.plivo_server import LocalPlivo


def test_upstream_login_code_and_back_then_logout_refuses(
    page: Page, stack: Stack, backend: Services, plivo: LocalPlivo
) -> None:
    email, e164 = flows.seeded_account(backend)
    page.goto(f"{stack.protected_url}/wiki?page=1")
    expect(page).to_have_url(re.compile(re.escape(f"{stack.url}/login?rd=")))
    sent = len(plivo.messages)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    flows.submit_code(page, flows.wait_for_code(plivo, e164, after=sent))
    expect(page).to_have_url(f"{stack.protected_url}/wiki?page=1")
    expect(page.get_by_text(email)).to_be_visible()  # the echo shows Remote-Email

    page.goto(f"{stack.url}/dashboard")
    flows.log_out(page)
    page.goto(f"{stack.protected_url}/wiki?page=1")
    expect(page).to_have_url(re.compile(re.escape(f"{stack.url}/login?rd=")))
