"""Settings read once from the environment and `.env`; the only module that reads os.environ.

Each field of Settings reads the variable of its name in upper case. A missing or malformed setting raises
ConfigError with one line naming the variable.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    NonNegativeInt,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, DotEnvSettingsSource, EnvSettingsSource, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEVELOPMENT = "development"
PRODUCTION = "production"
DEFAULT_PLIVO_API_URL = "https://api.plivo.com"
ALL_COUNTRIES = "*"
# SECRET_KEY values published with the project (.env.example); never accepted in production.
SAMPLE_SECRET_KEYS = frozenset({"change-me-to-a-long-random-string-of-48-characters"})
MIN_SECRET_BITS = 96  # estimated from the key's own characters; a 32-character random key has far more
SECRET_KEY_ADVICE = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"

log = logging.getLogger("sms2fa.config")

# What pydantic's own checks mean, worded to follow the variable's name; a validator's ValueError says it itself.
_REASONS = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_parsing": "must be true or false",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "literal_error": "must be {expected}",
}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def _check(pattern: str, reason: str) -> AfterValidator:
    """A check that the whole value matches pattern; reason follows the variable's name and may show {value!r}."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(reason.format(value=value))
        return value

    return AfterValidator(check)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _under_project(path: Path) -> Path:
    return path if path.is_absolute() else PROJECT_ROOT / path


