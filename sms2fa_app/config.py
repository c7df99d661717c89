"""Settings read once from the environment and `.env`; the only module that reads os.environ.

A missing or malformed setting raises ConfigError with one line naming the variable.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEVELOPMENT = "development"
PRODUCTION = "production"
DEFAULT_PLIVO_API_URL = "https://api.plivo.com"

log = logging.getLogger("sms2fa.config")
T = TypeVar("T")
_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("0", "false", "no", "off")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Every tunable of the app, validated."""

    app_env: str
    data_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    app_name: str
    trusted_proxy_hops: int
    # Plivo
    plivo_auth_id: str | None
    plivo_auth_token: str | None
    plivo_phone_number: str | None
    plivo_api_url: str
    plivo_timeout_seconds: float
    # Login sessions
    session_idle_seconds: int
    session_absolute_seconds: int
    pending_2fa_seconds: int
    # Failed-login throttling
    login_window_seconds: int
    login_max_failures_per_account: int
    login_max_failures_per_ip: int
    signups_per_hour_per_ip: int
    # One-time codes
    otp_ttl_seconds: int
    otp_max_attempts: int
    otp_resend_cooldown_seconds: int
    otp_sends_per_hour_per_user: int
    otp_sends_per_hour_per_phone: int
    otp_sends_per_hour_per_ip: int
    otp_sends_per_hour_global: int
    otp_allowed_countries: tuple[str, ...]
    otp_default_region: str | None
    otp_lockout_threshold: int
    otp_lockout_base_seconds: int
    otp_lockout_max_seconds: int
    phone_proof_ttl_seconds: int
    dev_outbox_size: int = 50
    otp_allow_voip: bool = False
    # Second factors beyond SMS
    remember_device_days: int = 30
    # Where `reflex run` listens (backend, and the dev frontend)
    listen_host: str = "127.0.0.1"

    @property
    def is_production(self) -> bool:
        """True when APP_ENV is production."""
        return self.app_env == PRODUCTION

    @property
    def plivo_configured(self) -> bool:
        """True when real Plivo credentials are present."""
        return bool(self.plivo_auth_id and self.plivo_auth_token and self.plivo_phone_number)

    def __repr__(self) -> str:  # never print secrets
        return f"Settings(app_env={self.app_env!r}, data_dir={str(self.data_dir)!r})"


