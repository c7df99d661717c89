"""forward-auth's `rd` to a page whose rule asks more than the session has (a password-only account and a
`two_factor` app): following it would only bring the browser back to the login, which would send it to `rd` again,
for ever. The login goes to the dashboard instead and says why, once."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from sms2fa_app.state import words
from sms2fa_app.state.dashboard import DashboardState
from sms2fa_app.state.login import LoginState
from tests.conftest import make_settings
from tests.support.factories import create_user
from tests.support.states import deliver, make_state, open_at, redirect_path, run
from tests.unit.state.test_return_after_sign_in import log_in_at, sent_to_browser

WIKI = "https://wiki.example.com/page?id=7"  # two_factor
WIKI_DOCS = "https://wiki.example.com/docs/intro"  # one_factor


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    rules = "one_factor wiki.example.com /docs/; two_factor wiki.example.com"
    return make_settings(
        tmp_path, APP_URL="https://auth.example.com", COOKIE_DOMAIN="example.com", FORWARD_AUTH_RULES=rules
    )


async def dashboard_notice(state: LoginState) -> str:
    dashboard = await state.get_state(DashboardState)
    await run(dashboard.load())
    return dashboard.return_notice


async def test_a_signed_in_password_only_session_is_not_sent_back_to_a_two_factor_app(services: Services) -> None:
    create_user(services)
    issued = services.sessions.create(1, BY_PASSWORD)
    state = make_state(LoginState)
    open_at(state, f"https://auth.example.com/login?rd={quote(WIKI, safe='')}")
    await deliver(state, session_token=issued.token)
    assert redirect_path(await run(state.load())) == "/dashboard"
    assert await dashboard_notice(state) == words.login.TWO_FACTOR_NEEDED_FOR_APP
    assert await dashboard_notice(state) == ""  # said once
    open_at(state, f"https://auth.example.com/login?rd={quote(WIKI_DOCS, safe='')}")
    assert redirect_path(await run(state.load())) == WIKI_DOCS  # its rule asks no more than a password


async def test_a_password_only_sign_in_does_not_return_to_a_two_factor_app(services: Services) -> None:
    create_user(services)
    state, events = await log_in_at(WIKI)
    assert redirect_path(events) == "/dashboard"
    assert sent_to_browser(state)["cookie_return_to"] == ""
    assert await dashboard_notice(state) == words.login.TWO_FACTOR_NEEDED_FOR_APP
    state, events = await log_in_at(WIKI_DOCS)
    assert redirect_path(events) is None and sent_to_browser(state)["cookie_return_to"] == WIKI_DOCS
