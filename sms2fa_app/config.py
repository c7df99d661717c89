"""Settings read once from the environment and `.env`; the only module that reads os.environ.

Each field of Settings reads the variable of its name in upper case. A missing or malformed setting raises
ConfigError with one line naming the variable.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

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
    return tuple(item.strip().upper() for item in value.split(",") if item.strip())


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
_Countries = Annotated[tuple[_CountryCode, ...], NoDecode, BeforeValidator(_comma_list)]  # NoDecode: not JSON


class Settings(BaseSettings):
    """Every tunable of the app, validated. Build it with load_settings, which names the sources."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    app_env: _AppEnv = DEVELOPMENT
    data_dir: _DataDir = PROJECT_ROOT / "data"  # a relative path is under PROJECT_ROOT
    database_url: str = ""  # empty: SQLite in data_dir
    redis_url: _RedisUrl | None = None  # None: an embedded Redis server in data_dir
    secret_key: str = ""  # empty: generated in data_dir (development only)
    app_name: str = "sms2fa"
    trusted_proxy_hops: NonNegativeInt = 0
    # Web workers and where Reflex keeps each browser tab's state
    state_redis_url: _RedisUrl | None = None  # None: in the worker's memory (one worker)
    web_workers: NonNegativeInt = 0  # 0: 1 without STATE_REDIS_URL, one per core with it
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
    otp_allowed_countries: _Countries = ()  # empty: every country
    otp_default_region: _Region | None = None
    otp_lockout_threshold: PositiveInt = 10
    otp_lockout_base_seconds: PositiveInt = 60
    otp_lockout_max_seconds: PositiveInt = 3600
    phone_proof_ttl_seconds: PositiveInt = 600
    dev_outbox_size: PositiveInt = 50
    otp_allow_voip: bool = False
    # Second factors beyond SMS
    remember_device_days: PositiveInt = 30

    @property
    def is_production(self) -> bool:
        """True when APP_ENV is production."""
        return self.app_env == PRODUCTION

    @property
    def workers(self) -> int:
        """Web worker processes: WEB_WORKERS, else 1 without STATE_REDIS_URL (tab states in memory cannot
        be shared) and one per core with it (argon2 and the event loops of two workers fill two cores)."""
        if self.web_workers:
            return self.web_workers
        return max(1, os.cpu_count() or 1) if self.state_redis_url else 1

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
    def _workers_share_state(self) -> Settings:
        """Several workers serve one tab's events only if its state is in Redis."""
        if self.web_workers > 1 and not self.state_redis_url:
            raise ValueError("WEB_WORKERS above 1 needs STATE_REDIS_URL (the workers must share the tabs' state)")
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
        return key
    if app_env == PRODUCTION:
        raise ValueError("is required when APP_ENV=production")
    key_file = data_dir / "secret_key"
    if key_file.is_file():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
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
