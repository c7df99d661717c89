"""The security review of protected pages (issue 22 §2): what a developer's page must not let through, as
regression tests. Helpers come from test_protected_pages.py (the same dispatch as Reflex's middlewares)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import reflex as rx

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services
from sms2fa_app.reflex_adapter import delta_key
from sms2fa_app.state.protected import ProtectedState, protected, rule_of
from sms2fa_app.state.session import SessionState
from sms2fa_app.state.step_up import StepUpState
from tests.support import reflex_internals
from tests.support.example_pages import VAULT_RECENT_SECONDS, ReportsState, VaultState
from tests.support.factories import PASSWORD
from tests.support.states import client_dict, redirect_path, run
from tests.unit.state.test_protected_pages import (
    deliver_token,
    dispatch,
    fresh_refusal_log,  # noqa: F401 (an autouse fixture)
    tab_at,
    two_factor_session,
)


class VaultDetailsState(VaultState):
    """A sub-page state below the vault, declared by another page with the default (weaker) rule."""

    @rx.event
    def bump(self):
        self.clicks += 100  # the vault's own value


@protected("/example/vault-details", state=VaultDetailsState, title="Details")
def _details_page() -> rx.Component:
    return rx.text("details")


async def test_the_password_alone_does_not_satisfy_a_recent_rule(services: Services, clock: FakeClock) -> None:
    token = two_factor_session(services)
    state = tab_at(VaultState, "/example/vault")
    await deliver_token(state, token)
    clock.advance(VAULT_RECENT_SECONDS + 1)
    session = services.sessions.resolve(token)
    assert session is not None
    user = services.accounts.get(session.user_id)
    services.factor_changes.confirm_password(session, user, Operation.ADD_TOTP, PASSWORD, "203.0.113.5")
    assert await dispatch(state, "count") == (False, "/step-up")  # no second factor was presented again


async def test_a_substate_declared_with_a_weaker_rule_keeps_its_parents_rule(
    services: Services, clock: FakeClock
) -> None:
    assert rule_of(VaultDetailsState) == rule_of(VaultState)
    vault = tab_at(VaultState, "/example/vault")
    await deliver_token(vault, two_factor_session(services))
    details = await vault.get_state(VaultDetailsState)
    clock.advance(VAULT_RECENT_SECONDS + 1)
    assert await dispatch(details, "bump") == (False, "/step-up")
    assert vault.clicks == 0


async def test_an_anonymous_refusal_forgets_the_pages_private_values(services: Services) -> None:
    token = two_factor_session(services)
    state = tab_at(ReportsState, "/example/reports")
    await deliver_token(state, token)
    assert await dispatch(state, "count") == (True, None)
    services.sessions.end(token)  # sign out everywhere, or expiry
    assert await dispatch(state, "count") == (False, "/login?next=/example/reports")
    assert client_dict(state)[ReportsState.get_full_name()][delta_key("clicks")] == 0  # what the next hydrate sends
    assert (await state.get_state(SessionState))._session_token == ""


async def test_a_stale_refusal_resets_the_pages_states(services: Services, clock: FakeClock) -> None:
    vault = tab_at(VaultState, "/example/vault")
    await deliver_token(vault, two_factor_session(services))
    assert await dispatch(vault, "count") == (True, None)
    details = await vault.get_state(VaultDetailsState)
    clock.advance(VAULT_RECENT_SECONDS + 1)
    assert await dispatch(details, "bump") == (False, "/step-up")
    assert vault.clicks == 0
    assert vault.next_path == "/example/vault"  # the step-up still comes back here


async def test_many_refusals_log_at_most_one_line_with_their_count(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    state = tab_at(ReportsState, "/example/reports")
    with caplog.at_level(logging.WARNING, logger="sms2fa.state"):
        for _ in range(300):
            await dispatch(state, "count")
    lines = [record.getMessage() for record in caplog.records if "protected_event_refused" in record.getMessage()]
    assert len(lines) == 1, len(lines)
    assert "handler=ReportsState.count reason=anonymous count=1" in lines[0]


async def test_a_session_whose_account_turned_2fa_off_goes_to_settings_not_round_the_step_up(
    services: Services, clock: FakeClock
) -> None:
    token = two_factor_session(services)
    state = tab_at(VaultState, "/example/vault")
    await deliver_token(state, token)
    session = services.sessions.resolve(token)
    assert session is not None
    with services.database.session() as tx:
        services.second_factors.remove_all(tx, tx.get(User, session.user_id))
    assert await dispatch(state, "count") == (False, "/settings")
    clock.advance(VAULT_RECENT_SECONDS + 1)
    assert await dispatch(state, "count") == (False, "/settings")
    step_up = await state.get_state(StepUpState)
    assert redirect_path(await run(step_up.load())) == "/settings"  # nothing to offer: not back to the page


def test_a_protected_state_may_not_define_computed_vars() -> None:
    with pytest.raises(TypeError, match="computed var"):

        class ComputedLeakState(ProtectedState):
            @rx.var
            def private_total(self) -> str:
                return "private-value"


def test_a_protected_state_may_not_define_background_handlers() -> None:
    with pytest.raises(TypeError, match="background"):

        class BackgroundWorkState(ProtectedState):
            @rx.event(background=True)
            async def work(self):
                return None


def test_on_load_handlers_must_belong_to_a_protected_state() -> None:
    for handler in (StepUpState.load, SessionState.require_authenticated, lambda: None):
        with pytest.raises(TypeError, match="on_load"):
            protected("/example/extra", state=ReportsState, on_load=[handler])
    protected("/example/extra-ok", state=ReportsState, on_load=[ReportsState.count])  # accepted


async def _in_event(router_data: dict[str, Any], step: Callable[[], Awaitable[Any]]) -> Any:
    """`step` inside a Reflex event context with `router_data` (in a task of its own: the context stays there)."""

    async def inside() -> Any:
        reflex_internals.enter_event(_no_emit, router_data=router_data)
        return await step()

    return await asyncio.create_task(inside())


async def _no_emit(_token: str, _delta: dict[str, Any]) -> None:
    return None


async def test_an_event_without_a_connection_is_refused_by_a_protected_state(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    state = tab_at(ReportsState, "/example/reports")
    await deliver_token(state, two_factor_session(services))
    assert await dispatch(state, "count") == (True, None)  # over the tab's socket
    with caplog.at_level(logging.WARNING, logger="sms2fa.state"):
        # an upload (/_upload) names the tab alone: Reflex runs its event with no connection
        assert await _in_event({}, lambda: dispatch(state, "count")) == (False, None)
    assert state.clicks == 1
    assert "handler=ReportsState.count reason=no_connection" in caplog.text


async def test_the_shared_on_load_guard_checks_the_pages_own_rule_and_resets_only_that_page(
    services: Services, clock: FakeClock
) -> None:
    """Every page's on_load guard is ProtectedState.check_access (one handler, inherited): its event names
    ProtectedState, so the page's rule comes from the page's address; a refusal keeps the session's token."""
    vault = tab_at(VaultState, "/example/vault")
    token = two_factor_session(services)
    await deliver_token(vault, token)
    clock.advance(VAULT_RECENT_SECONDS + 1)
    guard = await vault.get_state(ProtectedState)
    assert await dispatch(guard, "check_access") == (False, "/step-up")
    session = await vault.get_state(SessionState)
    assert session._token() is not None and session.next_path == "/example/vault"
