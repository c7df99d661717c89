"""Config: defaults, validation with one clear line naming the variable, development secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sms2fa_app.backend.infra.logging_setup import configure_logging
from sms2fa_app.config import ConfigError, load_settings

PLIVO = {"PLIVO_AUTH_ID": "MA" + "A" * 18, "PLIVO_AUTH_TOKEN": "token", "PLIVO_PHONE_NUMBER": "+14155550100"}


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


def test_production_requires_secret_key_and_plivo(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is required"):
        load(tmp_path, APP_ENV="production", **PLIVO)
    with pytest.raises(ConfigError, match="PLIVO_AUTH_ID is required"):
        load(tmp_path, APP_ENV="production", SECRET_KEY="k" * 40)
    settings = load(tmp_path, APP_ENV="production", SECRET_KEY="k" * 40, **PLIVO)
    assert settings.is_production and settings.plivo_configured


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


def test_one_worker_without_shared_tab_state_one_per_core_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sms2fa_app.config.os.cpu_count", lambda: 2)
    assert load(tmp_path).workers == 1 and load(tmp_path).state_redis_url is None
    assert load(tmp_path, STATE_REDIS_URL="redis://127.0.0.1:6379/1").workers == 2
    assert load(tmp_path, STATE_REDIS_URL="redis://127.0.0.1:6379/1", WEB_WORKERS="3").workers == 3
    with pytest.raises(ConfigError, match=r"^WEB_WORKERS above 1 needs STATE_REDIS_URL"):
        load(tmp_path, WEB_WORKERS="2")
