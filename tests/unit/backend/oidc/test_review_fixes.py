"""Regressions of the provider's security review (issue 25): freshness read from the second factor, JWKS served
without private keys, and codes/refresh tokens bound to the client that presents them."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from sqlmodel import select
from starlette.testclient import TestClient

from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.models import OidcSigningKey
from sms2fa_app.backend.oidc.claims import ACR_TWO_FACTOR
from sms2fa_app.backend.oidc.keys import SigningKeys
from sms2fa_app.backend.oidc.wiring import KEY_PUBLISHED_AFTER_RETIREMENT_SECONDS
from sms2fa_app.backend.services import Services
from tests.conftest import TEST_SECRET
from tests.support.oidc_flow import CALLBACK, Pkce, RelyingParty, code_for, redirect_params
from tests.unit.backend.oidc.conftest import Browser
from tests.unit.backend.oidc.test_authorization_http import browser_session_id, id_token_claims


def test_a_password_typed_again_alone_does_not_make_a_two_factor_sign_in_fresh(
    services: Services, browser: Browser, rp: RelyingParty, clock: FakeClock
) -> None:
    for _ in range(16):  # the texted code was 8 hours ago; the session stayed in use
        clock.advance(1799)
        browser_session_id(services, browser)
    services.sessions.reauthenticate(browser_session_id(services, browser), (Amr.PWD,))  # settings' password step
    params = rp.authorize_params(Pkce.new(), max_age="60", acr_values=ACR_TWO_FACTOR)
    answer = browser.http.get("/oauth2/authorize", params=params, follow_redirects=False)
    assert "code" not in redirect_params(answer)  # sent to sign in again, not answered with the old sign-in


def test_the_id_token_auth_time_is_the_second_factor_not_a_later_password(
    services: Services, browser: Browser, rp: RelyingParty, clock: FakeClock
) -> None:
    signed_in_at = clock.now()
    clock.advance(600)
    services.sessions.reauthenticate(browser_session_id(services, browser), (Amr.PWD,))
    pkce = Pkce.new()
    body = rp.exchange(browser.http, code_for(browser.http, rp, pkce), pkce.verifier).json()
    claims = id_token_claims(browser.http, body["id_token"])
    assert claims["acr"] == ACR_TWO_FACTOR
    assert claims["auth_time"] == int(signed_in_at)


def test_serving_the_jwks_does_not_decrypt_private_keys_each_time(
    services: Services, http: TestClient, monkeypatch
) -> None:
    http.get("/oauth2/jwks")  # the first key is made and published
    services.oidc.server.keys.rotate()
    http.get("/oauth2/jwks")
    decrypted: list[str] = []
    original = SigningKeys._decrypt

    def counting(self: SigningKeys, record):  # type: ignore[no-untyped-def]
        decrypted.append(record.kid)
        return original(self, record)

    monkeypatch.setattr(SigningKeys, "_decrypt", counting)
    for _ in range(5):
        published = http.get("/oauth2/jwks").json()["keys"]
        assert len(published) == 2
    assert decrypted == []
    assert all({"kid", "alg", "use", "n", "e"} <= set(key) and "d" not in key for key in published)


def _public_client(services: Services) -> str:
    return services.oidc.server.clients.register("SPA", [CALLBACK], public=True, first_party=True).client_id


def test_a_refresh_token_presented_by_another_client_stays_usable_by_its_own(
    services: Services, browser: Browser, rp: RelyingParty
) -> None:
    other = _public_client(services)
    pkce = Pkce.new()
    body = rp.exchange(browser.http, code_for(browser.http, rp, pkce), pkce.verifier).json()
    data = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": other}
    assert browser.http.post("/oauth2/token", data=data).status_code == 400
    assert rp.refresh(browser.http, body["refresh_token"]).status_code == 200
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert browser.http.get("/oauth2/userinfo", headers=bearer).status_code == 200


def test_a_code_presented_by_another_client_stays_usable_by_its_own(
    services: Services, browser: Browser, rp: RelyingParty
) -> None:
    other = _public_client(services)
    pkce = Pkce.new()
    code = code_for(browser.http, rp, pkce)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": other,
        "redirect_uri": CALLBACK,
        "code_verifier": pkce.verifier,
    }
    assert browser.http.post("/oauth2/token", data=data).status_code == 400
    assert rp.exchange(browser.http, code, pkce.verifier).status_code == 200


def _replaying_once(services: Services, monkeypatch, replay) -> None:  # type: ignore[no-untyped-def]
    """The token store's save runs `replay` first, once: a replay landing while the winner is being issued."""
    store = services.oidc.server.tokens
    original = store.save
    pending = [replay]

    def save(token, **fields):  # type: ignore[no-untyped-def]
        if pending:
            assert pending.pop()().status_code == 400
        return original(token, **fields)

    monkeypatch.setattr(store, "save", save)


