"""The OpenID provider in production, behind nginx: an independent relying party (openid-client under node)
discovers the issuer (APP_URL, nginx), signs a user in with the second factor, and uses userinfo and refresh; a
browser without a session is sent to the app's own login page on the same host."""

from __future__ import annotations

import secrets

from scripts.stack import Stack
from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user
from tests.support.oidc_flow import browser_session
from tests.support.oidc_rp import NodeRelyingParty, browse

CALLBACK = "http://localhost:4100/callback"


def test_an_openid_client_signs_in_through_nginx(stack: Stack, backend: Services) -> None:
    made = backend.oidc.server.clients.register("Wiki", [CALLBACK], first_party=True)
    user = create_user(
        backend, f"oidc-{secrets.token_hex(4)}@example.com", phone=f"+1650253{secrets.randbelow(10**4):04d}"
    )
    assert user.id is not None
    session = browser_session(backend, user.id, (Amr.PWD, Amr.SMS))
    rp = NodeRelyingParty(stack.url, made.client_id, made.client_secret, CALLBACK)
    started = rp.start()
    assert started.metadata["issuer"] == stack.url
    answer = browse(started.url, session)
    assert answer.status_code == 302 and answer.headers["location"].startswith(CALLBACK + "?")
    done = rp.finish(started, answer.headers["location"])
    assert "error" not in done, done
    assert done["claims"]["sub"] == str(user.id) and "sms" in done["claims"]["amr"]
    assert done["userinfo"]["email"] == user.email
    assert "error" not in rp.refresh(done["refresh_token"])
    signed_out = browse(rp.start().url, None)
    assert signed_out.status_code == 302 and signed_out.headers["location"].startswith(f"{stack.url}/login?rd=")


def test_the_consent_page_can_send_the_browser_back_to_the_client_through_nginx(
    stack: Stack, backend: Services
) -> None:
    """nginx's server-level policy says `form-action 'self'`, which would stop the consent form's redirect to the
    client: /oauth2/ answers carry their own set of the security headers, without it."""
    made = backend.oidc.server.clients.register("Partner", [CALLBACK])  # third party: the consent page shows
    user = create_user(
        backend, f"oidc-{secrets.token_hex(4)}@example.com", phone=f"+1650253{secrets.randbelow(10**4):04d}"
    )
    assert user.id is not None
    session = browser_session(backend, user.id, (Amr.PWD, Amr.SMS))
    rp = NodeRelyingParty(stack.url, made.client_id, made.client_secret, CALLBACK)
    page = browse(rp.start().url, session)
    assert page.status_code == 200 and 'name="consent"' in page.text
    policies = page.headers.get_list("content-security-policy")
    assert policies and not any("form-action" in policy for policy in policies), policies
    assert all("frame-ancestors 'none'" in policy for policy in policies)
    for kept in ("strict-transport-security", "x-content-type-options", "referrer-policy", "x-frame-options"):
        assert page.headers.get(kept), kept
