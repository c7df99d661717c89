"""The tab-id replay (tests/e2e/test_tab_replay.py) against several workers behind nginx: the replaying
connection may land on any worker, none of which lets it act as the user or see the user's data."""

from __future__ import annotations

import secrets

from playwright.sync_api import Page

from scripts.stack import Stack
from sms2fa_app.backend.services import Services
from tests.e2e.test_account_flows import expect_dashboard, log_in
from tests.e2e.test_tab_replay import replay, tab_id
from tests.support.factories import create_user


def test_a_tab_id_replayed_on_any_worker_gives_nothing(page: Page, stack: Stack, backend: Services) -> None:
    email = f"stack-replay-{secrets.token_hex(4)}@example.com"
    create_user(backend, email)
    log_in(page, email)
    expect_dashboard(page, email)
    tab = tab_id(page)
    for _ in range(len(stack.backends)):  # while the tab is open, once per worker (round robin)
        replay(stack.url, tab, email)
    context = page.context
    page.close()
    for _ in range(len(stack.backends)):  # and after it closed
        replay(stack.url, tab, email)
    again = context.new_page()
    again.goto("/dashboard")
    expect_dashboard(again, email)
