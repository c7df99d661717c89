"""sms2fa as an OpenID provider, walked in Chromium: panva's openid-client (node) discovers the issuer (the app in
production mode, APP_URL) and builds the authorization URL (code, PKCE S256, nonce, state); Chromium opens it, signs
in on sms2fa's own login page (password, then the texted code, then the consent page of a third-party app) and lands
on the relying party's redirect_uri (a tiny local server, tests/support/echo_upstream.py: Playwright's route does
not see a navigation's redirects), whose URL carries the code. openid-client then exchanges the code and validates
the ID token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import Page, expect

from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.oidc.claims import ACR_TWO_FACTOR
from sms2fa_app.backend.services import Services
from tests.e2e import audit, flows
from tests.e2e.conftest import RunningApp
from tests.support.echo_upstream import EchoUpstream
from tests.support.factories import PASSWORD, create_user
from tests.support.oidc_rp import NodeRelyingParty
from tests.support.plivo_server import LocalPlivo


@pytest.fixture(scope="module")
def callback() -> Iterator[str]:
    """The relying party's redirect_uri: a local server that answers whatever reaches it."""
    server = EchoUpstream().start()
    try:
        audit.foreign_routes.add("/callback")  # the relying party's page, not the app's: nothing of ours to audit
        yield f"http://localhost:{server.port}/callback"
    finally:
        server.stop()


def relying_party(backend: Services, app: RunningApp, callback: str, *, first_party: bool = False) -> NodeRelyingParty:
    made = backend.oidc.server.clients.register("Wiki", [callback], first_party=first_party)
    return NodeRelyingParty(app.url, made.client_id, made.client_secret, callback)


def landed_at_callback(page: Page, callback: str) -> dict[str, str]:
    """The query the relying party received: the browser ended at its redirect_uri."""
    expect(page).to_have_url(re.compile("^" + re.escape(callback) + r"\?"))
    return {name: values[0] for name, values in parse_qs(urlsplit(page.url).query).items()}


def password_step(page: Page, email: str) -> None:
    """The login page the authorization endpoint sent the browser to (with `rd`): the password."""
    expect(page).to_have_url(re.compile(r"/login/?\?rd="))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_openid_client_signs_in_through_the_login_page_with_the_texted_code(
    page: Page, app: RunningApp, backend: Services, sms: LocalPlivo, callback: str
) -> None:
    rp = relying_party(backend, app, callback)
    email, e164 = flows.seeded_account(backend)
    started = rp.start()
    assert started.metadata["issuer"] == app.url

    page.goto(started.url)
    password_step(page, email)
    expect(page).to_have_url(flows.CHALLENGE)
    flows.submit_code(page, flows.wait_for_code(sms, e164))
    expect(page.get_by_role("heading", name=re.compile("^Sign in to Wiki"))).to_be_visible()  # third party: consent
    audit.audit_server_page(page, "OpenID consent")
    page.get_by_role("button", name="Allow").click()

    received = landed_at_callback(page, callback)
    assert received["state"] == started.state and "code" in received
    done = rp.finish(started, page.url)
    assert "error" not in done, done
    claims = done["claims"]
    user = backend.accounts.find_by_email(email)
    assert user is not None and claims["sub"] == str(user.id) and claims["iss"] == app.url
    assert claims["aud"] == rp.client_id and claims["nonce"] == started.nonce
    assert {Amr.SMS.value, "mfa", Amr.PWD.value} <= set(claims["amr"]) and claims["acr"] == ACR_TWO_FACTOR
    assert done["userinfo"]["sub"] == claims["sub"] and done["userinfo"]["email"] == email
    refreshed = rp.refresh(done["refresh_token"])
    assert "error" not in refreshed and refreshed["refresh_token"] != done["refresh_token"]

    # Signed in now: the next request of the same app comes straight back with a code (consent remembered).
    again = rp.start()
    page.goto(again.url)
    assert "code" in landed_at_callback(page, callback)
    assert "error" not in rp.finish(again, page.url)


def test_two_factor_demanded_of_a_password_only_session_goes_through_the_challenge(
    page: Page, app: RunningApp, backend: Services, sms: LocalPlivo, callback: str
) -> None:
    """A session signed in with the password alone (its 2FA turned on since): acr_values asks for two factors, so
    the browser goes through the login and the challenge again, then back to the app with a two-factor token."""
    rp = relying_party(backend, app, callback, first_party=True)
    email, e164 = flows.seeded_account(backend)
    user = backend.accounts.find_by_email(email)
    assert user is not None and user.id is not None
    password_only = backend.sessions.create(user.id, (Amr.PWD,)).token
    page.context.add_cookies([{"name": "sms2fa_session", "value": password_only, "url": app.url}])
    started = rp.start(acr_values=ACR_TWO_FACTOR)

    page.goto(started.url)
    password_step(page, email)
    expect(page).to_have_url(flows.CHALLENGE)
    flows.submit_code(page, flows.wait_for_code(sms, e164))
    received = landed_at_callback(page, callback)
    assert "code" in received, received
    done = rp.finish(started, page.url)
    assert "error" not in done, done
    assert done["claims"]["acr"] == ACR_TWO_FACTOR and "mfa" in done["claims"]["amr"]


def test_two_factor_demanded_of_an_account_without_it_is_access_denied(
    page: Page, app: RunningApp, backend: Services, callback: str
) -> None:
    rp = relying_party(backend, app, callback, first_party=True)
    email = flows.new_email()
    create_user(backend, email)
    started = rp.start(acr_values=ACR_TWO_FACTOR)

    page.goto(started.url)
    password_step(page, email)
    received = landed_at_callback(page, callback)
    assert received["error"] == "access_denied" and received["state"] == started.state


def test_prompt_none_without_a_session_is_login_required(
    page: Page, app: RunningApp, backend: Services, callback: str
) -> None:
    rp = relying_party(backend, app, callback, first_party=True)
    started = rp.start(prompt="none")
    page.goto(started.url)
    received = landed_at_callback(page, callback)
    assert received["error"] == "login_required" and received["state"] == started.state


def test_a_signed_in_browser_on_the_login_page_goes_back_to_the_authorize_request(
    page: Page, app: RunningApp, backend: Services, sms: LocalPlivo, callback: str
) -> None:
    """The login page forwards a signed-in browser to `rd` (here the provider's /oauth2/authorize, on the app's own
    host) with a full page load: the page router knows no such page and would say "Page not found"."""
    rp = relying_party(backend, app, callback, first_party=True)
    email, e164 = flows.seeded_account(backend)
    flows.signed_in(page, sms, email, e164)
    started = rp.start()
    page.goto(f"/login?rd={quote(started.url, safe='')}")
    assert "code" in landed_at_callback(page, callback)
    assert "error" not in rp.finish(started, page.url)
