"""Production's refusals: every unsafe or missing setting stops the app with one line naming the variable."""

from __future__ import annotations

import base64
import random
import secrets
from pathlib import Path

import pytest

from sms2fa_app.config import ConfigError
from sms2fa_app.config_secrets import checked_secret
from tests.unit.test_config import MAIL, MAIL_WITHOUT_APP_URL, PASSKEYS, PLIVO, PRODUCTION, PRODUCTION_CORE, load

SECRET_ADVICE = 'python -c "import secrets; print(secrets.token_hex(32))"'  # in every refusal


def test_production_requires_secret_key_and_plivo(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is required"):
        load(tmp_path, **{**PRODUCTION, "SECRET_KEY": ""})
    with pytest.raises(ConfigError, match="PLIVO_AUTH_ID is required"):
        load(tmp_path, **{**PRODUCTION, "PLIVO_AUTH_ID": ""})
    settings = load(tmp_path, **PRODUCTION)
    assert settings.is_production and settings.plivo_configured
    assert settings.trusted_proxy_hops == 1 and settings.otp_allowed_countries == ("US", "CA")


@pytest.mark.parametrize(
    ("spoiled", "line"),
    [
        ({"OTP_ALLOWED_COUNTRIES": ""}, "OTP_ALLOWED_COUNTRIES is required when APP_ENV=production"),
        ({"TRUSTED_PROXY_HOPS": ""}, "TRUSTED_PROXY_HOPS is required when APP_ENV=production"),
        ({"SECRET_KEY": "change-me-to-a-long-random-string-of-48-characters"}, "SECRET_KEY is the sample value"),
        ({"SECRET_KEY": "a" * 32}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": "abcdefghijklmnop" * 2}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"}, "SECRET_KEY is too weak"),
        ({"PLIVO_API_URL": "http://api.plivo.com"}, "PLIVO_API_URL must use https://"),
        ({"PLIVO_API_URL": "http://10.0.0.5:8080"}, "PLIVO_API_URL must use https://"),
    ],
)
def test_production_refuses_unsafe_settings_in_one_line(tmp_path: Path, spoiled: dict[str, str], line: str) -> None:
    """Each unsafe or missing production setting stops startup with one line that starts with its name."""
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **{**PRODUCTION, **spoiled})
    assert str(error.value).startswith(line)
    assert "\n" not in str(error.value)


def test_production_accepts_every_country_only_when_told(tmp_path: Path) -> None:
    assert load(tmp_path, **{**PRODUCTION, "OTP_ALLOWED_COUNTRIES": "*"}).otp_allowed_countries == ()
    assert load(tmp_path).otp_allowed_countries == ()  # development: every country by default


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"])
def test_plain_http_to_plivo_is_allowed_only_to_this_machine(tmp_path: Path, url: str) -> None:
    """The local Plivo-compatible test server is plain http on loopback: traffic that never leaves the machine."""
    assert load(tmp_path, **{**PRODUCTION, "PLIVO_API_URL": url}).plivo_api_url == url


def test_strong_keys_pass_in_production(tmp_path: Path) -> None:
    for key in (secrets.token_hex(32), secrets.token_urlsafe(48), secrets.token_hex(64)):
        assert load(tmp_path, **{**PRODUCTION, "SECRET_KEY": key}).secret_key == key


# Issue 20, finding 7: secrets a person made up, or a pattern, are refused; only generated-looking ones pass.
GUESSABLE_SECRETS = [
    ("SECRET_KEY", "sms2fa-production-secret-key-2026!"),
    ("SECRET_KEY", "Zq3-vT8pLm0_xW5rK2yB9nC4hJ7dF1gS6aE"),  # 35 random-looking characters: under 128 bits
    ("SECRET_KEY", "ThisIsTheProductionSecretKeyOfSms2fa2026"),
    ("SECRET_KEY", "correcthorsebatterystaple-correcthorsebatterystaple"),  # repeated
    ("METRICS_TOKEN", "a" * 32),
    ("METRICS_TOKEN", "metrics-token-0123456789-abcdefghijklmnop"),
    ("METRICS_TOKEN", "our-metrics-token-for-prometheus-scrapes-2026"),
    # Review round 2, M2: zxcvbn multiplies word ranks, so these long phrases score 129-141 bits on their own.
    ("SECRET_KEY", "the quick brown fox jumps over the lazy dog 1234"),
    ("SECRET_KEY", "ThisIsOurVerySecretProductionKeyForSms2faDoNotShare!"),
    ("SECRET_KEY", "sms2fa-production-secret-key-for-our-company-acme-2026"),
    ("METRICS_TOKEN", "acme-corp-sms2fa-metrics-bearer-token-2026"),
]