def _comma_list(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value.strip() == ALL_COUNTRIES:
        return ()  # every country, said explicitly
    return tuple(item.strip().upper() for item in value.split(",") if item.strip())


def is_loopback_host(host: str | None) -> bool:
    """Whether a URL's host name or address stays on this machine (localhost, 127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _estimated_bits(key: str) -> float:
    """Entropy of a key estimated from its own character frequencies (repetition and few symbols score low)."""
    counts = Counter(key)
    return -sum(n * math.log2(n / len(key)) for n in counts.values())


def _repeats(key: str) -> bool:
    """Whether the key is a shorter string repeated ('abcabcabc...')."""
    return any(key == (key[:period] * (len(key) // period + 1))[: len(key)] for period in range(1, len(key) // 2 + 1))


# Checked kinds of text, named for the fields below.
_AppEnv = Annotated[Literal["development", "production"], BeforeValidator(_lower)]
_DataDir = Annotated[Path, AfterValidator(_under_project)]
_RedisUrl = Annotated[str, _check("(redis|rediss|unix)://.*", "must start with redis://, rediss:// or unix://")]
_PlivoAuthId = Annotated[str, _check("(MA|SA).{18}", "must be 20 characters starting with MA or SA")]
_E164 = Annotated[str, _check(r"\+[0-9]{7,15}", "must be an E.164 number such as +14155550100")]
_HttpUrl = Annotated[
    str, AfterValidator(lambda url: url.rstrip("/")), _check("https?://.*", "must start with http:// or https://")
]
_Region = Annotated[
    str, AfterValidator(str.upper), _check("[A-Z]{2}", "must be a two-letter country code, got {value!r}")
]
_CountryCode = Annotated[
    str, _check("[A-Z]{2}", "must list two-letter country codes separated by commas, got {value!r}")
]
_Countries = Annotated[tuple[_CountryCode, ...] | None, NoDecode, BeforeValidator(_comma_list)]  # NoDecode: not JSON
_Host = Annotated[str, _check(r"[^\s/@?#]+", "must be a host name or an IP address such as 127.0.0.1, got {value!r}")]


class Settings(BaseSettings):
    """Every tunable of the app, validated. Build it with load_settings, which names the sources."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    app_env: _AppEnv = DEVELOPMENT
    data_dir: _DataDir = PROJECT_ROOT / "data"  # a relative path is under PROJECT_ROOT
    database_url: str = ""  # empty: SQLite in data_dir
    redis_url: _RedisUrl | None = None  # None: an embedded Redis server in data_dir
    reflex_redis_url: _RedisUrl | None = None  # Reflex's state (REFLEX_REDIS_URL): Redis for several workers
    redis_allow_plaintext: bool = False  # a remote Redis without TLS, explicitly accepted
    secret_key: str = ""  # empty: generated in data_dir (development only)
    app_name: str = "sms2fa"
    trusted_proxy_hops: NonNegativeInt | None = None  # required in production; development: 0
    reflex_env_mode: str = ""  # set by `reflex run --env prod`: production unless APP_ENV says otherwise
    metrics_token: str | None = Field(None, min_length=32)  # GET /metrics with "Authorization: Bearer <token>"
    # Plivo
    plivo_auth_id: _PlivoAuthId | None = None
    plivo_auth_token: str | None = None
    plivo_phone_number: _E164 | None = None
    plivo_api_url: _HttpUrl = DEFAULT_PLIVO_API_URL
    plivo_timeout_seconds: float = Field(10.0, gt=0, allow_inf_nan=False)
    # Login sessions
    session_idle_seconds: PositiveInt = 30 * 60
    session_absolute_seconds: PositiveInt = 12 * 3600
    pending_2fa_seconds: PositiveInt = 10 * 60
    # Failed-login throttling
    login_window_seconds: PositiveInt = 15 * 60
    login_max_failures_per_account: PositiveInt = 10
    login_max_failures_per_ip: PositiveInt = 50
    signups_per_hour_per_ip: PositiveInt = 10
    # One-time codes
    otp_ttl_seconds: PositiveInt = 300
    otp_max_attempts: PositiveInt = 5
    otp_resend_cooldown_seconds: PositiveInt = 60
    otp_sends_per_hour_per_user: PositiveInt = 5
    otp_sends_per_hour_per_phone: PositiveInt = 5
    otp_sends_per_hour_per_ip: PositiveInt = 20
    otp_sends_per_hour_global: PositiveInt = 1000
    otp_allowed_countries: _Countries = None  # "*" (empty tuple): every country; required in production
    otp_default_region: _Region | None = None
    otp_lockout_threshold: PositiveInt = 10
    otp_lockout_base_seconds: PositiveInt = 60
    otp_lockout_max_seconds: PositiveInt = 3600
    phone_proof_ttl_seconds: PositiveInt = 600
    dev_outbox_size: PositiveInt = 50
    otp_allow_voip: bool = False
    # Second factors beyond SMS
    remember_device_days: PositiveInt = 30
    # Where `reflex run` listens (the backend, and the development frontend)
    listen_host: _Host = "127.0.0.1"

    @property
    def is_production(self) -> bool:
        """True when APP_ENV is production."""
        return self.app_env == PRODUCTION

    @property
    def plivo_configured(self) -> bool:
        """True when real Plivo credentials are present."""
        return bool(self.plivo_auth_id and self.plivo_auth_token and self.plivo_phone_number)

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        """Never print secrets: repr() shows only the environment and the data directory."""
        return [("app_env", self.app_env), ("data_dir", str(self.data_dir))]

    def __str__(self) -> str:
        return repr(self)

    @model_validator(mode="before")
    @classmethod
    def _blank_means_default(cls, data: Any) -> Any:
        """Strip every value; a blank one gives the field its default (so an empty variable masks `.env`)."""
        if not isinstance(data, dict):
            return data
        stripped = {name: value.strip() if isinstance(value, str) else value for name, value in data.items()}
        return {name: value for name, value in stripped.items() if value != ""}

    @model_validator(mode="before")
    @classmethod
    def _environment_defaults(cls, data: Any) -> Any:
        """Without APP_ENV, `reflex run --env prod` means production. Development fills the settings that
        production requires: no proxy in front, every country."""
        if not isinstance(data, dict):
            return data
        if "app_env" not in data and str(data.get("reflex_env_mode", "")).lower() == "prod":
            data = {**data, "app_env": PRODUCTION}
        if str(data.get("app_env", DEVELOPMENT)).lower() != PRODUCTION:
            data = {"trusted_proxy_hops": 0, "otp_allowed_countries": ALL_COUNTRIES, **data}
        return data

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, url: str, info: ValidationInfo) -> str:
        if not url and "data_dir" in info.data:
            return f"sqlite:///{info.data['data_dir'] / 'sms2fa.db'}"
        if url and "://" not in url:
            raise ValueError(f"must be a URL such as sqlite:///data/sms2fa.db, got {url!r}")
        return url

    @field_validator("secret_key")
    @classmethod
    def _secret(cls, key: str, info: ValidationInfo) -> str:
        if "app_env" not in info.data or "data_dir" not in info.data:
            return key  # an earlier setting is malformed, and that is what gets reported
        return _secret_key(key, info.data["app_env"], info.data["data_dir"])

    @model_validator(mode="after")
    def _production_safe(self) -> Settings:
        """Production refuses settings that would be unsafe if left at a development default or sample value."""
        if self.is_production:
            if self.trusted_proxy_hops is None:
                raise ValueError(
                    "TRUSTED_PROXY_HOPS is required when APP_ENV=production: the number of reverse proxies in front "
                    "of the app that set X-Forwarded-For (0 = none)"
                )
            if self.otp_allowed_countries is None:
                raise ValueError(
                    "OTP_ALLOWED_COUNTRIES is required when APP_ENV=production: the countries to text, such as "
                    "US,CA (* = every country)"
                )
            parts = urlsplit(self.plivo_api_url)
            if parts.scheme != "https" and not is_loopback_host(parts.hostname):
                raise ValueError(
                    f"PLIVO_API_URL must use https:// when APP_ENV=production (plain http only to this machine, "
                    f"such as 127.0.0.1), got {self.plivo_api_url!r}"
                )
        for name, url in (("REDIS_URL", self.redis_url), ("REFLEX_REDIS_URL", self.reflex_redis_url)):
            parts = urlsplit(url or "")
            if parts.scheme == "redis" and not is_loopback_host(parts.hostname) and not self.redis_allow_plaintext:
                raise ValueError(
                    f"{name} points at a Redis on another machine ({parts.hostname}) without TLS: use rediss:// or "
                    "set REDIS_ALLOW_PLAINTEXT=true"
                )
        return self

    @model_validator(mode="after")
    def _plivo_complete(self) -> Settings:
        """All three Plivo settings or none; production needs all three."""
        given = {
            "PLIVO_AUTH_ID": self.plivo_auth_id,
            "PLIVO_AUTH_TOKEN": self.plivo_auth_token,
            "PLIVO_PHONE_NUMBER": self.plivo_phone_number,
        }
        missing = [name for name, value in given.items() if not value]
        if missing and (len(missing) < len(given) or self.is_production):
            raise ValueError(f"{missing[0]} is required when APP_ENV=production or Plivo is partly configured")
        return self


