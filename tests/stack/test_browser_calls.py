"""What the browser runs for the app, under nginx's CSP (scripts by hash only, no eval): the proof-of-work widget
solving in its web workers, and passkey ceremonies (the `page` fixture fails a test on any CSP violation)."""

from __future__ import annotations

import secrets

from playwright.sync_api import Page, expect

from scripts.stack import Stack
from sms2fa_app.backend.factors.sms_policy import CodeSent, Purpose
from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.test_passkey_flows import test_register_a_passkey_sign_in_with_it_then_remove_it as passkey_story
from tests.support.factories import create_user
from tests.support.plivo_server import LocalPlivo


def gb_number() -> str:
    return f"+447400{secrets.randbelow(1_000_000):06d}"


def test_the_proof_of_work_widget_solves_under_the_csp(
    page: Page, stack: Stack, plivo: LocalPlivo, backend: Services
) -> None:
    """Two texts to GB (cap 4 an hour here) use half its budget: the next login's code needs a proof, which the
    widget solves unseen in the browser; the page then asks for the code again by itself."""
    for user in (9001, 9002):
        sent = backend.otp.request_code(
            purpose=Purpose.LOGIN, user_id=user, session_id=user, phone=gb_number(), client_ip="198.51.100.7"
        )
        assert isinstance(sent, CodeSent), sent
    email, e164 = f"stack-pow-{secrets.token_hex(4)}@example.com", gb_number()
    create_user(backend, email, phone=e164)
    flows.submit_password(page, email)
    expect(page).to_have_url(flows.CHALLENGE)
    flows.submit_code(page, flows.wait_for_code(plivo, e164, timeout=60.0))  # no click: sent once solved
    flows.expect_dashboard(page, email)


def test_passkeys_are_added_used_and_removed_under_the_csp(page: Page, plivo: LocalPlivo, backend: Services) -> None:
    """tests/e2e's passkey story (Chromium's virtual authenticator) through nginx: every ceremony runs."""
    passkey_story(page, plivo, backend)