@pytest.mark.parametrize(("name", "value"), GUESSABLE_SECRETS)
def test_production_refuses_a_guessable_secret_in_one_line_naming_it(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **{**PRODUCTION, name: value})
    line = str(error.value)
    assert line.startswith(f"{name} is too weak for APP_ENV=production") and "\n" not in line
    assert SECRET_ADVICE in line and value not in line  # how to make one; never the secret itself


@pytest.mark.parametrize("name", ["SECRET_KEY", "METRICS_TOKEN"])
def test_a_generated_secret_passes_in_production(tmp_path: Path, name: str) -> None:
    value = secrets.token_hex(32)
    assert getattr(load(tmp_path, **{**PRODUCTION, name: value}), name.lower()) == value


@pytest.mark.parametrize(("name", "value"), GUESSABLE_SECRETS)
def test_development_accepts_any_long_enough_secret(tmp_path: Path, name: str, value: str) -> None:
    assert getattr(load(tmp_path, **{name: value}), name.lower()) == value


def generated_secrets(count: int) -> list[str]:
    """Deterministic stand-ins for what the advice makes: hex of 32 bytes and urlsafe base64 of 48-64 characters."""
    samples = []
    for seed in range(count):
        rng = random.Random(seed)
        samples.append(rng.randbytes(32).hex())
        samples.append(base64.urlsafe_b64encode(rng.randbytes(rng.randint(36, 48))).decode().rstrip("="))
    return samples


def test_generated_secrets_are_never_refused(tmp_path: Path) -> None:
    """The word rule must not refuse real random keys (2000 seeds of each kind measured: config_secrets.py)."""
    refused = []
    for secret in generated_secrets(60):
        try:
            checked_secret(secret, production=True, data_dir=tmp_path)
        except ValueError:
            refused.append(secret)
    assert refused == []


def test_the_metrics_token_must_differ_from_the_secret_key(tmp_path: Path) -> None:
    """Review round 2, L2: one leaked value must not open both /metrics and every signed cookie."""
    key = secrets.token_hex(32)
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **{**PRODUCTION, "SECRET_KEY": key, "METRICS_TOKEN": key})
    line = str(error.value)
    assert line.startswith("METRICS_TOKEN must differ from SECRET_KEY") and key not in line and "\n" not in line
    assert load(tmp_path, **{**PRODUCTION, "METRICS_TOKEN": secrets.token_hex(32)}).metrics_token


def test_a_secret_longer_than_the_estimates_reach_is_judged_by_its_start(tmp_path: Path) -> None:
    """zxcvbn scores at most 72 characters; the start of a longer secret must already be generated-looking."""
    long_key = secrets.token_hex(100)
    assert load(tmp_path, **{**PRODUCTION, "SECRET_KEY": long_key}).secret_key == long_key
    with pytest.raises(ConfigError, match=r"^SECRET_KEY is too weak"):
        load(tmp_path, **{**PRODUCTION, "SECRET_KEY": "x" * 72 + secrets.token_hex(32)})


# Issue 20, finding 8: no setting lets production wait less than a day before an admin's 2FA reset.
def test_production_has_no_switch_that_shortens_the_reset_wait(tmp_path: Path) -> None:
    short = {**PRODUCTION, "ADMIN_RESET_WAIT_SECONDS": "20", "ADMIN_RESET_WAIT_SHORT_FOR_TESTS": "true"}
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **short)
    assert str(error.value).startswith("ADMIN_RESET_WAIT_SECONDS must be at least 86400")
    assert not hasattr(load(tmp_path, **PRODUCTION), "admin_reset_wait_short_for_tests")


def test_reflex_prod_mode_without_app_env_is_production(tmp_path: Path) -> None:
    """`reflex run --env prod` sets REFLEX_ENV_MODE=prod: without APP_ENV that is production, and its checks apply."""
    production = {name: value for name, value in PRODUCTION.items() if name != "APP_ENV"}
    assert load(tmp_path, REFLEX_ENV_MODE="prod", **production).is_production
    with pytest.raises(ConfigError, match=r"^TRUSTED_PROXY_HOPS is required"):
        load(tmp_path, REFLEX_ENV_MODE="prod", **{**production, "TRUSTED_PROXY_HOPS": ""})
    assert not load(tmp_path, REFLEX_ENV_MODE="prod", APP_ENV="development").is_production
    assert not load(tmp_path, REFLEX_ENV_MODE="dev").is_production


