"""Consent once per third-party client (a first-party one never asks), "Connected apps" with Disconnect, the
activity line "Signed in to <client>", and the authorizations metric by client and outcome."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.services import Services
from sms2fa_app.backend.vocabulary import EventKind
from tests.support.factories import CHROME
from tests.support.oidc_flow import CALLBACK, Pkce, RelyingParty, code_for, redirect_params
from tests.unit.backend.oidc.conftest import Browser


def _third_party(services: Services) -> RelyingParty:
    made = services.oidc.server.clients.register("Forum", [CALLBACK])
    return RelyingParty(made.client_id, made.client_secret)


def _consent_form(page: str) -> dict[str, str]:
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return dict(fields)


def test_a_third_party_client_asks_once(services: Services, browser: Browser) -> None:
    rp = _third_party(services)
    params = rp.authorize_params(Pkce.new())
    page = browser.http.get("/oauth2/authorize", params=params, follow_redirects=False)
    assert page.status_code == 200 and "Forum" in page.text and "your email address" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    form = _consent_form(page.text)
    assert form["state"] == params["state"] and form["consent_token"]
    forged = browser.http.post(
        "/oauth2/authorize", data={**form, "consent": "allow", "consent_token": "x" * 64}, follow_redirects=False
    )
    assert forged.status_code == 200 and "code=" not in forged.headers.get("location", "")  # the page again
    allowed = browser.http.post("/oauth2/authorize", data={**form, "consent": "allow"}, follow_redirects=False)
    assert "code" in redirect_params(allowed)
    assert code_for(browser.http, rp, Pkce.new())  # asked once: now straight back with a code


def test_denying_consent_tells_the_client(services: Services, browser: Browser) -> None:
    rp = _third_party(services)
    page = browser.http.get("/oauth2/authorize", params=rp.authorize_params(Pkce.new()), follow_redirects=False)
    denied = browser.http.post(
        "/oauth2/authorize", data={**_consent_form(page.text), "consent": "deny"}, follow_redirects=False
    )
    assert redirect_params(denied)["error"] == "access_denied"


def test_disconnect_revokes_the_apps_tokens_and_asks_again(
    services: Services, browser: Browser, rp: RelyingParty
) -> None:
    pkce = Pkce.new()
    browser.http.headers["User-Agent"] = CHROME
    tokens = rp.exchange(browser.http, code_for(browser.http, rp, pkce), pkce.verifier).json()
    apps = services.oidc.connected_apps(browser.user_id)
    assert [(app.name, app.client_id) for app in apps] == [("Wiki", rp.client_id)]
    assert services.oidc.disconnect(browser.user_id, rp.client_id)
    assert services.oidc.connected_apps(browser.user_id) == []
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert browser.http.get("/oauth2/userinfo", headers=bearer).status_code == 401
    entries = services.activity.recent(browser.user_id)
    kinds = [(entry.kind, entry.detail) for entry in entries]
    assert (EventKind.SIGNED_IN_TO_APP, "Wiki") in kinds and (EventKind.APP_DISCONNECTED, "Wiki") in kinds
    signed_in = next(entry for entry in entries if entry.kind is EventKind.SIGNED_IN_TO_APP)
    assert signed_in.browser.browser == "Chrome"  # the browser that came to the authorization endpoint


def test_authorizations_are_counted_by_client_and_outcome(http: TestClient, browser: Browser, rp: RelyingParty) -> None:
    def count(client: str, outcome: str) -> float:
        return metrics.OIDC_AUTHORIZATIONS.labels(client=client, outcome=outcome)._value.get()

    codes, unknown = count(rp.client_id, "code"), count("unknown", "invalid_client")
    code_for(browser.http, rp, Pkce.new())
    browser.http.get("/oauth2/authorize", params={**rp.authorize_params(Pkce.new()), "client_id": "nobody"})
    assert count(rp.client_id, "code") == codes + 1 and count("unknown", "invalid_client") == unknown + 1


def test_deleting_the_account_takes_its_tokens_and_consents(services: Services, browser: Browser) -> None:
    from sqlmodel import select

    from sms2fa_app.backend.identity.deletion import delete_account_rows
    from sms2fa_app.backend.models import OidcConsent, OidcToken

    rp = _third_party(services)
    page = browser.http.get("/oauth2/authorize", params=rp.authorize_params(Pkce.new()), follow_redirects=False)
    browser.http.post(
        "/oauth2/authorize", data={**_consent_form(page.text), "consent": "allow"}, follow_redirects=False
    )
    pkce = Pkce.new()
    assert rp.exchange(browser.http, code_for(browser.http, rp, pkce), pkce.verifier).status_code == 200
    with services.database.session() as tx:
        delete_account_rows(tx, browser.user_id)  # foreign keys: the rows must go first
    with services.database.session() as db:
        assert db.exec(select(OidcToken)).all() == [] and db.exec(select(OidcConsent)).all() == []


def test_prompt_none_without_consent_answers_consent_required(services: Services, browser: Browser) -> None:
    rp = _third_party(services)
    answer = browser.http.get(
        "/oauth2/authorize", params=rp.authorize_params(Pkce.new(), prompt="none"), follow_redirects=False
    )
    assert redirect_params(answer)["error"] == "consent_required"


def _consent_page_in(services: Services, browser: Browser, accept_language: str) -> str:
    params = _third_party(services).authorize_params(Pkce.new())
    headers = {"Accept-Language": accept_language}
    page = browser.http.get("/oauth2/authorize", params=params, headers=headers, follow_redirects=False)
    assert page.status_code == 200 and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    return page.text


def test_the_consent_page_speaks_the_browsers_language(services: Services, browser: Browser) -> None:
    """Issue 26: the page negotiates its language like every page (Accept-Language here), with `<html lang dir>`."""
    spanish = _consent_page_in(services, browser, "es-MX,es;q=0.9,en;q=0.5")
    assert '<html lang="es" dir="ltr">' in spanish
    assert 'value="allow">Allow<' not in spanish and "your email address" not in spanish
    arabic = _consent_page_in(services, browser, "ar-EG")
    assert '<html lang="ar" dir="rtl">' in arabic and 'value="deny">Deny<' not in arabic
    assert _consent_form(arabic)["consent_token"]  # the same form, words aside


def test_the_users_choice_outranks_the_browser_on_the_consent_page(services: Services, browser: Browser) -> None:
    services.languages.choose(browser.user_id, "ar")
    assert '<html lang="ar" dir="rtl">' in _consent_page_in(services, browser, "es")
    services.languages.choose(browser.user_id, None)
    assert '<html lang="en" dir="ltr">' in _consent_page_in(services, browser, "xx, *")
