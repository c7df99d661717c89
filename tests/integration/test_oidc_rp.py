"""sms2fa as an OpenID provider for an independent relying party: panva's openid-client (OpenID Certified) under
node discovers the issuer, runs Authorization Code + PKCE, validates the ID token (signature, iss, aud, nonce, exp)
and calls userinfo and refresh, against the app's routes on a real socket, PostgreSQL and a real Redis. The browser
is a session made through the backend with its cookie set by the test (the login page's own Chromium flow arrives
with issue 22's HttpOnly cookie)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from sqlmodel import SQLModel

from scripts.stack_parts import Postgres
from sms2fa_app.api.routes import api_app
from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.oidc.claims import ACR_TWO_FACTOR
from sms2fa_app.backend.oidc.wiring import build_oidc
from sms2fa_app.backend.services import Services, build_services, set_services
from tests.conftest import FAST_HASHER, make_settings
from tests.support.asgi_server import AsgiServer
from tests.support.factories import create_user
from tests.support.oidc_flow import browser_session
from tests.support.oidc_rp import NodeRelyingParty, Started, browse
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer

CALLBACK = "http://localhost:4100/callback"


@pytest.fixture(scope="module")
def postgres_database(postgres: Postgres) -> Iterator[Database]:
    database = Database(make_engine(postgres.url))
    SQLModel.metadata.create_all(database.engine)
    yield database
    database.engine.dispose()


@dataclass
class Provider:
    services: Services
    server: AsgiServer
    clock: FakeClock

    def client(self, *, public: bool = False, two_factor: bool = False) -> NodeRelyingParty:
        clients = self.services.oidc.server.clients
        made = clients.register("Wiki", [CALLBACK], public=public, require_two_factor=two_factor, first_party=True)
        return NodeRelyingParty(self.server.url, made.client_id, made.client_secret, CALLBACK)

    def signed_in(self, methods: tuple[Amr, ...] = (Amr.PWD, Amr.SMS), *, two_factor: bool = True) -> tuple[int, str]:
        """A new account (with 2FA unless told otherwise), and a session cookie signed in with `methods`."""
        phone = f"+1415555{secrets.randbelow(10_000):04d}" if two_factor else None
        user = create_user(self.services, f"u{secrets.token_hex(4)}@example.com", phone=phone)
        assert user.id is not None
        return user.id, browser_session(self.services, user.id, methods)


@pytest.fixture
def provider(tmp_path, postgres_database: Database, real_redis: redis.Redis) -> Iterator[Provider]:
    clock = FakeClock(time.time())  # openid-client checks iat and exp against the real time
    services = build_services(
        make_settings(tmp_path),
        clock=clock,
        redis_client=real_redis,
        database=postgres_database,
        hasher=FAST_HASHER,
        gateway=RecordingGateway(),
        mailer=RecordingMailer(),
    )
    set_services(services)
    try:
        with AsgiServer(api_app()) as server:
            services.oidc = build_oidc(
                services.settings,
                clock,
                postgres_database,
                real_redis,
                services.sessions,
                issuer=server.url,
                activity=services.activity,
            )
            yield Provider(services, server, clock)
    finally:
        set_services(None)


def _callback(started: Started, session: str | None) -> str:
    answer = browse(started.url, session)
    assert answer.status_code == 302, (answer.status_code, answer.text)
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?"), location
    return location


def _query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_openid_client_signs_in_with_the_second_factor(provider: Provider) -> None:
    rp = provider.client()
    user_id, session = provider.signed_in()
    started = rp.start()
    assert started.metadata["code_challenge_methods_supported"] == ["S256"]
    done = rp.finish(started, _callback(started, session))
    assert "error" not in done, done
    claims = done["claims"]
    assert claims["sub"] == str(user_id) and claims["aud"] == rp.client_id and claims["iss"] == provider.server.url
    assert "sms" in claims["amr"] and "pwd" in claims["amr"] and claims["acr"] == ACR_TWO_FACTOR
    assert claims["nonce"] == started.nonce and claims["exp"] > time.time() and claims["auth_time"] <= claims["iat"]
    assert done["userinfo"]["sub"] == str(user_id) and done["userinfo"]["email_verified"] is True
    refreshed = rp.refresh(done["refresh_token"])
    assert "error" not in refreshed and refreshed["refresh_token"] != done["refresh_token"]


def test_a_public_client_with_pkce(provider: Provider) -> None:
    rp = provider.client(public=True)
    _user_id, session = provider.signed_in()
    started = rp.start()
    assert "error" not in rp.finish(started, _callback(started, session))


def test_wrong_or_missing_pkce_verifier_and_reused_or_expired_codes(provider: Provider) -> None:
    rp = provider.client()
    _user_id, session = provider.signed_in()
    started = rp.start()
    callback = _callback(started, session)
    wrong = rp.finish(started, callback, verifier=secrets.token_urlsafe(48))
    assert wrong["error"] == "invalid_grant"
    assert rp.finish(started, callback)["error"] == "invalid_grant"  # that attempt used the code up
    started = rp.start()
    callback = _callback(started, session)
    first = rp.finish(started, callback)
    assert "error" not in first
    assert rp.finish(started, callback)["error"] == "invalid_grant"
    assert rp.refresh(first["refresh_token"])["error"] == "invalid_grant"  # the reuse revoked what it issued
    started = rp.start()
    callback = _callback(started, session)
    provider.clock.advance(61)
    assert rp.finish(started, callback)["error"] == "invalid_grant"


def test_a_wrong_client_secret(provider: Provider) -> None:
    rp = provider.client()
    _user_id, session = provider.signed_in()
    started = rp.start()
    callback = _callback(started, session)
    impostor = NodeRelyingParty(rp.issuer, rp.client_id, secrets.token_urlsafe(32), CALLBACK)
    assert impostor.finish(started, callback)["error"] == "invalid_client"


def test_prompt_none_without_a_session(provider: Provider) -> None:
    rp = provider.client()
    started = rp.start(prompt="none")
    found = _query(_callback(started, None))
    assert found["error"] == "login_required" and found["state"] == started.state


def test_refresh_token_reused_after_rotation(provider: Provider) -> None:
    rp = provider.client()
    _user_id, session = provider.signed_in()
    started = rp.start()
    done = rp.finish(started, _callback(started, session))
    rotated = rp.refresh(done["refresh_token"])
    assert "error" not in rotated
    assert rp.refresh(done["refresh_token"])["error"] == "invalid_grant"
    assert rp.refresh(rotated["refresh_token"])["error"] == "invalid_grant"  # the family went


@pytest.mark.parametrize("ending", ["logout", "sign out everywhere"])
def test_tokens_after_the_session_ends(provider: Provider, ending: str) -> None:
    rp = provider.client()
    user_id, session = provider.signed_in()
    started = rp.start()
    done = rp.finish(started, _callback(started, session))
    if ending == "logout":
        provider.services.sessions.end(session)
    else:
        provider.services.sessions.end_all_for_user(user_id)
    assert rp.refresh(done["refresh_token"])["error"] == "invalid_grant"
    started = rp.start(prompt="none")
    assert _query(_callback(started, session))["error"] == "login_required"


def test_open_redirect_attempts_are_not_followed(provider: Provider) -> None:
    rp = provider.client()
    _user_id, session = provider.signed_in()
    for evil in ("https://evil.example/callback", CALLBACK + ".evil.example", "http://localhost:4100/callback/.."):
        answer = browse(rp.start(redirect_uri=evil).url, session)
        assert answer.status_code == 400 and "location" not in answer.headers


def test_a_disabled_client(provider: Provider) -> None:
    rp = provider.client()
    _user_id, session = provider.signed_in()
    provider.services.oidc.server.clients.set_disabled(rp.client_id, True)
    answer = browse(rp.start().url, session)
    assert answer.status_code == 400 and "location" not in answer.headers


def test_step_up_for_a_password_only_session(provider: Provider) -> None:
    """A session from before 2FA was turned on signs in again through the challenge; an account without 2FA is
    refused (it has no second factor to step up with)."""
    rp = provider.client()
    _user_id, session = provider.signed_in((Amr.PWD,))
    answer = browse(rp.start(acr_values=ACR_TWO_FACTOR).url, session)
    assert answer.status_code == 302 and "/login?rd=" in answer.headers["location"]
    strict = provider.client(two_factor=True)
    assert "/login?rd=" in browse(strict.start().url, session).headers["location"]
    _user_id, without = provider.signed_in((Amr.PWD,), two_factor=False)
    started = strict.start()
    assert _query(_callback(started, without))["error"] == "access_denied"
    plain = rp.start()
    done = rp.finish(plain, _callback(plain, without))
    assert done["claims"]["amr"] == ["pwd"] and done["claims"]["acr"] != ACR_TWO_FACTOR


def test_an_id_token_signed_before_a_key_rotation_still_validates(provider: Provider) -> None:
    rp = provider.client()
    _user_id, session = provider.signed_in()
    started = rp.start()
    before = rp.finish(started, _callback(started, session))
    old_kid = rp.verify(before["id_token"])["kid"]
    new_kid = provider.services.oidc.server.keys.rotate()
    assert new_kid != old_kid
    assert rp.verify(before["id_token"])["kid"] == old_kid  # the retired key is still published
    started = rp.start()
    after = rp.finish(started, _callback(started, session))
    assert "error" not in after and rp.verify(after["id_token"])["kid"] == new_kid
