"""A developer's own pages behind the second factor, in Chromium: tests/support/example_pages.py, loaded by the app
under test through EXTRA_PAGES, declares /example/reports (two factors) and /example/vault (two factors, and a
factor within VAULT_RECENT_SECONDS: the test makes the sign-in's factors older in the database rather than wait).
Each page counts the clicks its handler receives, so a refused click shows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from sms2fa_app.backend.assurance import Assurance
from sms2fa_app.backend.models import LoginSession
from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.audit import audit
from tests.support.browser_capture import BrowserCapture
from tests.support.example_pages import VAULT_RECENT_SECONDS
from tests.support.plivo_server import LocalPlivo

pytestmark = pytest.mark.e2e

REPORTS = re.compile(r"/example/reports/?$")
VAULT = re.compile(r"/example/vault/?$")
STEP_UP = re.compile(r"/step-up/?$")
LOGIN_BACK_TO_REPORTS = re.compile(r"/login\?next=(/|%2F)example(/|%2F)reports/?$")
# A websocket update that sets a page's click count to `n` (Reflex suffixes the var's name).
CLICKS_SET_TO = '"clicks[^"]*":\\s*{n}\\b'


def age_factors(backend: Services, email: str, seconds: float) -> None:
    """Make every factor presented in the user's sessions `seconds` older (in the database the app reads), as if
    that much time had passed since the sign-in."""
    user = backend.accounts.find_by_email(email)
    assert user is not None
    with backend.database.session() as db:
        for record in db.exec(select(LoginSession).where(LoginSession.user_id == user.id)):
            stored = Assurance.from_stored(record.level, record.auth_time, record.amr)
            older = Assurance(stored.level, tuple((method, at - seconds) for method, at in stored.presented))
            record.level, record.auth_time, record.amr = older.stored()
            db.add(record)


def clicks(page: Page, count: int) -> None:
    """The page shows `count` clicks received by its handler."""
    expect(page.get_by_test_id("clicks")).to_have_text(str(count))


def test_an_anonymous_visitor_logs_in_and_comes_back_to_the_page(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    email, e164 = flows.seeded_account(backend)
    page.goto("/example/reports")
    expect(page).to_have_url(LOGIN_BACK_TO_REPORTS)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(flows.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(flows.CHALLENGE)
    flows.submit_code(page, flows.wait_for_code(sms, e164))
    expect(page).to_have_url(REPORTS)
    clicks(page, 0)
    audit(page, "a developer's protected page")
    page.get_by_role("button", name="Count").click()
    clicks(page, 1)


def test_a_password_only_session_goes_to_the_challenge_then_back_to_the_page(
    page: Page, sms: LocalPlivo, backend: Services
) -> None:
    email, e164 = flows.seeded_account(backend)
    flows.log_in_to_challenge(page, email, e164)  # the password only: the second factor is pending
    page.goto("/example/reports")
    expect(page).to_have_url(flows.CHALLENGE)
    flows.submit_code(page, flows.wait_for_code(sms, e164))
    expect(page).to_have_url(REPORTS)
    page.get_by_role("button", name="Count").click()
    clicks(page, 1)


def test_an_old_factor_is_asked_again_before_the_pages_handler_runs(
    page: Page, sms: LocalPlivo, backend: Services, capture: BrowserCapture
) -> None:
    email, e164 = flows.seeded_account(backend)
    flows.signed_in(page, sms, email, e164)
    page.goto("/example/vault")
    expect(page).to_have_url(VAULT)
    page.get_by_role("button", name="Count").click()
    clicks(page, 1)
    audit(page, "a developer's protected page with a step-up rule")

    age_factors(backend, email, VAULT_RECENT_SECONDS)  # the sign-in's factor is now as old as the page's `recent`
    frames_before = len(capture.frames)
    page.get_by_role("button", name="Count").click()
    expect(page).to_have_url(STEP_UP)
    audit(page, "step-up")
    assert not any(re.search(CLICKS_SET_TO.format(n=2), frame) for frame in capture.frames[frames_before:])

    sent = flows.texts_to(sms, e164)
    page.get_by_role("button", name="Send code").click()
    flows.submit_code(page, flows.wait_for_code(sms, e164, after=sent))
    expect(page).to_have_url(VAULT)
    clicks(page, 0)  # the refused click never reached the handler, and the refusal reset the page's values
    page.get_by_role("button", name="Count").click()
    clicks(page, 1)


def test_a_tab_whose_session_ended_cannot_run_the_pages_handler(
    page: Page, sms: LocalPlivo, backend: Services, capture: BrowserCapture
) -> None:
    email, e164 = flows.seeded_account(backend)
    flows.signed_in(page, sms, email, e164)
    page.goto("/example/reports")
    page.get_by_role("button", name="Count").click()
    clicks(page, 1)

    user = backend.accounts.find_by_email(email)
    assert user is not None and user.id is not None
    backend.sessions.end_all_for_user(user.id)  # "sign out everywhere", from another device
    frames_before = len(capture.frames)
    page.get_by_role("button", name="Count").click()  # the tab still shows the page: its event goes over the socket
    expect(page).to_have_url(LOGIN_BACK_TO_REPORTS)
    assert not any(re.search(CLICKS_SET_TO.format(n=2), frame) for frame in capture.frames[frames_before:])
    # Its log line is rate-limited (one a minute per worker, with a count): the unit tests check what it says.
