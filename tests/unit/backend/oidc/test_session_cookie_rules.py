"""The authorization and token endpoints under issue 22's session-cookie rules: only a cookie shaped like an issued
token counts, a cookie name sent twice is no session at all, the token endpoint never takes a cookie for a client,
and a fresh sign-in the provider asks for shows the login form even to a signed-in browser (prompt=login)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from sms2fa_app.backend.infra.crypto import token_digest
from sms2fa_app.backend.oidc.claims import ACR_TWO_FACTOR
from tests.support.oidc_flow import Pkce, RelyingParty, redirect_params
from tests.unit.backend.oidc.conftest import Browser

LOGIN = "http://localhost:3000/login"


def _authorize(http: TestClient, rp: RelyingParty, cookie: str, **extra: str):  # type: ignore[no-untyped-def]
    """/oauth2/authorize with exactly this Cookie header (the client's cookie jar left out)."""
    http.cookies.clear()
    params = rp.authorize_params(Pkce.new(), **extra)
    return http.get("/oauth2/authorize", params=params, headers={"Cookie": cookie}, follow_redirects=False)


def _bad_cookies(token: str) -> dict[str, str]:
    return {
        "the name twice": f"sms2fa_session={token}; sms2fa_session={token}",
        "a planted second one": f"sms2fa_session={token}; sms2fa_session=x{token[1:]}",
        "not an issued token's shape": f"sms2fa_session={token}=",
        "the token's digest": f"sms2fa_session={token_digest(token)}",
    }


@pytest.mark.parametrize("case", list(_bad_cookies("t")))
def test_authorize_finds_no_session_in_a_cookie_that_is_no_credential(
    browser: Browser, rp: RelyingParty, case: str
) -> None:
    cookie = _bad_cookies(browser.session_token)[case]
    to_login = _authorize(browser.http, rp, cookie)
    assert to_login.status_code == 302 and to_login.headers["location"].startswith(LOGIN + "?rd=")
    assert redirect_params(_authorize(browser.http, rp, cookie, prompt="none"))["error"] == "login_required"
    signed_in = _authorize(browser.http, rp, f"sms2fa_session={browser.session_token}")
    assert "code" in redirect_params(signed_in)  # the same token, sent once as itself, is the session


def test_the_token_endpoint_takes_no_cookie_for_a_client(browser: Browser, rp: RelyingParty) -> None:
    """A browser's session cookie is no client authentication: without the client's secret, no tokens."""
    answer = browser.http.post(
        "/oauth2/token",
        data={"grant_type": "authorization_code", "code": "x", "client_id": rp.client_id},
        headers={"Cookie": f"sms2fa_session={browser.session_token}"},
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def _login_query(location: str) -> dict[str, list[str]]:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == LOGIN, location
    return parse_qs(parts.query)


def test_a_fresh_sign_in_asks_the_login_page_for_its_form(browser: Browser, rp: RelyingParty) -> None:
    """Without prompt=login the login page forwards a signed-in browser straight back (rd), which then gets
    login_required: a step-up could never reach the challenge."""
    cookie = f"sms2fa_session={browser.session_token}"
    answer = _authorize(browser.http, rp, cookie, prompt="login")
    assert _login_query(answer.headers["location"])["prompt"] == ["login"]
    browser.http.cookies.clear()
    signed_out = browser.http.get("/oauth2/authorize", params=rp.authorize_params(Pkce.new()), follow_redirects=False)
    assert "prompt" not in _login_query(signed_out.headers["location"])  # no session: the form shows anyway


def test_step_up_asks_the_login_page_for_its_form(services, http: TestClient) -> None:  # type: ignore[no-untyped-def]
    from sms2fa_app.backend.assurance import Amr
    from tests.support.factories import create_user
    from tests.support.oidc_flow import CALLBACK, browser_session

    user = create_user(services, "step@example.com", phone="+14155550101")
    assert user.id is not None
    registered = services.oidc.server.clients.register("Vault", [CALLBACK], first_party=True)
    rp = RelyingParty(registered.client_id, registered.client_secret)
    cookie = f"sms2fa_session={browser_session(services, user.id, (Amr.PWD,))}"
    answer = _authorize(http, rp, cookie, acr_values=ACR_TWO_FACTOR)
    assert _login_query(answer.headers["location"])["prompt"] == ["login"]
