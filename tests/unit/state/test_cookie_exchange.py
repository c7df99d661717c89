"""POST /api/session/cookie: the ticket a sign-in's update carries sets the HttpOnly session cookie once, within
its minute, and only for the app's own pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from sms2fa_app.api.routes import api_app
from sms2fa_app.api.session_cookie import LEGACY_SESSION_KIND
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.crypto import new_token, token_digest
from sms2fa_app.backend.services import Services
from sms2fa_app.reflex_adapter import delta_key
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.session import SessionState
from tests.support.factories import PASSWORD, create_user
from tests.support.states import make_state, run
from tests.unit.state.test_session_binding import on_connection, root_of

ENDPOINT = "/api/session/cookie"
PAGE = "http://localhost:3000"  # the development page's origin (APP_URL's)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(api_app(), base_url="http://localhost:8000") as test_client:
        yield test_client


async def signed_in_ticket(services: Services) -> tuple[str, str]:
    """(the ticket in the sign-in's update, the session token the server issued)."""
    create_user(services)
    state = make_state(LoginState)
    on_connection(state, "sid-a")
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    issued = getattr(state, "_session_token", "")  # the raw token lives in the handler's state until the update
    ticket = root_of(state).get_delta().get(SessionState.get_full_name(), {}).get(delta_key("cookie_ticket"), "")
    assert ticket, "the sign-in's update carries no cookie ticket"
    assert issued and issued not in ticket
    return ticket, issued


def exchange(client: TestClient, ticket: str, origin: str = PAGE, **headers: str) -> Any:
    return client.post(ENDPOINT, content=ticket, headers={"Origin": origin, "Content-Type": "text/plain", **headers})


def set_cookies(response: Any) -> list[str]:
    return response.headers.get_list("set-cookie")


async def test_the_ticket_sets_the_http_only_cookie_once(client: TestClient, services: Services) -> None:
    ticket, issued = await signed_in_ticket(services)
    first = exchange(client, ticket)
    assert first.status_code == 204
    max_age = services.settings.session_absolute_seconds
    assert set_cookies(first) == [f"sms2fa_session={issued}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}"]
    assert first.headers["access-control-allow-origin"] == PAGE
    assert first.headers["access-control-allow-credentials"] == "true"

    again = exchange(client, ticket)
    assert again.status_code == 400 and set_cookies(again) == []


async def test_the_ticket_expires(client: TestClient, services: Services, clock: FakeClock) -> None:
    ticket, _issued = await signed_in_ticket(services)
    clock.advance(61)
    expired = exchange(client, ticket)
    assert expired.status_code == 400 and set_cookies(expired) == []


async def test_another_site_can_neither_use_a_ticket_nor_spend_it(client: TestClient, services: Services) -> None:
    ticket, _issued = await signed_in_ticket(services)
    for origin in ("http://evil.example", "null", "http://localhost:3000.evil.example"):
        refused = exchange(client, ticket, origin=origin)
        assert refused.status_code == 403 and set_cookies(refused) == []
        assert "access-control-allow-origin" not in refused.headers
    assert client.post(ENDPOINT, content=ticket).status_code == 403  # no Origin: no browser page of the app
    assert exchange(client, ticket).status_code == 204  # still good for the app's page


@pytest.mark.parametrize("ticket", ["", "x", "gAAAAA" + "A" * 200, "t" * 5000])
async def test_a_forged_ticket_sets_nothing(client: TestClient, services: Services, ticket: str) -> None:
    response = exchange(client, ticket)
    assert response.status_code == 400 and set_cookies(response) == []


async def test_logging_out_clears_the_cookie_it_had_set(client: TestClient, services: Services) -> None:
    ticket, issued = await signed_in_ticket(services)
    assert exchange(client, ticket).status_code == 204
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    state._session_binding = ("sid-a", token_digest(issued))
    await run(state.log_out())
    assert services.sessions.resolve(issued) is None  # ended on the server at once
    clear = root_of(state).get_delta()[SessionState.get_full_name()][delta_key("cookie_ticket")]

    another_login = exchange(client, clear, Cookie=f"sms2fa_session={new_token()}")  # another tab's newer sign-in
    assert another_login.status_code == 204 and set_cookies(another_login) == []  # not this session's cookie
    cleared = exchange(client, clear, Cookie=f"sms2fa_session={issued}")
    assert cleared.status_code == 400  # single use, even for clearing


async def test_a_clearing_ticket_drops_the_cookie_it_names(client: TestClient, services: Services) -> None:
    _ticket, issued = await signed_in_ticket(services)
    state = make_state(SessionState)
    on_connection(state, "sid-a")
    state._session_binding = ("sid-a", token_digest(issued))
    await run(state.log_out())
    clear = root_of(state).get_delta()[SessionState.get_full_name()][delta_key("cookie_ticket")]
    cleared = exchange(client, clear, Cookie=f"sms2fa_session={issued}")
    assert cleared.status_code == 204
    assert set_cookies(cleared) == ["sms2fa_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"]


def test_a_preflight_is_answered_only_for_the_apps_pages(client: TestClient) -> None:
    allowed = client.options(ENDPOINT, headers={"Origin": PAGE, "Access-Control-Request-Method": "POST"})
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == PAGE
    refused = client.options(ENDPOINT, headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize("respell", ["{}=", "{}==", "*{}", "{} "])
async def test_a_used_ticket_respelled_sets_no_cookie(client: TestClient, services: Services, respell: str) -> None:
    """Off the browser (curl, any Origin header) a used ticket with a junk character is still used."""
    ticket, _issued = await signed_in_ticket(services)
    assert exchange(client, ticket).status_code == 204
    replay = exchange(client, respell.format(ticket))
    assert replay.status_code == 400 and set_cookies(replay) == []


def old_app_session(services: Services) -> str:
    """A session token as the app before the cookie kept it (in localStorage)."""
    create_user(services)
    return services.accounts.log_in("ada@example.com", PASSWORD).issued.token


async def test_the_old_apps_session_token_posted_once_ends_its_session(client: TestClient, services: Services) -> None:
    token = old_app_session(services)
    ended = exchange(client, LEGACY_SESSION_KIND + token)
    assert ended.status_code == 204 and set_cookies(ended) == []  # it ends a session; it signs nobody in
    assert services.sessions.resolve(token) is None


async def test_another_site_cannot_end_an_old_session(client: TestClient, services: Services) -> None:
    token = old_app_session(services)
    refused = exchange(client, LEGACY_SESSION_KIND + token, origin="http://evil.example")
    assert refused.status_code == 403
    assert services.sessions.resolve(token) is not None