def test_a_code_replayed_while_its_tokens_are_issued_leaves_none_of_them_live(
    services: Services, browser: Browser, rp: RelyingParty, monkeypatch
) -> None:
    pkce = Pkce.new()
    code = code_for(browser.http, rp, pkce)
    _replaying_once(services, monkeypatch, lambda: rp.exchange(browser.http, code, pkce.verifier))
    winner = rp.exchange(browser.http, code, pkce.verifier).json()
    monkeypatch.undo()
    bearer = {"Authorization": f"Bearer {winner['access_token']}"}
    assert browser.http.get("/oauth2/userinfo", headers=bearer).status_code == 401
    assert rp.refresh(browser.http, winner["refresh_token"]).status_code == 400


def test_a_refresh_token_reused_while_its_successor_is_issued_leaves_none_of_them_live(
    services: Services, browser: Browser, rp: RelyingParty, monkeypatch
) -> None:
    pkce = Pkce.new()
    first = rp.exchange(browser.http, code_for(browser.http, rp, pkce), pkce.verifier).json()
    _replaying_once(services, monkeypatch, lambda: rp.refresh(browser.http, first["refresh_token"]))
    winner = rp.refresh(browser.http, first["refresh_token"]).json()
    monkeypatch.undo()
    bearer = {"Authorization": f"Bearer {winner['access_token']}"}
    assert browser.http.get("/oauth2/userinfo", headers=bearer).status_code == 401
    assert rp.refresh(browser.http, winner["refresh_token"]).status_code == 400


def test_authorization_responses_name_the_issuer_rfc_9207(browser: Browser, rp: RelyingParty, http: TestClient) -> None:
    issuer = http.get("/.well-known/openid-configuration").json()
    assert issuer["authorization_response_iss_parameter_supported"] is True
    granted = browser.http.get("/oauth2/authorize", params=rp.authorize_params(Pkce.new()), follow_redirects=False)
    assert redirect_params(granted)["iss"] == issuer["issuer"]
    refused = rp.authorize_params(Pkce.new(), prompt="none", acr_values="urn:unknown", max_age="x")
    error = browser.http.get("/oauth2/authorize", params=refused, follow_redirects=False)
    assert redirect_params(error)["error"] and redirect_params(error)["iss"] == issuer["issuer"]


def test_a_confidential_client_must_use_pkce_too(browser: Browser, rp: RelyingParty) -> None:
    answer = browser.http.get("/oauth2/authorize", params=rp.authorize_params(None), follow_redirects=False)
    assert redirect_params(answer)["error"] == "invalid_request"


def test_a_retired_private_key_is_erased_once_its_publish_window_ends(database, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    keys = SigningKeys(database, clock, TEST_SECRET, published_for=600)
    old = keys.signing_key().kid
    keys.rotate()
    clock.advance(601)
    keys.signing_key()  # a worker's minutely refresh of the key it signs with
    with database.session() as db:
        stored = [record.kid for record in db.exec(select(OidcSigningKey)).all()]
    assert old not in stored and len(stored) == 1


def test_an_id_token_hint_signed_by_an_erased_key_counts_as_no_hint(
    services: Services, browser: Browser, rp: RelyingParty, clock: FakeClock
) -> None:
    clock.current = time.time()  # Authlib checks the hint's iat against the real time
    pkce = Pkce.new()
    hint = rp.exchange(browser.http, code_for(browser.http, rp, pkce), pkce.verifier).json()["id_token"]
    services.oidc.server.keys.rotate()
    clock.advance(KEY_PUBLISHED_AFTER_RETIREMENT_SECONDS + 1)
    services.oidc.server.keys.rotate()  # the key that signed the hint is erased
    answer = browser.http.get("/oauth2/end-session", params={"id_token_hint": hint}, follow_redirects=False)
    assert answer.status_code == 302  # back to the app, as without a hint: no error page for a logging-out RP
    assert services.sessions.resolve(browser.session_token) is not None  # and, unverifiable, it ends nothing


def test_max_age_zero_asks_for_a_fresh_sign_in_like_prompt_login(
    services: Services, browser: Browser, rp: RelyingParty, clock: FakeClock
) -> None:
    clock.advance(10)
    params = rp.authorize_params(Pkce.new(), max_age="0")
    answer = browser.http.get("/oauth2/authorize", params=params, follow_redirects=False)
    back = parse_qs(urlsplit(answer.headers["location"]).query)["rd"][0]
    clock.advance(5)
    services.sessions.reauthenticate(browser_session_id(services, browser), (Amr.PWD, Amr.SMS))  # signed in again
    clock.advance(0.5)
    assert "code" in redirect_params(browser.http.get(back, follow_redirects=False))
