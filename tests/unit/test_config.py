"""Config: defaults, validation with one clear line naming the variable, development secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sms2fa_app.backend.factors.sms_policy import OtpPolicy
from sms2fa_app.backend.infra.logging_setup import configure_logging
from sms2fa_app.config import ConfigError, Settings, load_settings

APP_URL = "https://sms2fa.example.com"
PLIVO = {"PLIVO_AUTH_ID": "MA" + "A" * 18, "PLIVO_AUTH_TOKEN": "token", "PLIVO_PHONE_NUMBER": "+14155550100"}
PASSKEYS = {"WEBAUTHN_RP_ID": "example.com", "WEBAUTHN_ORIGIN": "https://login.example.com"}
MAIL_WITHOUT_APP_URL = {
    "SMTP_HOST": "smtp.example.com",
    "SMTP_FROM": "sms2fa@example.com",
    "OPERATOR_EMAIL": "ops@example.com",
}
MAIL = {**MAIL_WITHOUT_APP_URL, "APP_URL": APP_URL}
STRONG_KEY = "9f2c4e7a1b8d3f60c5e2a9b47d1f8e36a0c4b7e29d5f1a83c6e0b4d7f2a9c5e18"  # as secrets.token_hex(32)
# Production's own refusals (issue 13) satisfied; the tests of the other settings add theirs to it.
PRODUCTION_CORE = {
    "APP_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "TRUSTED_PROXY_HOPS": "1",
    "OTP_ALLOWED_COUNTRIES": "US,CA",
    "PHONE_LINE_TYPES": "mobile",
    "PHONE_LOOKUP_ON_ERROR": "deny",
}
# A production configuration that passes every check; each test below spoils one thing.
PRODUCTION = {**PRODUCTION_CORE, **PLIVO, **PASSKEYS, **MAIL}


def load(tmp_path: Path, **values: str):
    return load_settings({"DATA_DIR": str(tmp_path), **values}, env_file=None)


def test_defaults_use_data_dir_and_embedded_redis(tmp_path: Path) -> None:
    settings = load(tmp_path)
    assert settings.app_env == "development"
    assert settings.database_url == f"sqlite:///{tmp_path / 'sms2fa.db'}"
    assert settings.redis_url is None
    assert settings.plivo_api_url == "https://api.plivo.com"
    assert settings.otp_resend_cooldown_seconds == 60
    assert not settings.plivo_configured


def test_development_secret_is_generated_once_and_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = load(tmp_path).secret_key
    assert "generated a development key" in caplog.text
    assert len(first) >= 32
    assert load(tmp_path).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_a_data_dir_that_cannot_hold_the_development_secret_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ConfigError) as error:
        load(tmp_path, DATA_DIR=str(blocker / "data"))
    assert str(error.value) == (
        f"SECRET_KEY is not set, and DATA_DIR ({blocker / 'data'}) must then be a writable directory for the "
        "development key: Not a directory"
    )


def test_servers_listen_on_localhost_unless_listen_host_says_otherwise(tmp_path: Path) -> None:
    assert load(tmp_path).listen_host == "127.0.0.1"
    assert load(tmp_path, LISTEN_HOST="0.0.0.0").listen_host == "0.0.0.0"
    assert load(tmp_path, LISTEN_HOST="::").listen_host == "::"


def test_dotenv_fills_gaps_but_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("APP_NAME=from-dotenv\nOTP_TTL_SECONDS=120\n")
    settings = load_settings({"DATA_DIR": str(tmp_path), "OTP_TTL_SECONDS": "90"}, env_file=env_file)
    assert settings.app_name == "from-dotenv"
    assert settings.otp_ttl_seconds == 90


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"OTP_TTL_SECONDS": "five"}, "OTP_TTL_SECONDS"),
        ({"OTP_MAX_ATTEMPTS": "0"}, "OTP_MAX_ATTEMPTS"),
        ({"TRUSTED_PROXY_HOPS": "-1"}, "TRUSTED_PROXY_HOPS"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"PLIVO_API_URL": "ftp://x"}, "PLIVO_API_URL"),
        ({"OTP_ALLOWED_COUNTRIES": "US,USA"}, "OTP_ALLOWED_COUNTRIES"),
        ({"OTP_DEFAULT_REGION": "1"}, "OTP_DEFAULT_REGION"),
        ({**PLIVO, "PLIVO_AUTH_ID": "XX123"}, "PLIVO_AUTH_ID"),
        ({**PLIVO, "PLIVO_PHONE_NUMBER": "4155550100"}, "PLIVO_PHONE_NUMBER"),
        ({"PLIVO_AUTH_ID": PLIVO["PLIVO_AUTH_ID"]}, "PLIVO_AUTH_TOKEN"),
        ({"LISTEN_HOST": "http://0.0.0.0"}, "LISTEN_HOST"),
        ({"LISTEN_HOST": "127.0.0.1 8000"}, "LISTEN_HOST"),
    ],
)
def test_malformed_setting_names_the_variable(tmp_path: Path, values: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **values)
    message = str(error.value)
    assert named in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"OTP_ALLOW_VOIP": "maybe"}, "OTP_ALLOW_VOIP"),
        ({"PLIVO_TIMEOUT_SECONDS": "0"}, "PLIVO_TIMEOUT_SECONDS"),
        ({"PLIVO_TIMEOUT_SECONDS": "nan"}, "PLIVO_TIMEOUT_SECONDS"),
        ({"OTP_TTL_SECONDS": "1.5"}, "OTP_TTL_SECONDS"),
        ({"OTP_ALLOWED_COUNTRIES": '["US"]'}, "OTP_ALLOWED_COUNTRIES"),
        ({"MAX_SESSIONS_PER_USER": "0"}, "MAX_SESSIONS_PER_USER"),
    ],
)
def test_type_errors_are_one_line_naming_the_variable(tmp_path: Path, values: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **values)
    message = str(error.value)
    assert message.startswith(f"{named} must ")
    assert "\n" not in message


def test_values_are_trimmed_and_blank_means_default(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("OTP_TTL_SECONDS=120\nOTP_MAX_ATTEMPTS=7\n")
    settings = load_settings(
        {
            "DATA_DIR": str(tmp_path),
            "APP_ENV": " Development ",
            "OTP_TTL_SECONDS": "",  # blank in the environment masks .env: the default applies
            "OTP_MAX_ATTEMPTS": "  ",
            "OTP_ALLOWED_COUNTRIES": " us, ca ,,gb ",
            "OTP_DEFAULT_REGION": "us",
            "OTP_ALLOW_VOIP": "yes",
            "PLIVO_API_URL": "http://127.0.0.1:9000/",
            "NOT_A_SETTING": "ignored",
        },
        env_file=env_file,
    )
    assert settings.app_env == "development"
    assert (settings.otp_ttl_seconds, settings.otp_max_attempts) == (300, 5)
    assert settings.otp_allowed_countries == ("US", "CA", "GB")
    assert settings.otp_default_region == "US"
    assert settings.otp_allow_voip
    assert settings.plivo_api_url == "http://127.0.0.1:9000"


def test_country_caps_parse_into_pairs_with_a_default(tmp_path: Path) -> None:
    settings = load(tmp_path, SMS_COUNTRY_CAPS_PER_HOUR=" lv=20, US=500 ,,", SMS_COUNTRY_CAP_DEFAULT_PER_HOUR="40")
    assert settings.sms_country_caps_per_hour == (("LV", 20), ("US", 500))
    policy = OtpPolicy.from_settings(settings)
    assert (policy.country_cap("LV"), policy.country_cap("US"), policy.country_cap("FR")) == (20, 500, 40)
    assert load(tmp_path).sms_country_caps_per_hour == ()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"SMS_COUNTRY_CAPS_PER_HOUR": "LV=20,Latvia=5"},
            "SMS_COUNTRY_CAPS_PER_HOUR must list COUNTRY=NUMBER pairs separated by commas, such as LV=20,US=500, "
            "got 'LATVIA=5'",
        ),
        (
            {"SMS_COUNTRY_CAPS_PER_HOUR": "LV=0"},
            "SMS_COUNTRY_CAPS_PER_HOUR must list COUNTRY=NUMBER pairs separated by commas, such as LV=20,US=500, "
            "got 'LV=0'",
        ),
        ({"POW_AFTER_COUNTRY_CAP_PERCENT": "150"}, "POW_AFTER_COUNTRY_CAP_PERCENT must be at most 100, got '150'"),
        ({"POW_DIFFICULTY": "0"}, "POW_DIFFICULTY must be greater than 0, got '0'"),
        ({"OPERATOR_EMAIL": "ops"}, "OPERATOR_EMAIL must be an email address such as ops@example.com"),
        ({"APP_URL": "sms2fa.example.com"}, "APP_URL must start with http:// or https://"),
    ],
)
def test_new_settings_refuse_bad_values_in_one_line(tmp_path: Path, values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **values)
    assert str(error.value) == message


def test_settings_repr_hides_secrets(tmp_path: Path) -> None:
    settings = load(tmp_path, SECRET_KEY="s" * 40, **PLIVO)
    assert "s" * 40 not in repr(settings)
    assert "token" not in repr(settings)


def test_app_logs_reach_stderr_once(capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("sms2fa")
    saved_handlers, saved_level = logger.handlers[:], logger.level
    logger.handlers.clear()
    try:
        configure_logging()
        configure_logging()
        assert len(logger.handlers) == 1
        logging.getLogger("sms2fa.test").info("event=probe value=1")
        assert "sms2fa.test event=probe value=1" in capsys.readouterr().err
    finally:
        logger.handlers[:] = saved_handlers
        logger.setLevel(saved_level)


def test_env_example_documents_every_setting() -> None:
    from sms2fa_app.config import PROJECT_ROOT

    documented = (PROJECT_ROOT / ".env.example").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"{name.upper()}=" not in documented]
    assert missing == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "SMTP_HOST is required when APP_ENV=production"),
        ({"SMTP_HOST": "smtp.example.com"}, "SMTP_FROM is required when SMTP_HOST is set"),
        ({**MAIL, "SMTP_USERNAME": "sms2fa"}, "SMTP_PASSWORD is required when the other SMTP credential is set"),
        (
            {**MAIL, "SMTP_SECURITY": "none"},
            "SMTP_SECURITY=none is allowed in production only for a relay on localhost",
        ),
        ({**MAIL, "SMTP_SECURITY": "ssl"}, "SMTP_SECURITY must be 'starttls', 'tls' or 'none', got 'ssl'"),
        ({**MAIL, "APP_URL": ""}, "APP_URL is required when APP_ENV=production"),
        ({**MAIL, "APP_URL": "http://sms2fa.example.com"}, "APP_URL must start with https:// when APP_ENV=production"),
        ({**MAIL, "SMTP_FROM": "not an address"}, "SMTP_FROM must be an email address such as sms2fa@example.com"),
        (
            {**MAIL, "OPERATOR_EMAIL": ""},
            "OPERATOR_EMAIL is required when APP_ENV=production (country caps alert the operator by mail)",
        ),
    ],
)
def test_production_refuses_missing_or_unsafe_mail_settings(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **PRODUCTION_CORE, **PLIVO, **PASSKEYS, **values)
    assert str(error.value) == message


def test_mail_defaults_and_what_production_allows(tmp_path: Path) -> None:
    development = load(tmp_path)
    assert (development.base_url, development.smtp_configured) == ("http://localhost:3000", False)
    assert development.email_verification_required and development.password_reset_ttl_seconds == 1800
    relay = load(
        tmp_path,
        **PRODUCTION_CORE,
        **PLIVO,
        **PASSKEYS,
        **{**MAIL, "SMTP_HOST": "127.0.0.1", "SMTP_SECURITY": "none", "APP_URL": "http://127.0.0.1:3000/"},
    )
    assert relay.smtp_port_or_default == 25 and relay.base_url == "http://127.0.0.1:3000"
    assert load(tmp_path, SMTP_SECURITY="TLS").smtp_port_or_default == 465


def test_one_worker_without_shared_tab_state_one_per_core_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sms2fa_app.config.os.cpu_count", lambda: 2)
    assert load(tmp_path).workers == 1 and load(tmp_path).reflex_redis_url is None
    assert load(tmp_path, REFLEX_REDIS_URL="redis://127.0.0.1:6379/1").workers == 2
    assert load(tmp_path, REFLEX_REDIS_URL="redis://127.0.0.1:6379/1", WEB_WORKERS="3").workers == 3
    with pytest.raises(ConfigError, match=r"^WEB_WORKERS above 1 needs REFLEX_REDIS_URL"):
        load(tmp_path, WEB_WORKERS="2")


def test_production_waits_at_least_a_day_before_an_admins_2fa_reset(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **{**PRODUCTION, "ADMIN_RESET_WAIT_SECONDS": "3600"})
    assert str(error.value).startswith("ADMIN_RESET_WAIT_SECONDS must be at least 86400") and "\n" not in str(
        error.value
    )
    assert load(tmp_path, **{**PRODUCTION, "ADMIN_RESET_WAIT_SECONDS": "86400"}).admin_reset_wait_seconds == 86400
    assert load(tmp_path, ADMIN_RESET_WAIT_SECONDS="20").admin_reset_wait_seconds == 20  # development


def test_price_currency_defaults_to_usd_and_must_be_a_currency_code(tmp_path: Path) -> None:
    """PRICE_CURRENCY (issue 23): the admin console's spend names its currency; three letters (ISO 4217)."""
    assert load(tmp_path).price_currency == "USD"
    assert load(tmp_path, PRICE_CURRENCY="eur").price_currency == "EUR"
    with pytest.raises(ConfigError) as error:
        load(tmp_path, PRICE_CURRENCY="euros")
    assert "PRICE_CURRENCY" in str(error.value) and "\n" not in str(error.value)


def test_port_moves_the_development_app_url_and_passkey_origin(tmp_path: Path) -> None:
    """`make run PORT=3005` (issue 23): links and passkeys follow the port; set APP_URL or WEBAUTHN_ORIGIN win."""
    assert (load(tmp_path).base_url, load(tmp_path).passkey_origin) == ("http://localhost:3000",) * 2
    moved = load(tmp_path, PORT="3005", BACKEND_PORT="8005")
    assert (moved.base_url, moved.passkey_origin, moved.backend_port) == ("http://localhost:3005",) * 2 + (8005,)
    told = load(tmp_path, PORT="3005", APP_URL="http://localhost:4000", WEBAUTHN_ORIGIN="http://localhost:4000")
    assert (told.base_url, told.passkey_origin) == ("http://localhost:4000",) * 2