class _MappingEnvSource(EnvSettingsSource):
    """The environment-variable source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._environ.items()}


def _secret_key(key: str, app_env: str, data_dir: Path) -> str:
    """The given key, checked; else (development only) the one kept in data_dir, made on first use."""
    if key:
        if len(key) < 32:
            raise ValueError("must be at least 32 characters")
        if app_env == PRODUCTION and (key in SAMPLE_SECRET_KEYS or "change-me" in key.lower()):
            raise ValueError(f"is the sample value from .env.example; {SECRET_KEY_ADVICE}")
        if app_env == PRODUCTION and (_repeats(key) or _estimated_bits(key) < MIN_SECRET_BITS):
            raise ValueError(f"is too weak for APP_ENV=production (a pattern, or few characters); {SECRET_KEY_ADVICE}")
        return key
    if app_env == PRODUCTION:
        raise ValueError("is required when APP_ENV=production")
    key_file = data_dir / "secret_key"
    try:
        if key_file.is_file():
            return key_file.read_text().strip()
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
    except OSError as error:
        raise ValueError(
            f"is not set, and DATA_DIR ({data_dir}) must then be a writable directory for the development key: "
            f"{error.strerror or error}"
        ) from None
    log.warning("SECRET_KEY not set: generated a development key in %s", key_file)
    return key


def _config_error(error: ValidationError) -> ConfigError:
    """The first problem as one line that starts with the variable's name (a whole-model problem names its own)."""
    first = error.errors(include_url=False)[0]
    variable = str(first["loc"][0]).upper() if first["loc"] else ""
    context = first.get("ctx", {})
    if first["type"] == "value_error":
        reason = str(context["error"])
    elif first["type"] in _REASONS:
        reason = f"{_REASONS[first['type']].format(**context)}, got {first['input']!r}"
    else:  # not echoing the input, which may be a secret
        reason = f"is invalid: {first['msg']}"
    return ConfigError(f"{variable} {reason}".strip().replace("\n", " "))


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Build Settings from a mapping (default: os.environ plus the project's `.env`); the mapping wins over `.env`."""
    if environ is None:
        environ = os.environ
        env_file = env_file or PROJECT_ROOT / ".env"
    sources = (_MappingEnvSource(Settings, environ), DotEnvSettingsSource(Settings, env_file=env_file))
    try:
        return Settings(_build_sources=(sources, {}))
    except ValidationError as error:
        raise _config_error(error) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    return load_settings()


def apply_environment_defaults(defaults: Callable[[Mapping[str, str]], Mapping[str, str]]) -> None:
    """Set each variable `defaults(os.environ)` returns that the environment lacks (rxconfig: Reflex's own)."""
    for name, value in defaults(os.environ).items():
        os.environ.setdefault(name, value)
