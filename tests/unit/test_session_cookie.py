"""The credential cookies' names and flags follow the deployment's scheme and COOKIE_DOMAIN."""

from __future__ import annotations

import pytest

from sms2fa_app.api.session_cookie import grant_cookies, page_origins
from sms2fa_app.backend.identity.cookie_tickets import CookieGrant
from sms2fa_app.backend.identity.session_cookie import CookiePolicy, cookie_policy, read_cookie, session_digest
from sms2fa_app.backend.infra.crypto import token_digest
from sms2fa_app.config import ConfigError, load_settings
from tests.conftest import make_settings
from tests.unit.test_config import PRODUCTION, load


def test_development_cookie_is_plain_http_only_and_host_only() -> None:
    policy = cookie_policy(load_settings({}))
    assert policy == CookiePolicy(secure=False)
    header = policy.set_cookie_header(policy.session_name, "tok", None)
    assert header == "sms2fa_session=tok; Path=/; HttpOnly; SameSite=Lax"


def test_https_cookie_is_secure_with_host_prefix_and_secure_prefix_on_a_domain() -> None:
    assert CookiePolicy(secure=True).session_name == "__Host-sms2fa_session"
    shared = CookiePolicy(secure=True, domain="example.com")
    assert shared.session_name == "__Secure-sms2fa_session"
    assert shared.clear_cookie_header(shared.session_name).endswith("Secure; Domain=example.com; Max-Age=0")


def test_the_device_cookie_stays_host_only_whatever_cookie_domain_says(tmp_path) -> None:
    """A remembered device skips the second factor: no sibling host under COOKIE_DOMAIN may receive it."""
    settings = make_settings(tmp_path, APP_URL="https://auth.example.com", COOKIE_DOMAIN="example.com")
    headers = grant_cookies(CookieGrant(session_token="S" * 43, device_token="D" * 43), None, settings)
    session_header, device_header = headers
    assert session_header.startswith("__Secure-sms2fa_session=") and "Domain=example.com" in session_header
    assert device_header.startswith("__Host-sms2fa_device=") and "Domain" not in device_header
    assert "Secure" in device_header and "Path=/" in device_header
    assert cookie_policy(settings).device_name == "__Host-sms2fa_device"
    development = CookiePolicy(secure=False, domain="localhost")
    assert "Domain" not in development.clear_cookie_header(development.device_name)


def test_cookie_domain_must_cover_app_url() -> None:
    with pytest.raises(ConfigError, match="COOKIE_DOMAIN"):
        load_settings({"APP_URL": "https://auth.example.com", "COOKIE_DOMAIN": "other.org"})
    assert load_settings({"APP_URL": "https://auth.example.com", "COOKIE_DOMAIN": "example.com"}).cookie_domain


def test_reading_the_session_cookie_takes_only_its_own_name() -> None:
    token = "A" * 43
    header = f"x=1; sms2fa_session_old=bad; sms2fa_session={token}"
    assert read_cookie(header, "sms2fa_session") == token
    assert read_cookie("", "sms2fa_session") is None
    digest = session_digest(header, CookiePolicy(secure=False))
    assert digest is not None and digest.hex == token_digest(token)
    assert session_digest("sms2fa_session=" + "a" * 500, CookiePolicy(secure=False)) is None


def test_a_cookie_name_sent_twice_is_no_credential() -> None:
    """A sibling host can plant a Domain cookie with a longer Path, which the browser sends first: the app does not
    guess which one is its own."""
    planted = "sms2fa_session=planted; sms2fa_session=abc"
    assert read_cookie(planted, "sms2fa_session") is None
    assert session_digest(planted, CookiePolicy(secure=False)) is None


def test_the_pages_origins_are_app_url_and_the_development_frontend(tmp_path) -> None:
    development = page_origins(load_settings({"DATA_DIR": str(tmp_path)}), "http://localhost:3000")
    assert development == {"http://localhost:3000", "http://127.0.0.1:3000"}
    production = load(tmp_path, **PRODUCTION)
    assert page_origins(production, "http://localhost:3000") == {"https://sms2fa.example.com"}  # Reflex's default
    assert page_origins(production, "https://sms2fa.example.com") == {"https://sms2fa.example.com"}


def test_in_production_the_frontend_counts_only_with_app_urls_whole_origin(tmp_path) -> None:
    production = load(tmp_path, **PRODUCTION)
    for frontend in ("http://sms2fa.example.com", "https://sms2fa.example.com:8443", "http://sms2fa.example.com:3000"):
        assert page_origins(production, frontend) == {"https://sms2fa.example.com"}, frontend
    assert page_origins(production, "https://sms2fa.example.com:443") == {"https://sms2fa.example.com"}
