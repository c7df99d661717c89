"""A developer's protected page (tests/support/example_pages.py): every event of its state is checked on the server
against the page's rule before any handler runs, as Reflex runs the app's middlewares (BrowserTokens, then
ProtectedEvents); the on_load guard and the step-up page lead back to the page."""

from __future__ import annotations

import logging
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import reflex as rx

from sms2fa_app.backend.assurance import Amr, Level
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.page_access import PageRule
from sms2fa_app.backend.services import Services
from sms2fa_app.config import ConfigError
from sms2fa_app.state import protected as protected_module
from sms2fa_app.state.browser_tokens import BrowserTokens
from sms2fa_app.state.protected import (
    ProtectedEvents,
    add_protected_pages,
    load_extra_pages,
    protected,
    protected_pages,
    rule_of,
)
from sms2fa_app.state.refusal_log import RefusalLog
from sms2fa_app.state.session import SessionState
from sms2fa_app.state.step_up import StepUpState
from tests.conftest import make_settings
from tests.support import reflex_internals
from tests.support.example_pages import VAULT_RECENT_SECONDS, ReportsState, VaultState
from tests.support.factories import create_user, log_in
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import deliver, make_state, redirect_path, run

PHONE = "+14155551212"


@pytest.fixture(autouse=True)
def fresh_refusal_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with a quiet refusal log (its lines are rate-limited across the process)."""
    monkeypatch.setattr(protected_module, "_REFUSED_EVENTS", RefusalLog("protected_event_refused"))


def root_of(state: Any) -> Any:
    while state.parent_state is not None:
        state = state.parent_state
    return state


def tab_at(state_class: type[rx.State], path: str, sid: str = "sid-a") -> Any:
    """A fresh tab on the page at `path`, whose events come over the connection `sid`."""
    state = make_state(state_class)
    reflex_internals.set_router_data(root_of(state), {"sid": sid, "token": "tab-1", "pathname": path})
    reflex_internals.set_page_url(root_of(state), f"http://localhost{path}")
    return state


async def dispatch(state: Any, handler: str) -> tuple[bool, str | None]:
    """One event for `state`'s `handler`, as Reflex processes it: the middlewares in the app's order, then the
    handler unless one answered. Returns (whether the handler ran, where the tab is sent or None)."""
    event = rx.event.Event(name=f"{type(state).get_full_name()}.{handler}", payload={})
    for middleware in (BrowserTokens(), ProtectedEvents()):
        update = await middleware.preprocess(None, root_of(state), event)
        if update is not None:
            paths = [sent.payload["path"] for sent in update.events if sent.name == "_redirect"]
            return False, paths[-1] if paths else None
    return True, redirect_path(await run(getattr(state, handler)()))


async def deliver_token(state: Any, token: str) -> None:
    """The browser hands the tab its session token (the shared helper: however the token travels)."""
    await deliver(state, session_token=token)


def two_factor_session(services: Services) -> str:
    """A 2FA user signed in with password and a texted code: the session's token."""
    create_user(services, phone=PHONE)
    issued = services.sessions.advance(log_in(services).token, (Amr.SMS,), "sms")
    assert issued is not None
    return issued.token