@pytest.mark.parametrize("name", ["REDIS_URL", "REFLEX_REDIS_URL"])
def test_a_remote_redis_without_tls_needs_an_explicit_yes(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{name} points at a Redis on another machine"):
        load(tmp_path, **{name: "redis://cache.internal:6379/0"})
    assert load(tmp_path, **{name: "redis://cache.internal:6379/0", "REDIS_ALLOW_PLAINTEXT": "true"})
    for url in ("rediss://cache.internal:6379/0", "redis://127.0.0.1:6379/0", "unix:///run/redis.sock"):
        assert load(tmp_path, **{name: url})


def test_passkeys_default_to_localhost_in_development(tmp_path: Path) -> None:
    settings = load(tmp_path)
    assert (settings.passkey_rp_id, settings.passkey_origin) == ("localhost", "http://localhost:3000")
    settings = load(tmp_path, WEBAUTHN_RP_ID="Example.COM", WEBAUTHN_ORIGIN="https://Login.Example.com/")
    assert (settings.passkey_rp_id, settings.passkey_origin) == ("example.com", "https://login.example.com")


@pytest.mark.parametrize(
    ("values", "line"),
    [
        ({}, "WEBAUTHN_RP_ID is required when APP_ENV=production"),
        ({"WEBAUTHN_RP_ID": "example.com"}, "WEBAUTHN_ORIGIN is required when APP_ENV=production"),
        (
            {"WEBAUTHN_RP_ID": "example.com", "WEBAUTHN_ORIGIN": "http://example.com"},
            "WEBAUTHN_ORIGIN must start with https:// when APP_ENV=production (http is allowed for localhost only)",
        ),
        (
            {"WEBAUTHN_RP_ID": "example.com", "WEBAUTHN_ORIGIN": "https://example.com.evil.test"},
            "WEBAUTHN_ORIGIN must be on WEBAUTHN_RP_ID (example.com) or a subdomain of it, "
            "got 'https://example.com.evil.test'",
        ),
        (
            {"WEBAUTHN_RP_ID": "example.com", "WEBAUTHN_ORIGIN": "https://notexample.com"},
            "WEBAUTHN_ORIGIN must be on WEBAUTHN_RP_ID (example.com) or a subdomain of it, "
            "got 'https://notexample.com'",
        ),
        (
            {"WEBAUTHN_RP_ID": "127.0.0.1", "WEBAUTHN_ORIGIN": "https://127.0.0.1"},
            "WEBAUTHN_RP_ID must be a domain name such as example.com (no scheme, port or IP address), got '127.0.0.1'",
        ),
        (
            {"WEBAUTHN_RP_ID": "example.com", "WEBAUTHN_ORIGIN": "https://example.com/login"},
            "WEBAUTHN_ORIGIN must be an origin such as https://example.com, got 'https://example.com/login'",
        ),
    ],
)
def test_production_refuses_unsafe_or_missing_passkey_settings(
    tmp_path: Path, values: dict[str, str], line: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **PRODUCTION_CORE, **PLIVO, **MAIL, **values)
    assert str(error.value) == line


def test_a_local_production_build_may_use_http_localhost(tmp_path: Path) -> None:
    """Browsers treat http://localhost as a secure context (the end-to-end tests run production there)."""
    settings = load(
        tmp_path,
        **PRODUCTION_CORE,
        **PLIVO,
        **{**MAIL, "APP_URL": "http://localhost:8123"},
        WEBAUTHN_RP_ID="localhost",
        WEBAUTHN_ORIGIN="http://localhost:8123",
    )
    assert settings.passkey_origin == "http://localhost:8123"


def test_production_requires_an_app_url_plivo_can_reach_safely(tmp_path: Path) -> None:
    production = {**PRODUCTION_CORE, **PLIVO, **PASSKEYS, **MAIL_WITHOUT_APP_URL}
    with pytest.raises(ConfigError) as missing:
        load(tmp_path, **production)
    assert str(missing.value) == "APP_URL is required when APP_ENV=production"
    with pytest.raises(ConfigError) as plain:
        load(tmp_path, **production, APP_URL="http://sms2fa.example.com")
    assert str(plain.value) == "APP_URL must start with https:// when APP_ENV=production"
    assert load(tmp_path, **production, APP_URL="http://127.0.0.1:3000").site_host == "127.0.0.1"
    settings = load(tmp_path, **production, APP_URL="https://Login.Example.com:8443/")
    assert (settings.base_url, settings.site_host) == ("https://Login.Example.com:8443", "login.example.com")
    assert load(tmp_path).base_url == "http://localhost:3000"  # development default
