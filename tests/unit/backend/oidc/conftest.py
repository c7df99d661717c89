"""An OpenID client registered in the unit tests' Services, an HTTP client of the app's routes, and a signed-in
browser session (its cookie set by the test, as the login page's cookie exchange would)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from sms2fa_app.api.routes import api_app
from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user
from tests.support.oidc_flow import CALLBACK, RelyingParty, browser_session


@dataclass
class Browser:
    """The app's routes as a browser reaches them, holding a session cookie."""

    http: TestClient
    session_token: str
    user_id: int


@pytest.fixture
def http(services: Services) -> Iterator[TestClient]:
    with TestClient(api_app(), base_url="http://localhost:8000") as client:
        yield client


@pytest.fixture
def browser(services: Services, http: TestClient) -> Browser:
    """A user with 2FA, signed in with password and texted code."""
    user = create_user(services, phone="+14155552671")
    assert user.id is not None
    token = browser_session(services, user.id, (Amr.PWD, Amr.SMS))
    http.cookies.set("sms2fa_session", token)
    return Browser(http, token, user.id)


@pytest.fixture
def rp(services: Services) -> RelyingParty:
    """A confidential, first-party client."""
    registered = services.oidc.server.clients.register("Wiki", [CALLBACK], first_party=True)
    return RelyingParty(registered.client_id, registered.client_secret)