class _Reader:
    """Typed access to one merged mapping of variables, each error naming its variable."""

    def __init__(self, values: Mapping[str, str | None]):
        self.values = values

    def raw(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.raw(name)
        return default if value is None else value

    def parsed(self, name: str, default: T, parse: Callable[[str], T], what: str) -> T:
        value = self.raw(name)
        if value is None:
            return default
        try:
            return parse(value)
        except ValueError:
            raise ConfigError(f"{name} must be {what}, got {value!r}") from None

    def positive_int(self, name: str, default: int) -> int:
        number = self.parsed(name, default, int, "a whole number")
        if number < 1:
            raise ConfigError(f"{name} must be at least 1, got {number}")
        return number

    def non_negative_int(self, name: str, default: int) -> int:
        number = self.parsed(name, default, int, "a whole number")
        if number < 0:
            raise ConfigError(f"{name} must not be negative, got {number}")
        return number

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if value.lower() in _TRUE_WORDS:
            return True
        if value.lower() in _FALSE_WORDS:
            return False
        raise ConfigError(f"{name} must be true or false, got {value!r}")

    def positive_float(self, name: str, default: float) -> float:
        number = self.parsed(name, default, float, "a number")
        if number <= 0:
            raise ConfigError(f"{name} must be greater than 0, got {number}")
        return number


def _merged_environment(environ: Mapping[str, str], env_file: Path | None) -> dict[str, str | None]:
    """Process environment wins over `.env`, which only fills gaps."""
    merged: dict[str, str | None] = {}
    if env_file is not None and env_file.is_file():
        merged.update(dotenv_values(env_file))
    merged.update(environ)
    return merged


def _country_codes(value: str) -> tuple[str, ...]:
    codes = tuple(code.strip().upper() for code in value.split(",") if code.strip())
    for code in codes:
        if len(code) != 2 or not code.isalpha():
            raise ValueError(code)
    return codes


def _secret_key(reader: _Reader, app_env: str, data_dir: Path) -> str:
    key = reader.text("SECRET_KEY")
    if key is not None:
        if len(key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters")
        return key
    if app_env == PRODUCTION:
        raise ConfigError("SECRET_KEY is required when APP_ENV=production")
    key_file = data_dir / "secret_key"
    try:
        if key_file.is_file():
            return key_file.read_text().strip()
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
    except OSError as error:
        raise ConfigError(
            f"DATA_DIR ({data_dir}) must be a writable directory for the development SECRET_KEY: "
            f"{error.strerror or error}"
        ) from None
    log.warning("SECRET_KEY not set: generated a development key in %s", key_file)
    return key


def _check_plivo(reader: _Reader, app_env: str) -> None:
    names = ("PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN", "PLIVO_PHONE_NUMBER")
    present = [name for name in names if reader.text(name)]
    missing = [name for name in names if not reader.text(name)]
    if missing and (present or app_env == PRODUCTION):
        raise ConfigError(f"{missing[0]} is required when APP_ENV=production or Plivo is partly configured")
    auth_id = reader.text("PLIVO_AUTH_ID")
    if auth_id and not (len(auth_id) == 20 and auth_id[:2] in ("MA", "SA")):
        raise ConfigError("PLIVO_AUTH_ID must be 20 characters starting with MA or SA")
    sender = reader.text("PLIVO_PHONE_NUMBER")
    if sender and not (sender.startswith("+") and sender[1:].isdigit() and 8 <= len(sender) <= 16):
        raise ConfigError("PLIVO_PHONE_NUMBER must be an E.164 number such as +14155550100")


def _listen_host(reader: _Reader) -> str:
    host = reader.text("LISTEN_HOST", "127.0.0.1") or "127.0.0.1"
    if any(char.isspace() or char in "/@?#" for char in host):
        raise ConfigError(f"LISTEN_HOST must be a host name or an IP address such as 127.0.0.1, got {host!r}")
    return host


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Build Settings from a mapping (default: os.environ plus the project's `.env`)."""
    if environ is None:
        environ = os.environ
        env_file = env_file or PROJECT_ROOT / ".env"
    reader = _Reader(_merged_environment(environ, env_file))

    app_env = (reader.text("APP_ENV", DEVELOPMENT) or DEVELOPMENT).lower()
    if app_env not in (DEVELOPMENT, PRODUCTION):
        raise ConfigError(f"APP_ENV must be development or production, got {app_env!r}")
    data_dir = Path(reader.text("DATA_DIR", str(PROJECT_ROOT / "data")) or "data")
    if not data_dir.is_absolute():
        data_dir = PROJECT_ROOT / data_dir
    database_url = reader.text("DATABASE_URL") or f"sqlite:///{data_dir / 'sms2fa.db'}"
    if "://" not in database_url:
        raise ConfigError(f"DATABASE_URL must be a URL such as sqlite:///data/sms2fa.db, got {database_url!r}")
    redis_url = reader.text("REDIS_URL")
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    _check_plivo(reader, app_env)
    plivo_api_url = (reader.text("PLIVO_API_URL", DEFAULT_PLIVO_API_URL) or "").rstrip("/")
    if not plivo_api_url.startswith(("http://", "https://")):
        raise ConfigError("PLIVO_API_URL must start with http:// or https://")
    default_region = reader.text("OTP_DEFAULT_REGION")
    if default_region:
        default_region = default_region.upper()
        if len(default_region) != 2 or not default_region.isalpha():
            raise ConfigError(f"OTP_DEFAULT_REGION must be a two-letter country code, got {default_region!r}")

    return Settings(
        app_env=app_env,
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=_secret_key(reader, app_env, data_dir),
        app_name=reader.text("APP_NAME", "sms2fa") or "sms2fa",
        trusted_proxy_hops=reader.non_negative_int("TRUSTED_PROXY_HOPS", 0),
        plivo_auth_id=reader.text("PLIVO_AUTH_ID"),
        plivo_auth_token=reader.text("PLIVO_AUTH_TOKEN"),
        plivo_phone_number=reader.text("PLIVO_PHONE_NUMBER"),
        plivo_api_url=plivo_api_url,
        plivo_timeout_seconds=reader.positive_float("PLIVO_TIMEOUT_SECONDS", 10.0),
        session_idle_seconds=reader.positive_int("SESSION_IDLE_SECONDS", 30 * 60),
        session_absolute_seconds=reader.positive_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600),
        pending_2fa_seconds=reader.positive_int("PENDING_2FA_SECONDS", 10 * 60),
        login_window_seconds=reader.positive_int("LOGIN_WINDOW_SECONDS", 15 * 60),
        login_max_failures_per_account=reader.positive_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 10),
        login_max_failures_per_ip=reader.positive_int("LOGIN_MAX_FAILURES_PER_IP", 50),
        signups_per_hour_per_ip=reader.positive_int("SIGNUPS_PER_HOUR_PER_IP", 10),
        otp_ttl_seconds=reader.positive_int("OTP_TTL_SECONDS", 300),
        otp_max_attempts=reader.positive_int("OTP_MAX_ATTEMPTS", 5),
        otp_resend_cooldown_seconds=reader.positive_int("OTP_RESEND_COOLDOWN_SECONDS", 60),
        otp_sends_per_hour_per_user=reader.positive_int("OTP_SENDS_PER_HOUR_PER_USER", 5),
        otp_sends_per_hour_per_phone=reader.positive_int("OTP_SENDS_PER_HOUR_PER_PHONE", 5),
        otp_sends_per_hour_per_ip=reader.positive_int("OTP_SENDS_PER_HOUR_PER_IP", 20),
        otp_sends_per_hour_global=reader.positive_int("OTP_SENDS_PER_HOUR_GLOBAL", 1000),
        otp_allowed_countries=reader.parsed(
            "OTP_ALLOWED_COUNTRIES", (), _country_codes, "a comma-separated list of two-letter country codes"
        ),
        otp_default_region=default_region,
        otp_lockout_threshold=reader.positive_int("OTP_LOCKOUT_THRESHOLD", 10),
        otp_lockout_base_seconds=reader.positive_int("OTP_LOCKOUT_BASE_SECONDS", 60),
        otp_lockout_max_seconds=reader.positive_int("OTP_LOCKOUT_MAX_SECONDS", 3600),
        phone_proof_ttl_seconds=reader.positive_int("PHONE_PROOF_TTL_SECONDS", 600),
        dev_outbox_size=reader.positive_int("DEV_OUTBOX_SIZE", 50),
        otp_allow_voip=reader.flag("OTP_ALLOW_VOIP", False),
        remember_device_days=reader.positive_int("REMEMBER_DEVICE_DAYS", 30),
        listen_host=_listen_host(reader),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    return load_settings()


def apply_environment_defaults(defaults: Callable[[Mapping[str, str]], Mapping[str, str]]) -> None:
    """Set each variable `defaults(os.environ)` returns that the environment lacks (rxconfig: Reflex's own)."""
    for name, value in defaults(os.environ).items():
        os.environ.setdefault(name, value)