async def test_an_anonymous_tabs_event_runs_no_handler_and_goes_to_login_with_the_page(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    state = tab_at(ReportsState, "/example/reports")
    with caplog.at_level(logging.WARNING, logger="sms2fa.state"):
        ran, sent_to = await dispatch(state, "count")
    assert (ran, state.clicks) == (False, 0)
    assert sent_to == "/login?next=/example/reports"
    assert "event=protected_event_refused handler=ReportsState.count reason=anonymous" in caplog.text


async def test_a_session_waiting_for_its_second_factor_is_refused_and_sent_to_the_challenge(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    create_user(services, phone=PHONE)
    token = log_in(services).token  # the password only: 2FA pending
    state = tab_at(ReportsState, "/example/reports")
    await deliver_token(state, token)
    with caplog.at_level(logging.WARNING, logger="sms2fa.state"):
        ran, sent_to = await dispatch(state, "count")
    assert (ran, state.clicks) == (False, 0)
    assert sent_to == "/2fa-challenge"
    assert state.next_path == "/example/reports"  # the challenge comes back here
    assert "reason=second_factor_pending" in caplog.text and token not in caplog.text


async def test_an_account_without_two_factor_is_refused_a_two_factor_page(services: Services) -> None:
    create_user(services)  # no phone: the password signs in fully, at the password level
    state = tab_at(ReportsState, "/example/reports")
    await deliver_token(state, log_in(services).token)
    ran, sent_to = await dispatch(state, "count")
    assert (ran, state.clicks) == (False, 0)
    assert sent_to == "/settings"


async def test_a_two_factor_session_runs_the_handler(services: Services) -> None:
    state = tab_at(ReportsState, "/example/reports")
    await deliver_token(state, two_factor_session(services))
    assert await dispatch(state, "check_access") == (True, None)
    assert await dispatch(state, "count") == (True, None)
    assert state.clicks == 1


async def test_a_replayed_tab_id_from_another_connection_runs_no_handler(services: Services) -> None:
    state = tab_at(ReportsState, "/example/reports")
    await deliver_token(state, two_factor_session(services))
    reflex_internals.set_router_data(root_of(state), {"sid": "sid-replay", "token": "tab-1"})
    ran, sent_to = await dispatch(state, "count")
    assert (ran, state.clicks) == (False, 0)
    assert sent_to == "/login?next=/example/reports"


async def test_the_on_load_guard_sends_an_anonymous_tab_to_login(services: Services) -> None:
    state = tab_at(ReportsState, "/example/reports")
    assert redirect_path(await run(state.check_access())) == "/login?next=/example/reports"


async def test_a_stale_factor_asks_for_a_step_up_which_rotates_the_token_and_returns_to_the_page(
    services: Services, clock: FakeClock, gateway: RecordingGateway, caplog: pytest.LogCaptureFixture
) -> None:
    token = two_factor_session(services)
    state = tab_at(VaultState, "/example/vault")
    await deliver_token(state, token)
    assert await dispatch(state, "count") == (True, None)

    clock.advance(VAULT_RECENT_SECONDS)
    with caplog.at_level(logging.WARNING, logger="sms2fa.state"):
        ran, sent_to = await dispatch(state, "count")
    assert (ran, state.clicks) == (False, 0)  # refused, and the page's values reset
    assert sent_to == "/step-up" and state.next_path == "/example/vault"
    assert "handler=VaultState.count reason=stale" in caplog.text

    step_up = await state.get_state(StepUpState)
    assert await run(step_up.load()) == []
    await run(step_up.send_code({}))
    code = gateway.last_code(PHONE)
    assert code is not None
    events = await run(step_up.verify({"code": code}))
    assert redirect_path(events) == "/example/vault"
    assert services.sessions.resolve(token) is None  # the old token stopped working
    assert await dispatch(state, "count") == (True, None)
    assert state.clicks == 1


async def test_a_wrong_step_up_code_changes_nothing(services: Services, clock: FakeClock) -> None:
    token = two_factor_session(services)
    state = tab_at(VaultState, "/example/vault")
    await deliver_token(state, token)
    clock.advance(VAULT_RECENT_SECONDS + 1)
    step_up = await state.get_state(StepUpState)
    await run(step_up.load())
    await run(step_up.send_code({}))
    assert await run(step_up.verify({"code": "000000"})) == []
    assert step_up.error_id.startswith("challenge.sms")
    assert services.sessions.resolve(token) is not None
    ran, sent_to = await dispatch(state, "count")
    assert (ran, sent_to) == (False, "/step-up")


async def test_an_outage_of_the_session_store_refuses_the_event(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    state = tab_at(ReportsState, "/example/reports")
    await deliver_token(state, two_factor_session(services))

    def down(*_args: object, **_kwargs: object) -> None:
        raise ServiceUnavailable("database down")

    monkeypatch.setattr(services.sessions, "resolve_with_facts", down)
    with caplog.at_level(logging.WARNING, logger="sms2fa.state"):
        ran, sent_to = await dispatch(state, "count")
    assert (ran, state.clicks, sent_to) == (False, 0, "/login")
    assert "handler=ReportsState.count reason=unavailable" in caplog.text


async def test_events_of_other_states_pass_through(services: Services) -> None:
    state = tab_at(SessionState, "/dashboard")
    event = rx.event.Event(name=f"{SessionState.get_full_name()}.require_authenticated", payload={})
    assert await ProtectedEvents().preprocess(None, root_of(state), event) is None
    event = rx.event.Event(name="not.a.state.handler", payload={})
    assert await ProtectedEvents().preprocess(None, root_of(state), event) is None


def test_a_page_needs_a_protected_state_a_plain_route_and_a_rule_that_can_be_met() -> None:
    with pytest.raises(TypeError):
        protected("/mine", state=SessionState)  # type: ignore[arg-type]
    for route in ("mine", "//evil.example/x", "/a\\b", "/login"):
        with pytest.raises(ValueError):
            protected(route, state=ReportsState)
    with pytest.raises(ValueError):
        protected("/mine", state=ReportsState, level=Level.PASSWORD, recent=60)


def test_extra_pages_are_dotted_module_names_and_one_that_fails_to_import_names_the_setting(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, EXTRA_PAGES=" tests.support.example_pages , myapp.reports ")
    assert settings.extra_pages == ("tests.support.example_pages", "myapp.reports")
    with pytest.raises(ConfigError, match="EXTRA_PAGES"):
        make_settings(tmp_path, EXTRA_PAGES="../evil.py")
    with pytest.raises(RuntimeError, match=r"EXTRA_PAGES: cannot import .tests\.support\.no_such_pages."):
        load_extra_pages(["tests.support.no_such_pages"])


def test_each_page_is_added_with_its_guard_first_in_on_load() -> None:
    added: dict[str, dict[str, Any]] = {}

    class App:
        def add_page(self, component: Any, route: str, **options: Any) -> None:
            added[route] = options

    add_protected_pages(App(), lambda title: {"title": title})  # type: ignore[arg-type]
    assert added["/example/reports"] == {"on_load": [ReportsState.check_access], "title": "Reports"}
    assert added["/example/vault"]["on_load"] == [VaultState.check_access]


def test_the_documented_example_declares_its_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/add-your-own-page.md's example, run as a developer's module, registers its page and rule."""
    doc = (Path(__file__).resolve().parents[3] / "docs" / "add-your-own-page.md").read_text()
    source = re.search(r"```python\n(.*?)```", doc, flags=re.DOTALL)
    assert source is not None
    module = types.ModuleType("docs_example_reports")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(source.group(1), "add-your-own-page.md", "exec"), module.__dict__)
    assert rule_of(module.ReportsState) == PageRule(Level.TWO_FACTOR, 300)
    assert "/reports" in {page.route for page in protected_pages()}
    module.reports_page()  # it renders
