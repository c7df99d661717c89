"""The OpenID provider over HTTP (the app's Starlette routes, fakeredis, SQLite): the code flow and its refusals.
The independent relying party (openid-client under node) runs the same flow in tests/integration/test_oidc_rp.py."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.testclient import TestClient

from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.oidc.claims import ACR_TWO_FACTOR
from sms2fa_app.backend.services import Services
from tests.support.oidc_flow import CALLBACK, Pkce, RelyingParty, code_for, redirect_params
from tests.unit.backend.oidc.conftest import Browser


def id_token_claims(http: TestClient, id_token: str) -> dict:
    keys = KeySet.import_key_set(http.get("/oauth2/jwks").json())
    return dict(jwt.decode(id_token, keys, algorithms=["RS256"]).claims)


def test_code_flow_with_pkce_gives_an_id_token_with_the_sign_in_methods(browser: Browser, rp: RelyingParty) -> None:
    pkce = Pkce.new()
    code = code_for(browser.http, rp, pkce, nonce="n-0S6")
    tokens = rp.exchange(browser.http, code, pkce.verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    claims = id_token_claims(browser.http, body["id_token"])
    assert claims["iss"] == "http://localhost:8000" and claims["aud"] == rp.client_id
    assert claims["sub"] == str(browser.user_id) and claims["nonce"] == "n-0S6"
    assert {"pwd", "sms", "mfa"} <= set(claims["amr"]) and claims["acr"] == ACR_TWO_FACTOR
    info = browser.http.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == str(browser.user_id)
    assert info.json()["email_verified"] is True
    refreshed = rp.refresh(browser.http, body["refresh_token"])
    assert refreshed.status_code == 200 and refreshed.json()["refresh_token"] != body["refresh_token"]


def test_a_wrong_redirect_uri_is_never_redirected_to(browser: Browser, rp: RelyingParty) -> None:
    for uri in ("http://localhost:4100/callback/../evil", "https://evil.example/callback", CALLBACK + "?x=1"):
        params = rp.authorize_params(Pkce.new(), redirect_uri=uri)
        answer = browser.http.get("/oauth2/authorize", params=params, follow_redirects=False)
        assert answer.status_code == 400 and "location" not in answer.headers


def test_a_code_is_single_use_and_its_reuse_revokes_what_it_issued(browser: Browser, rp: RelyingParty) -> None:
    pkce = Pkce.new()
    code = code_for(browser.http, rp, pkce)
    first = rp.exchange(browser.http, code, pkce.verifier).json()
    again = rp.exchange(browser.http, code, pkce.verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    bearer = {"Authorization": f"Bearer {first['access_token']}"}
    assert browser.http.get("/oauth2/userinfo", headers=bearer).status_code == 401
    assert rp.refresh(browser.http, first["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_code_expires_after_a_minute(browser: Browser, rp: RelyingParty, clock: FakeClock) -> None:
    pkce = Pkce.new()
    code = code_for(browser.http, rp, pkce)
    clock.advance(61)
    assert rp.exchange(browser.http, code, pkce.verifier).json()["error"] == "invalid_grant"


def test_pkce_verifier_must_match(browser: Browser, rp: RelyingParty) -> None:
    pkce = Pkce.new()
    missing = rp.exchange(browser.http, code_for(browser.http, rp, pkce), None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = rp.exchange(browser.http, code_for(browser.http, rp, pkce), Pkce.new().verifier)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_plain_pkce_and_implicit_flows_are_refused(browser: Browser, rp: RelyingParty) -> None:
    pkce = Pkce.new()
    plain = rp.authorize_params(None, code_challenge=pkce.verifier, code_challenge_method="plain")
    assert redirect_params(browser.http.get("/oauth2/authorize", params=plain, follow_redirects=False))["error"] == (
        "invalid_request"
    )
    for response_type in ("token", "id_token", "code id_token"):
        params = rp.authorize_params(pkce, response_type=response_type)
        answer = browser.http.get("/oauth2/authorize", params=params, follow_redirects=False)
        assert "code=" not in answer.headers.get("location", "") and "access_token" not in answer.text


def test_a_public_client_must_use_pkce(services: Services, browser: Browser) -> None:
    registered = services.oidc.server.clients.register("SPA", [CALLBACK], public=True, first_party=True)
    public = RelyingParty(registered.client_id, None)
    answer = browser.http.get("/oauth2/authorize", params=public.authorize_params(None), follow_redirects=False)
    assert redirect_params(answer)["error"] == "invalid_request"
    pkce = Pkce.new()
    assert public.exchange(browser.http, code_for(browser.http, public, pkce), pkce.verifier).status_code == 200


def test_a_wrong_client_secret_gets_no_tokens(browser: Browser, rp: RelyingParty) -> None:
    pkce = Pkce.new()
    code = code_for(browser.http, rp, pkce)
    wrong = RelyingParty(rp.client_id, "not-the-secret")
    answer = wrong.exchange(browser.http, code, pkce.verifier)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_prompt_none_without_a_session_answers_login_required(http: TestClient, rp: RelyingParty) -> None:
    params = rp.authorize_params(Pkce.new(), prompt="none")
    answer = http.get("/oauth2/authorize", params=params, follow_redirects=False)
    found = redirect_params(answer)
    assert found["error"] == "login_required" and found["state"] == params["state"]
    assert answer.headers["location"].startswith(CALLBACK + "?")


def test_without_a_session_the_browser_goes_to_the_login_and_back(http: TestClient, rp: RelyingParty) -> None:
    params = rp.authorize_params(Pkce.new())
    answer = http.get("/oauth2/authorize", params=params, follow_redirects=False)
    location = urlsplit(answer.headers["location"])
    assert answer.status_code == 302 and f"{location.scheme}://{location.netloc}{location.path}" == (
        "http://localhost:3000/login"
    )
    back = parse_qs(urlsplit(parse_qs(location.query)["rd"][0]).query)
    assert back["state"] == [params["state"]] and back["nonce"] == [params["nonce"]]


def test_refresh_token_reuse_after_rotation_revokes_the_family(browser: Browser, rp: RelyingParty) -> None:
    pkce = Pkce.new()
    first = rp.exchange(browser.http, code_for(browser.http, rp, pkce), pkce.verifier).json()
    second = rp.refresh(browser.http, first["refresh_token"]).json()
    replay = rp.refresh(browser.http, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert rp.refresh(browser.http, second["refresh_token"]).json()["error"] == "invalid_grant"
    bearer = {"Authorization": f"Bearer {second['access_token']}"}
    assert browser.http.get("/oauth2/userinfo", headers=bearer).status_code == 401


def test_tokens_die_with_the_login_session(services: Services, browser: Browser, rp: RelyingParty) -> None:
    pkce = Pkce.new()
    tokens = rp.exchange(browser.http, code_for(browser.http, rp, pkce), pkce.verifier).json()
    services.sessions.end(browser.session_token)  # logout
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert browser.http.get("/oauth2/userinfo", headers=bearer).status_code == 401
    assert rp.refresh(browser.http, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_tokens_die_when_signing_out_everywhere(services: Services, browser: Browser, rp: RelyingParty) -> None:
    pkce = Pkce.new()
    code = code_for(browser.http, rp, pkce)
    services.sessions.end_all_for_user(browser.user_id)
    assert rp.exchange(browser.http, code, pkce.verifier).json()["error"] == "invalid_grant"


def test_a_disabled_client_is_refused(services: Services, browser: Browser, rp: RelyingParty) -> None:
    pkce = Pkce.new()
    code = code_for(browser.http, rp, pkce)
    services.oidc.server.clients.set_disabled(rp.client_id, True)
    assert rp.exchange(browser.http, code, pkce.verifier).status_code == 401
    answer = browser.http.get("/oauth2/authorize", params=rp.authorize_params(pkce), follow_redirects=False)
    assert answer.status_code == 400 and "location" not in answer.headers


def test_step_up_sends_a_password_only_session_back_to_sign_in(services: Services, http: TestClient) -> None:
    from sms2fa_app.backend.assurance import Amr
    from tests.support.factories import create_user
    from tests.support.oidc_flow import browser_session

    user = create_user(services, "bo@example.com", phone="+14155550100")
    assert user.id is not None
    http.cookies.set("sms2fa_session", browser_session(services, user.id, (Amr.PWD,)))
    registered = services.oidc.server.clients.register("Vault", [CALLBACK], first_party=True)
    rp = RelyingParty(registered.client_id, registered.client_secret)
    params = rp.authorize_params(Pkce.new(), acr_values=ACR_TWO_FACTOR)
    answer = http.get("/oauth2/authorize", params=params, follow_redirects=False)
    assert answer.status_code == 302 and answer.headers["location"].startswith("http://localhost:3000/login?rd=")
    none = http.get("/oauth2/authorize", params={**params, "prompt": "none"}, follow_redirects=False)
    assert redirect_params(none)["error"] == "login_required"


def test_housekeeping_purges_tokens_that_can_never_work_again(
    services: Services, browser: Browser, rp: RelyingParty, clock: FakeClock
) -> None:
    pkce = Pkce.new()
    with_refresh = rp.exchange(browser.http, code_for(browser.http, rp, pkce), pkce.verifier).json()
    pkce = Pkce.new()
    code = code_for(browser.http, rp, pkce, scope="openid")
    rp.exchange(browser.http, code, pkce.verifier)  # no refresh token: dead once its access token expires
    clock.advance(301)
    assert services.housekeeping.purge_expired(clock.now()).oidc_tokens == 1
    assert rp.refresh(browser.http, with_refresh["refresh_token"]).status_code == 200
    services.sessions.end(browser.session_token)
    assert services.housekeeping.purge_expired(clock.now()).oidc_tokens == 2  # the session went: both its rows


def test_no_token_or_code_reaches_the_logs_even_at_debug(
    browser: Browser, rp: RelyingParty, caplog: pytest.LogCaptureFixture
) -> None:
    pkce = Pkce.new()
    with caplog.at_level(logging.DEBUG):  # the root logger and its handlers at DEBUG, as a developer might set it
        code = code_for(browser.http, rp, pkce)
        body = rp.exchange(browser.http, code, pkce.verifier).json()
        rp.refresh(browser.http, body["refresh_token"])
    for secret in (code, body["access_token"], body["refresh_token"], body["id_token"], rp.client_secret or ""):
        assert secret not in caplog.text


def browser_session_id(services: Services, browser: Browser) -> int:
    found = services.sessions.resolve(browser.session_token)
    assert found is not None
    return found.session_id


def test_prompt_login_sends_a_signed_in_browser_to_sign_in_again_once(
    services: Services, browser: Browser, rp: RelyingParty, clock: FakeClock
) -> None:
    """The way back carries max_age instead of prompt=login; a login page that forwarded the browser without a new
    sign-in gets the client login_required, not an endless round."""
    params = rp.authorize_params(Pkce.new(), prompt="login")
    answer = browser.http.get("/oauth2/authorize", params=params, follow_redirects=False)
    back = parse_qs(urlsplit(answer.headers["location"]).query)["rd"][0]
    assert "prompt" not in parse_qs(urlsplit(back).query) and "max_age" in parse_qs(urlsplit(back).query)
    again = browser.http.get(back, follow_redirects=False)  # no new sign-in happened
    assert redirect_params(again)["error"] == "login_required"
    clock.advance(5)
    services.sessions.reauthenticate(browser_session_id(services, browser), (Amr.PWD, Amr.SMS))  # signed in again
    assert "code" in redirect_params(browser.http.get(back, follow_redirects=False))


def test_rp_initiated_logout_ends_only_the_session_its_id_token_names(
    services: Services, browser: Browser, rp: RelyingParty, clock: FakeClock
) -> None:
    from tests.support.factories import create_user
    from tests.support.oidc_flow import browser_session

    clock.current = time.time()  # Authlib checks the hint's iat against the real time

    pkce = Pkce.new()
    mine = rp.exchange(browser.http, code_for(browser.http, rp, pkce), pkce.verifier).json()["id_token"]
    other = create_user(services, "eve@example.com")
    assert other.id is not None
    with TestClient(browser.http.app, base_url="http://localhost:8000") as eve:
        eve.cookies.set("sms2fa_session", browser_session(services, other.id, (Amr.PWD,)))
        pkce = Pkce.new()
        theirs = rp.exchange(eve, code_for(eve, rp, pkce), pkce.verifier).json()["id_token"]
    answer = browser.http.get("/oauth2/end-session", params={"id_token_hint": theirs}, follow_redirects=False)
    assert answer.status_code == 302 and services.sessions.resolve(browser.session_token) is not None
    nothing = browser.http.get("/oauth2/end-session", follow_redirects=False)  # no hint: a link signs nobody out
    assert nothing.status_code == 302 and services.sessions.resolve(browser.session_token) is not None
    ended = browser.http.get("/oauth2/end-session", params={"id_token_hint": mine}, follow_redirects=False)
    assert ended.status_code == 302 and services.sessions.resolve(browser.session_token) is None
    assert "sms2fa_session=;" in ended.headers["set-cookie"] and "Max-Age=0" in ended.headers["set-cookie"]


def test_scripts_of_any_origin_may_call_the_token_endpoints_without_credentials(
    browser: Browser, rp: RelyingParty
) -> None:
    """A public client runs in the browser: its fetch of token, userinfo and revocation needs CORS (no cookies)."""
    preflight = browser.http.options("/oauth2/userinfo", headers={"Origin": "https://spa.example"})
    assert preflight.status_code == 204 and "Authorization" in preflight.headers["access-control-allow-headers"]
    pkce = Pkce.new()
    answer = rp.exchange(browser.http, code_for(browser.http, rp, pkce), pkce.verifier)
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers
    assert browser.http.get("/.well-known/openid-configuration").headers["access-control-allow-origin"] == "*"
    authorize = browser.http.get("/oauth2/authorize", params=rp.authorize_params(Pkce.new()), follow_redirects=False)
    assert "access-control-allow-origin" not in authorize.headers  # navigations only


def test_redis_down_answers_503_and_issues_nothing(services: Services, browser: Browser, rp: RelyingParty) -> None:
    import redis

    from tests.unit.test_api import closed_port

    services.oidc.server.codes._redis = redis.Redis(port=closed_port(), socket_connect_timeout=0.2)
    answer = browser.http.get("/oauth2/authorize", params=rp.authorize_params(Pkce.new()), follow_redirects=False)
    assert answer.status_code == 503 and "location" not in answer.headers
    token = browser.http.post("/oauth2/token", data={"grant_type": "authorization_code", "code": "x" * 48})
    assert token.status_code in (401, 503)  # the client is checked first (SQL), then the code (Redis)


def test_the_usual_scopes_are_accepted_and_unknown_ones_refused(browser: Browser, rp: RelyingParty) -> None:
    """Grafana and reflex-enterprise ask for "openid profile email"; anything unknown is invalid_scope."""
    assert code_for(browser.http, rp, Pkce.new(), scope="openid profile email")
    params = rp.authorize_params(Pkce.new(), scope="openid admin")
    answer = browser.http.get("/oauth2/authorize", params=params, follow_redirects=False)
    assert redirect_params(answer)["error"] == "invalid_scope"
