"""A Reflex tab id is no credential: replayed from another connection, during or after the tab's life, it gives
that connection nothing (the tab id travels in the websocket URL, so it lands in proxy logs).

The tab signs in in Chromium; a bare websocket client (tests/support/reflex_client.py) then connects with the same
tab id and calls what the signed-in page calls. It must neither act as the user nor receive the user's data.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from sms2fa_app.backend.services import Services
from sms2fa_app.reflex_adapter import hydrate_event_name
from sms2fa_app.state.session import SessionState
from sms2fa_app.state.settings import WizardState
from tests.e2e.conftest import RunningApp
from tests.e2e.test_account_flows import expect_dashboard, log_in, new_email
from tests.support.factories import create_user
from tests.support.reflex_client import ReflexClient, Update, handler_name


def tab_id(page: Page) -> str:
    """The tab id Reflex keeps in sessionStorage and sends in the websocket URL."""
    return page.evaluate("() => window.sessionStorage.getItem('token')")


def to_login(update: Update) -> bool:
    """Whether the update sends the browser to /login (with or without ?next=)."""
    return any(path == "/login" or path.startswith("/login?") for path in update.redirects())


def replay(base_url: str, tab: str, email: str, *, hydrate: bool = False) -> None:
    """Connect with `tab` (first asking for the whole state, as a browser does, when `hydrate`) and call the
    protected pages' on_load handlers: redirected to /login, and nothing of `email` received."""
    with ReflexClient(base_url, tab) as client:
        if hydrate:  # no cookie: the replaying browser has no session token
            client.call(hydrate_event_name(), {"vars": {}}, path="/dashboard")
        dashboard = client.call(handler_name(SessionState, "require_authenticated"), path="/dashboard")
        settings = client.call(handler_name(WizardState, "load"), path="/settings")
        assert to_login(dashboard), f"the replayed tab id was let onto the dashboard: {dashboard.text()}"
        assert to_login(settings), f"the replayed tab id was let into settings: {settings.text()}"
        assert email not in client.everything(), "the replayed tab id received the user's email"


@pytest.mark.parametrize("hydrate", [False, True], ids=["straight-to-a-handler", "hydrate-first"])
def test_a_tab_id_replayed_after_the_tab_closed_gives_nothing(
    page: Page, app: RunningApp, backend: Services, hydrate: bool
) -> None:
    """Sign in, close the tab, replay its id from another connection: no session, no data (not even in the whole
    state a hydrate sends); the user's own browser still works."""
    email = new_email()
    create_user(backend, email)
    log_in(page, email)
    expect_dashboard(page, email)
    tab = tab_id(page)
    context = page.context
    page.close()

    replay(app.url, tab, email, hydrate=hydrate)

    again = context.new_page()  # the same browser (its session cookie) is still signed in
    again.goto("/dashboard")
    expect_dashboard(again, email)


def test_a_tab_id_replayed_while_the_tab_is_open_gives_nothing(page: Page, app: RunningApp, backend: Services) -> None:
    """The same, while the signed-in tab is still open and connected."""
    email = new_email()
    create_user(backend, email)
    log_in(page, email)
    expect_dashboard(page, email)

    replay(app.url, tab_id(page), email)

    page.reload()
    expect_dashboard(page, email)
