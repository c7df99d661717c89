"""forward-auth's `rd`: the login goes back to the protected app only after the sign-in is complete (the second
factor too, when the account has one), only once the page has traded its ticket for the cookie, and only to this
site's hosts."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.protect.targets import ReturnTargets
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from sms2fa_app.reflex_adapter import delta_key
from sms2fa_app.state.challenge import ChallengeState
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.session import SessionState
from tests.conftest import make_settings
from tests.support.factories import PASSWORD, create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import deliver, make_state, open_at, redirect_path, run
from tests.unit.state.test_session_binding import root_of

WIKI = "https://wiki.example.com/page?id=7"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, APP_URL="https://auth.example.com", COOKIE_DOMAIN="example.com")


def sent_to_browser(state: Any) -> dict[str, str]:
    """The session state's part of the next update."""
    delta = root_of(state).get_delta().get(SessionState.get_full_name(), {})
    return {name: delta.get(delta_key(name), "") for name in ("cookie_ticket", "cookie_return_to")}


async def log_in_at(rd: str) -> tuple[LoginState, list]:
    state = make_state(LoginState)
    open_at(state, f"https://auth.example.com/login?rd={quote(rd, safe='')}")
    events = await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    return state, events


async def test_without_2fa_the_page_returns_to_rd_after_trading_its_ticket(services: Services) -> None:
    create_user(services)
    state, events = await log_in_at(WIKI)
    assert redirect_path(events) is None  # the page goes itself, once the cookie is set
    sent = sent_to_browser(state)
    assert sent["cookie_ticket"] and sent["cookie_return_to"] == WIKI
    assert not sent_to_browser(state)["cookie_return_to"]  # once


async def test_with_2fa_it_returns_to_rd_only_after_the_second_factor(
    services: Services, gateway: RecordingGateway
) -> None:
    create_user(services, phone="+14155551212")
    state, events = await log_in_at(WIKI)
    assert redirect_path(events) == "/2fa-challenge"
    assert sent_to_browser(state)["cookie_return_to"] == ""  # the password-only session goes nowhere else
    challenge = await state.get_state(ChallengeState)
    await run(challenge.load())
    events = await run(challenge.verify({"code": gateway.sent[-1].code}))
    assert redirect_path(events) is None
    assert sent_to_browser(challenge)["cookie_return_to"] == WIKI


@pytest.mark.parametrize("rd", ["https://evil.example/", "//evil.example/", "https://wiki.example.com@evil.example/"])
async def test_an_rd_elsewhere_is_ignored(services: Services, rd: str) -> None:
    create_user(services)
    state, events = await log_in_at(rd)
    assert redirect_path(events) == "/dashboard"
    assert sent_to_browser(state)["cookie_return_to"] == ""


async def test_a_signed_in_visitor_of_the_login_page_goes_straight_back(services: Services) -> None:
    create_user(services)
    issued = services.sessions.create(1, BY_PASSWORD)
    state = make_state(LoginState)
    open_at(state, f"https://auth.example.com/login?rd={quote(WIKI, safe='')}")
    await deliver(state, session_token=issued.token)
    assert redirect_path(await run(state.load())) == WIKI
    open_at(state, "https://auth.example.com/login?rd=https%3A%2F%2Fevil.example%2F")
    assert redirect_path(await run(state.load())) == "/dashboard"


async def test_one_rule_built_once_serves_the_login_and_forward_auth(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The login checks `rd` with the rule the composition root built for forward-auth: no handler rebuilds it from
    the settings (two copies could drift, and each rebuild parses FORWARD_AUTH_RULES again)."""
    create_user(services)
    built: list[object] = []
    original_init = ReturnTargets.__init__

    def counting_init(self: ReturnTargets, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(ReturnTargets, "__init__", counting_init)
    state, _events = await log_in_at(WIKI)
    assert sent_to_browser(state)["cookie_return_to"] == WIKI
    await run(state.load())  # the login page's on_load reads `rd` too
    assert built == []
