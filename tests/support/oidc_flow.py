"""The OpenID code flow as the tests drive it over HTTP: a browser session made through the backend, PKCE values,
the authorization request and the code exchange (with httpx-compatible clients: Starlette's TestClient or httpx)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.services import Services

CALLBACK = "http://localhost:4100/callback"


def browser_session(services: Services, user_id: int, methods: tuple[Amr, ...]) -> str:
    """A signed-in login session presented with `methods` (its token: the session cookie's value)."""
    two_factor = Amr.PWD in methods and len(methods) > 1
    if not two_factor:
        return services.sessions.create(user_id, methods).token
    pending = services.sessions.create(user_id, (Amr.PWD,), complete=False)
    advanced = services.sessions.advance(pending.token, tuple(m for m in methods if m is not Amr.PWD), how="sms")
    assert advanced is not None
    return advanced.token


@dataclass
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


@dataclass
class RelyingParty:
    client_id: str
    client_secret: str | None

    def authorize_params(self, pkce: Pkce | None, **extra: str) -> dict[str, str]:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid email offline_access",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
        }
        if pkce is not None:
            params.update(code_challenge=pkce.challenge, code_challenge_method="S256")
        params.update(extra)
        return params

    def auth(self) -> tuple[str, str] | None:
        return None if self.client_secret is None else (self.client_id, self.client_secret)

    def exchange(self, http: Any, code: str, verifier: str | None, **extra: str) -> Any:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
        if verifier is not None:
            form["code_verifier"] = verifier
        if self.client_secret is None:
            form["client_id"] = self.client_id
        form.update(extra)
        return http.post("/oauth2/token", data=form, auth=self.auth())

    def refresh(self, http: Any, refresh_token: str) -> Any:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if self.client_secret is None:
            form["client_id"] = self.client_id
        return http.post("/oauth2/token", data=form, auth=self.auth())


def redirect_params(response: Any) -> dict[str, str]:
    """The query of a 302's Location, one value per name."""
    assert response.status_code == 302, (response.status_code, response.text)
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return {name: values[0] for name, values in query.items()}


def code_for(http: Any, rp: RelyingParty, pkce: Pkce | None, **extra: str) -> str:
    """A code from the authorization endpoint for the browser's session."""
    answer = http.get("/oauth2/authorize", params=rp.authorize_params(pkce, **extra), follow_redirects=False)
    params = redirect_params(answer)
    assert "code" in params, params
    return params["code"]
