"""The HTTP shapes of forward-auth: nginx's 401 with Location, Caddy's and Traefik's redirect, the Remote-* headers
always present (empty for nobody), nothing cached by anyone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from sms2fa_app.api.forward_auth import FORWARD_PATH, VERIFY_PATH
from sms2fa_app.api.routes import api_app
from sms2fa_app.backend.assurance import BY_PASSWORD, Amr
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user
from tests.unit.backend.protect.conftest import APP, cookie

LOGIN = "http://localhost:3000/login?rd=https%3A%2F%2Fapp.example.com%2Fwiki%3Fa%3D1"
REMOTE = ("remote-user", "remote-email", "remote-name", "remote-amr")


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(api_app(), follow_redirects=False) as test_client:
        yield test_client


def _two_factor_token(services: Services) -> str:
    user = create_user(services, "ada@example.com", phone="+16502531212")
    return services.sessions.create(int(user.id or 0), (Amr.PWD, Amr.SMS)).token


def test_nginx_gets_200_and_who_it_is(services: Services, client: TestClient) -> None:
    headers = {"X-Original-URL": f"{APP}/wiki?a=1", "Cookie": cookie(services, _two_factor_token(services))}
    answer = client.get(VERIFY_PATH, headers=headers)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert [answer.headers[name] for name in REMOTE] == ["1", "ada@example.com", "ada", "pwd,sms,mfa"]


def test_nginx_gets_401_with_the_login_and_caddy_a_redirect(services: Services, client: TestClient) -> None:
    user = create_user(services)
    token = services.sessions.create(int(user.id or 0), BY_PASSWORD).token
    answer = client.get(VERIFY_PATH, headers={"X-Original-URL": f"{APP}/wiki?a=1", "Cookie": cookie(services, token)})
    assert (answer.status_code, answer.headers["location"]) == (401, LOGIN)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/wiki?a=1"}
    assert client.get(FORWARD_PATH, headers=forwarded).headers["location"] == LOGIN
    assert client.get(FORWARD_PATH, headers=forwarded).status_code == 302
    assert client.post(FORWARD_PATH, headers={**forwarded, "X-Forwarded-Method": "POST"}).status_code == 303


def test_bypass_answers_200_with_empty_identity_headers(client: TestClient) -> None:
    answer = client.get(VERIFY_PATH, headers={"X-Original-URL": f"{APP}/public/a.png"})
    assert answer.status_code == 200 and [answer.headers[name] for name in REMOTE] == ["", "", "", ""]


def test_deny_and_no_original_answer_403(services: Services, client: TestClient) -> None:
    token_cookie = cookie(services, _two_factor_token(services))
    assert (
        client.get(VERIFY_PATH, headers={"X-Original-URL": f"{APP}/internal/", "Cookie": token_cookie}).status_code
        == 403
    )
    assert client.get(VERIFY_PATH, headers={"Cookie": token_cookie}).status_code == 403
    assert client.get(FORWARD_PATH, headers={"Cookie": token_cookie}).status_code == 403


def test_a_forged_host_gets_no_return_address(client: TestClient) -> None:
    answer = client.get(VERIFY_PATH, headers={"X-Original-URL": "https://evil.example/x"})
    assert answer.status_code == 403  # no rule names it
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "app.example.com\\@evil.example",
        "X-Forwarded-Uri": "/",
    }
    assert client.get(FORWARD_PATH, headers=forwarded).status_code == 403
