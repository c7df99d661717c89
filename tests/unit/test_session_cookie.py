"""The credential cookies' names and flags follow the deployment's scheme and COOKIE_DOMAIN."""

from __future__ import annotations

import pytest

from sms2fa_app.api.session_cookie import page_origins
from sms2fa_app.backend.identity.session_cookie import CookiePolicy, cookie_policy, read_cookie, session_digest
from sms2fa_app.backend.infra.crypto import token_digest
from sms2fa_app.config import ConfigError, load_settings
from tests.unit.test_config import PRODUCTION, load


def test_development_cookie_is_plain_http_only_and_host_only() -> None:
    policy = cookie_policy(load_settings({}))
    assert policy == CookiePolicy(secure=False)
    header = policy.set_cookie_header(policy.session_name, "tok", None)
    assert header == "sms2fa_session=tok; Path=/; HttpOnly; SameSite=Lax"


def test_https_cookie_is_secure_with_host_prefix_and_secure_prefix_on_a_domain() -> None:
    assert CookiePolicy(secure=True).session_name == "__Host-sms2fa_session"
    shared = CookiePolicy(secure=True, domain="example.com")
    assert shared.device_name == "__Secure-sms2fa_device"
    assert shared.clear_cookie_header(shared.session_name).endswith("Secure; Domain=example.com; Max-Age=0")


def test_cookie_domain_must_cover_app_url() -> None:
    with pytest.raises(ConfigError, match="COOKIE_DOMAIN"):
        load_settings({"APP_URL": "https://auth.example.com", "COOKIE_DOMAIN": "other.org"})
    assert load_settings({"APP_URL": "https://auth.example.com", "COOKIE_DOMAIN": "example.com"}).cookie_domain


def test_reading_the_session_cookie_takes_only_its_own_name() -> None:
    header = "x=1; sms2fa_session_old=bad; sms2fa_session=abc; sms2fa_session=second"
    assert read_cookie(header, "sms2fa_session") == "abc"
    assert read_cookie("", "sms2fa_session") is None
    digest = session_digest(header, CookiePolicy(secure=False))
    assert digest is not None and digest.hex == token_digest("abc")
    assert session_digest("sms2fa_session=" + "a" * 500, CookiePolicy(secure=False)) is None


def test_the_pages_origins_are_app_url_and_the_development_frontend(tmp_path) -> None:
    development = page_origins(load_settings({"DATA_DIR": str(tmp_path)}), "http://localhost:3000")
    assert development == {"http://localhost:3000", "http://127.0.0.1:3000"}
    production = load(tmp_path, **PRODUCTION)
    assert page_origins(production, "http://localhost:3000") == {"https://sms2fa.example.com"}  # Reflex's default
    assert page_origins(production, "https://sms2fa.example.com") == {"https://sms2fa.example.com"}
