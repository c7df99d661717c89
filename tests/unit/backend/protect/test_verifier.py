"""The verifier: the rule's level against the session's, one cached read per request, and every refusal logged
without the token."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import fakeredis
import pytest
from sqlalchemy import event

from sms2fa_app.backend.assurance import BY_PASSWORD, Amr
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.protect.facts import KEY_PREFIX
from sms2fa_app.backend.protect.verifier import Allow, Forbidden, LogIn
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user
from tests.unit.backend.protect.conftest import APP, cookie

TWO_FACTOR_METHODS = (Amr.PWD, Amr.SMS)


@pytest.fixture
def sql_statements(services: Services) -> Iterator[list[str]]:
    """Every SQL statement the database runs while the test does."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        seen.append(statement)

    event.listen(services.database.engine, "before_cursor_execute", record)
    yield seen
    event.remove(services.database.engine, "before_cursor_execute", record)


def test_a_two_factor_session_passes_with_who_it_is(services: Services) -> None:
    user = create_user(services, "ada@example.com", phone="+16502531212")
    token = services.sessions.create(int(user.id or 0), TWO_FACTOR_METHODS).token
    decision = services.forward_auth.verify(cookie(services, token), f"{APP}/wiki")
    assert isinstance(decision, Allow) and decision.who is not None
    assert (decision.who.user_id, decision.who.email, decision.who.name) == (user.id, "ada@example.com", "ada")
    assert decision.who.amr == ("pwd", "sms", "mfa")


def test_a_password_only_session_is_sent_to_the_login_on_a_two_factor_rule_but_passes_one_factor(
    services: Services,
) -> None:
    user = create_user(services)
    token = services.sessions.create(int(user.id or 0), BY_PASSWORD).token
    assert services.forward_auth.verify(cookie(services, token), f"{APP}/wiki") == LogIn(
        "http://localhost:3000/login?rd=https%3A%2F%2Fapp.example.com%2Fwiki"
    )
    assert isinstance(services.forward_auth.verify(cookie(services, token), f"{APP}/docs/x"), Allow)


def test_a_session_waiting_for_its_second_factor_passes_nothing(services: Services) -> None:
    user = create_user(services, phone="+16502531212")
    token = services.sessions.create(int(user.id or 0), BY_PASSWORD, complete=False).token
    assert isinstance(services.forward_auth.verify(cookie(services, token), f"{APP}/docs/x"), LogIn)


def test_bypass_needs_no_session_and_deny_refuses_every_session(services: Services) -> None:
    user = create_user(services, phone="+16502531212")
    token = services.sessions.create(int(user.id or 0), TWO_FACTOR_METHODS).token
    assert services.forward_auth.verify(None, f"{APP}/public/logo.png") == Allow(None)
    assert services.forward_auth.verify(cookie(services, token), f"{APP}/internal/x") == Forbidden()
    assert services.forward_auth.verify(cookie(services, token), "https://elsewhere.example/") == Forbidden()
    assert services.forward_auth.verify(cookie(services, token), "not a url") == Forbidden()


def test_no_cookie_or_an_unknown_token_goes_to_the_login(services: Services) -> None:
    assert isinstance(services.forward_auth.verify(None, f"{APP}/"), LogIn)
    assert isinstance(services.forward_auth.verify(cookie(services, "x" * 43), f"{APP}/"), LogIn)


def test_after_the_first_request_a_session_costs_one_redis_read_and_no_sql(
    services: Services, sql_statements: list[str], redis_client: fakeredis.FakeRedis
) -> None:
    user = create_user(services, phone="+16502531212")
    token = services.sessions.create(int(user.id or 0), TWO_FACTOR_METHODS).token
    services.forward_auth.verify(cookie(services, token), f"{APP}/")
    sql_statements.clear()
    for _ in range(20):
        assert isinstance(services.forward_auth.verify(cookie(services, token), f"{APP}/"), Allow)
    assert sql_statements == []
    [key] = redis_client.keys(KEY_PREFIX + "*")
    assert token not in key and 0 < redis_client.ttl(key) <= 30


def test_a_junk_cookie_is_remembered_as_no_session(services: Services, sql_statements: list[str]) -> None:
    services.forward_auth.verify(cookie(services, "y" * 43), f"{APP}/")
    sql_statements.clear()
    services.forward_auth.verify(cookie(services, "y" * 43), f"{APP}/")
    assert sql_statements == []


def test_the_cache_never_outlives_the_session(
    services: Services, redis_client: fakeredis.FakeRedis, clock: FakeClock
) -> None:
    """A session waiting for its second factor expires PENDING_2FA_SECONDS after the password: 25 s left, 25 s
    cached at most (a signed-in one is bounded alike by its idle and absolute limits)."""
    user = create_user(services, phone="+16502531212")
    issued = services.sessions.create(int(user.id or 0), BY_PASSWORD, complete=False)
    clock.advance(services.settings.pending_2fa_seconds - 25)
    services.forward_auth.verify(cookie(services, issued.token), f"{APP}/")
    [key] = redis_client.keys(KEY_PREFIX + "*")
    assert 0 < redis_client.ttl(key) <= 25


def test_redis_down_still_answers_from_sql(services: Services, redis_client: fakeredis.FakeRedis) -> None:
    user = create_user(services, phone="+16502531212")
    token = services.sessions.create(int(user.id or 0), TWO_FACTOR_METHODS).token
    redis_client.connected = False
    try:
        assert isinstance(services.forward_auth.verify(cookie(services, token), f"{APP}/"), Allow)
    finally:
        redis_client.connected = True


def test_every_refusal_is_logged_without_the_token(services: Services, caplog: pytest.LogCaptureFixture) -> None:
    user = create_user(services)
    token = services.sessions.create(int(user.id or 0), BY_PASSWORD).token
    with caplog.at_level(logging.INFO, logger="sms2fa.forward_auth"):
        services.forward_auth.verify(cookie(services, token), f"{APP}/wiki?secret=1")
        services.forward_auth.verify(None, f"{APP}/internal/")
        services.forward_auth.verify(None, "https://bad host/")
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 3 and all("event=forward_auth_refused" in line for line in lines), lines
    assert "reason=level_too_low" in lines[0] and f"user={user.id}" in lines[0]
    assert not any(token in line or "secret" in line for line in lines)


@pytest.mark.parametrize("junk", ["junk", "y" * 42, "y" * 44, "y" * 42 + "=", "y" * 42 + "."])
def test_a_cookie_that_is_no_issued_token_costs_no_sql_and_no_redis(
    services: Services, sql_statements: list[str], redis_client: fakeredis.FakeRedis, junk: str
) -> None:
    assert isinstance(services.forward_auth.verify(cookie(services, junk), f"{APP}/"), LogIn)
    assert sql_statements == [] and redis_client.keys(KEY_PREFIX + "*") == []
