"""Settings read once from the environment and `.env`; the only module that reads os.environ.

Each field of Settings reads the variable of its name in upper case. A missing or malformed setting raises
ConfigError with one line naming the variable.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    Field,
    NonNegativeInt,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, DotEnvSettingsSource, EnvSettingsSource, SettingsConfigDict

from sms2fa_app.config_fields import (
    ALL_COUNTRIES,
    E164,
    PROJECT_ROOT,
    AccessRules,
    Address,
    AppEnv,
    AppName,
    AppUrl,
    Countries,
    CountryCaps,
    Currency,
    DataDir,
    Host,
    HttpUrl,
    LanguageMap,
    LookupOnError,
    ModuleNames,
    OperatorAddress,
    Origin,
    OtpTtl,
    Percent,
    PhoneLineTypes,
    PlivoAuthId,
    PriceTable,
    RedisUrl,
    Region,
    RpId,
    SmtpHost,
    SmtpSecurity,
    TemplateName,
    checked_secret,
    config_error_line,
    host_of,
    is_loopback_host,
)

DEVELOPMENT = "development"
PRODUCTION = "production"
DEFAULT_PLIVO_API_URL = "https://api.plivo.com"
DEFAULT_PLIVO_LOOKUP_URL = "https://lookup.plivo.com"
DEFAULT_WEBAUTHN_RP_ID = "localhost"
DEVELOPMENT_APP_URL = "http://localhost:3000"
SMTP_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}

log = logging.getLogger("sms2fa.config")

# The settings development fills in and production must state, with what to state.
PRODUCTION_REQUIRED = {
    "trusted_proxy_hops": "the number of reverse proxies in front of the app that set X-Forwarded-For (0 = none)",
    "otp_allowed_countries": "the countries to text, such as US,CA (* = every country)",
    "phone_line_types": "the line types to text after Plivo Lookup, such as mobile (landlines are called)",
    "phone_lookup_on_error": "allow or deny a new number while Plivo Lookup is out",
}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    """Every tunable of the app, validated. Build it with load_settings, which names the sources."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    app_env: AppEnv = DEVELOPMENT
    data_dir: DataDir = PROJECT_ROOT / "data"  # a relative path is under PROJECT_ROOT
    database_url: str = ""  # empty: SQLite in data_dir
    redis_url: RedisUrl | None = None  # None: an embedded Redis server in data_dir
    reflex_redis_url: RedisUrl | None = None  # Reflex's state (REFLEX_REDIS_URL): Redis for several workers
    redis_allow_plaintext: bool = False  # a remote Redis without TLS, explicitly accepted
    secret_key: str = ""  # empty: generated in data_dir (development only)
    app_name: AppName = "sms2fa"
    trusted_proxy_hops: NonNegativeInt | None = None  # required in production; development: 0
    reflex_env_mode: str = ""  # set by `reflex run --env prod`: production unless APP_ENV says otherwise
    metrics_token: str | None = Field(None, min_length=32)  # GET /metrics with "Authorization: Bearer <token>"
    web_workers: NonNegativeInt = 0  # 0: 1 without REFLEX_REDIS_URL, one per core with it
    # Plivo
    plivo_auth_id: PlivoAuthId | None = None
    plivo_auth_token: str | None = None
    plivo_phone_number: E164 | None = None
    plivo_api_url: HttpUrl = DEFAULT_PLIVO_API_URL
    plivo_timeout_seconds: float = Field(10.0, gt=0, allow_inf_nan=False)
    plivo_lookup_url: HttpUrl = DEFAULT_PLIVO_LOOKUP_URL  # Lookup's own host (docs/phone-lookup.md)
    # Plivo Lookup before the first send to a number: the line types texted, what an outage does (both required
    # in production), how long an answer is kept
    phone_line_types: PhoneLineTypes = None
    phone_lookup_on_error: LookupOnError | None = None
    phone_lookup_ttl_days: PositiveInt = 30
    # WhatsApp codes through Plivo (docs/whatsapp.md): on with a template name and a WhatsApp-enabled sender
    whatsapp_sender: E164 | None = None
    whatsapp_template_name: TemplateName | None = None
    whatsapp_template_languages: LanguageMap = ()  # our locale -> the template's language; any other: en
    whatsapp_fallback_seconds: PositiveInt = 20  # undelivered this long: the challenge offers a text instead
    # Login sessions
    session_idle_seconds: PositiveInt = 30 * 60
    session_absolute_seconds: PositiveInt = 12 * 3600
    pending_2fa_seconds: PositiveInt = 10 * 60
    max_sessions_per_user: PositiveInt = 20  # signed-in ones: one more ends the least recently used
    # Failed-login throttling
    login_window_seconds: PositiveInt = 15 * 60
    login_max_failures_per_account: PositiveInt = 10
    login_max_failures_per_ip: PositiveInt = 50
    signups_per_hour_per_ip: PositiveInt = 10
    # One-time codes
    otp_ttl_seconds: OtpTtl = 300  # at most an hour (the code text's budget)
    otp_max_attempts: PositiveInt = 5
    otp_resend_cooldown_seconds: PositiveInt = 60
    otp_sends_per_hour_per_user: PositiveInt = 5
    otp_sends_per_hour_per_phone: PositiveInt = 5
    otp_sends_per_hour_per_ip: PositiveInt = 20
    otp_sends_per_hour_global: PositiveInt = 1000
    otp_allowed_countries: Countries = None  # "*" (empty tuple): every country; required in production
    otp_default_region: Region | None = None
    otp_lockout_threshold: PositiveInt = 10
    otp_lockout_base_seconds: PositiveInt = 60
    otp_lockout_max_seconds: PositiveInt = 3600
    phone_proof_ttl_seconds: PositiveInt = 600
    dev_outbox_size: PositiveInt = 50
    otp_allow_voip: bool = False
    # Second factors beyond SMS
    remember_device_days: PositiveInt = 30
    # Plivo's delivery reports and voice answers reach the app at APP_URL (below), the texts' `@host #code` line too
    plivo_callback_max_age_seconds: PositiveInt = 3600
    voice_calls_per_hour_per_user: PositiveInt = 3
    # Against SMS pumping: hourly caps per destination country, the block they trigger, who hears about it
    sms_country_caps_per_hour: CountryCaps = ()
    sms_country_cap_default_per_hour: PositiveInt = 100
    sms_country_block_seconds: PositiveInt = 3600
    operator_email: OperatorAddress | None = None  # required in production
    # Proof of work (ALTCHA) once the pressure on an IP, an account or a country crosses these (0 = never)
    pow_difficulty: PositiveInt = 20_000
    pow_after_sends_per_hour_per_user: NonNegativeInt = 3
    pow_after_sends_per_hour_per_ip: NonNegativeInt = 5
    pow_after_country_cap_percent: Percent = 50
    pow_after_login_failures_per_account: NonNegativeInt = 5
    pow_after_login_failures_per_ip: NonNegativeInt = 10
    extra_pages: ModuleNames = ()  # developers' modules imported at startup: pages added with @protected
    # Where `reflex run` listens (the backend, and the development frontend)
    listen_host: Host = "127.0.0.1"
    port: PositiveInt | None = None  # `make run PORT=3001`: the frontend's port (development's APP_URL follows)
    backend_port: PositiveInt | None = None  # `make run BACKEND_PORT=8001`: the backend's (Reflex's own 8000)
    # Passkeys (WebAuthn): the relying party's id and the origin the browser shows (required in production)
    webauthn_rp_id: RpId | None = None
    webauthn_origin: Origin | None = None
    # Links in mails and texts, Plivo's callbacks; its host binds texted codes to the site
    app_url: AppUrl | None = None  # None: http://localhost:3000 (development only)
    # The session cookie's Domain (None: host-only, __Host- prefix); set it to share sign-in with sibling subdomains
    cookie_domain: RpId | None = None
    # Forward-auth (docs/forward-auth.md): `<policy> <hosts> [<paths>]` rules, `;` between; none: deny everything
    forward_auth_rules: AccessRules = ()
    # Email (SMTP)
    smtp_host: SmtpHost | None = None  # None: mail goes to the development outbox (development only)
    smtp_port: PositiveInt | None = None  # None: 587 for starttls, 465 for tls, 25 for none
    smtp_security: SmtpSecurity = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: Address | None = None
    smtp_timeout_seconds: float = Field(10.0, gt=0, allow_inf_nan=False)
    smtp_ca_file: DataDir | None = None  # None: the system's certificate authorities
    # Accounts by email
    email_verification_required: bool = True
    email_verification_ttl_seconds: PositiveInt = 24 * 3600
    unverified_account_ttl_hours: PositiveInt = 48  # a pending account goes this long after its last link
    password_reset_ttl_seconds: PositiveInt = 30 * 60
    signups_per_hour_per_address: PositiveInt = 3
    password_resets_per_hour_per_address: PositiveInt = 3
    password_resets_per_hour_per_ip: PositiveInt = 10
    # Security activity and notices
    activity_retention_days: PositiveInt = 90
    notice_max_attempts: PositiveInt = 6
    notice_retry_base_seconds: PositiveInt = 30
    admin_reset_wait_seconds: PositiveInt = 72 * 3600  # admin console (.env.example); >= 1 day in production
    admin_reset_sweep_seconds: PositiveInt = 60
    sms_price_table: PriceTable = (("*", 0.05),)
    voice_price_table: PriceTable = (("*", 0.1),)
    whatsapp_price_table: PriceTable = (("*", 0.02),)
    price_currency: Currency = "USD"  # the price tables' currency, named with the console's spend

    @property
    def is_production(self) -> bool:
        """True when APP_ENV is production."""
        return self.app_env == PRODUCTION

    @property
    def workers(self) -> int:
        """Web worker processes: WEB_WORKERS, else 1 without REFLEX_REDIS_URL (tab states in memory cannot
        be shared) and one per core with it (argon2 and the event loops of two workers fill two cores)."""
        if self.web_workers:
            return self.web_workers
        return max(1, os.cpu_count() or 1) if self.reflex_redis_url else 1

    @property
    def plivo_configured(self) -> bool:
        """True when real Plivo credentials are present."""
        return bool(self.plivo_auth_id and self.plivo_auth_token and self.plivo_phone_number)

    @property
    def whatsapp_configured(self) -> bool:
        """True when codes can go out as Plivo WhatsApp templates."""
        return bool(self.plivo_configured and self.whatsapp_sender and self.whatsapp_template_name)

    @property
    def smtp_configured(self) -> bool:
        """True when mail goes to an SMTP server."""
        return bool(self.smtp_host)

    @property
    def base_url(self) -> str:
        """Where links in mails and texts point: APP_URL, or http://localhost:<PORT or 3000> in development."""
        return self.app_url or self._local_origin

    @property
    def smtp_port_or_default(self) -> int:
        """SMTP_PORT, or the usual port of SMTP_SECURITY."""
        return self.smtp_port or SMTP_DEFAULT_PORTS[self.smtp_security]

    @property
    def site_host(self) -> str:
        """The host of the `@host #123456` line that binds a texted code to this site (APP_URL's, no port)."""
        return host_of(self.base_url)

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
            data = {
                "trusted_proxy_hops": 0,
                "otp_allowed_countries": ALL_COUNTRIES,
                "phone_line_types": "mobile",
                "phone_lookup_on_error": "allow",
                **data,
            }
        return data

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, url: str, info: ValidationInfo) -> str:
        if not url and "data_dir" in info.data:
            return f"sqlite:///{info.data['data_dir'] / 'sms2fa.db'}"
        if url and "://" not in url:
            raise ValueError(f"must be a URL such as sqlite:///data/sms2fa.db, got {url!r}")
        return url

    @field_validator("secret_key", "metrics_token")
    @classmethod
    def _secret(cls, secret: str | None, info: ValidationInfo) -> str | None:
        if "app_env" not in info.data or "data_dir" not in info.data:
            return secret  # an earlier setting is malformed, and that is what gets reported
        key = info.data.get("secret_key") if info.field_name == "metrics_token" else None  # METRICS_TOKEN must differ
        return checked_secret(secret, info.data["app_env"] == PRODUCTION, info.data["data_dir"], secret_key=key)

    @model_validator(mode="after")
    def _production_safe(self) -> Settings:
        """Production refuses settings that would be unsafe if left at a development default or sample value."""
        if self.is_production:
            for field, advice in PRODUCTION_REQUIRED.items():
                if getattr(self, field) is None:
                    raise ValueError(f"{field.upper()} is required when APP_ENV=production: {advice}")
            for name, url in (("PLIVO_API_URL", self.plivo_api_url), ("PLIVO_LOOKUP_URL", self.plivo_lookup_url)):
                parts = urlsplit(url)
                if parts.scheme != "https" and not is_loopback_host(parts.hostname):
                    raise ValueError(
                        f"{name} must use https:// when APP_ENV=production (plain http only to this machine, "
                        f"such as 127.0.0.1), got {url!r}"
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
    def _workers_share_state(self) -> Settings:
        """Several workers serve one tab's events only if its state is in Redis."""
        if self.web_workers > 1 and not self.reflex_redis_url:
            raise ValueError("WEB_WORKERS above 1 needs REFLEX_REDIS_URL (the workers must share the tabs' state)")
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
        whatsapp = {"WHATSAPP_SENDER": self.whatsapp_sender, "WHATSAPP_TEMPLATE_NAME": self.whatsapp_template_name}
        missing = [name for name, value in whatsapp.items() if not value]
        if len(missing) == 1:  # half a WhatsApp setup would offer a channel that cannot send
            raise ValueError(f"{missing[0]} is required when WhatsApp is partly configured")
        if self.whatsapp_fallback_seconds >= self.otp_ttl_seconds:  # the text instead would carry a dead code
            raise ValueError(f"WHATSAPP_FALLBACK_SECONDS must be below OTP_TTL_SECONDS ({self.otp_ttl_seconds})")
        return self

    @model_validator(mode="after")
    def _webauthn_origin_fits(self) -> Settings:
        """Production names both; the origin's host is the RP id or a subdomain of it; https, except localhost."""
        if self.is_production:
            for name, value in (("WEBAUTHN_RP_ID", self.webauthn_rp_id), ("WEBAUTHN_ORIGIN", self.webauthn_origin)):
                if not value:
                    raise ValueError(f"{name} is required when APP_ENV=production")
        host = urlsplit(self.passkey_origin).hostname or ""
        if host != self.passkey_rp_id and not host.endswith(f".{self.passkey_rp_id}"):
            raise ValueError(
                f"WEBAUTHN_ORIGIN must be on WEBAUTHN_RP_ID ({self.passkey_rp_id}) or a subdomain of it, "
                f"got {self.passkey_origin!r}"
            )
        if self.is_production and not self.passkey_origin.startswith("https://") and host != "localhost":
            raise ValueError(
                "WEBAUTHN_ORIGIN must start with https:// when APP_ENV=production (http is allowed for localhost only)"
            )
        return self

    @model_validator(mode="after")
    def _cookie_domain_covers_app(self) -> Settings:
        """A cookie for another domain would never come back to the app: APP_URL's host must be under it."""
        host = host_of(self.base_url)
        if self.cookie_domain and host != self.cookie_domain and not host.endswith(f".{self.cookie_domain}"):
            raise ValueError(f"COOKIE_DOMAIN must be APP_URL's host ({host}) or a parent, got {self.cookie_domain!r}")
        return self

    @property
    def passkey_rp_id(self) -> str:
        """The relying-party id passkeys are bound to (development default: localhost)."""
        return self.webauthn_rp_id or DEFAULT_WEBAUTHN_RP_ID

    @property
    def passkey_origin(self) -> str:
        """The origin passkey ceremonies must come from (development default: http://localhost:<PORT or 3000>)."""
        return self.webauthn_origin or self._local_origin

    @property
    def _local_origin(self) -> str:
        """The development app as the browser opens it: localhost on PORT (3000 unless told)."""
        return DEVELOPMENT_APP_URL if self.port is None else f"http://localhost:{self.port}"

    @model_validator(mode="after")
    def _smtp_complete(self) -> Settings:
        """Production needs an SMTP server and a sender; plain SMTP only to a relay on this machine."""
        if self.is_production and not self.smtp_host:
            raise ValueError("SMTP_HOST is required when APP_ENV=production")
        if self.smtp_host and not self.smtp_from:
            raise ValueError("SMTP_FROM is required when SMTP_HOST is set")
        if bool(self.smtp_username) != bool(self.smtp_password):
            missing = "SMTP_PASSWORD" if self.smtp_username else "SMTP_USERNAME"
            raise ValueError(f"{missing} is required when the other SMTP credential is set")
        plain = self.smtp_security == "none" and not is_loopback_host(self.smtp_host)
        if self.is_production and plain:
            raise ValueError("SMTP_SECURITY=none is allowed in production only for a relay on localhost")
        return self

    @model_validator(mode="after")
    def _app_url_safe(self) -> Settings:
        """Production needs APP_URL (mail links, Plivo callbacks), over https unless only reached on this machine."""
        if not self.is_production:
            return self
        if not self.app_url:
            raise ValueError("APP_URL is required when APP_ENV=production")
        if self.app_url.startswith("http://") and not is_loopback_host(host_of(self.app_url)):
            raise ValueError("APP_URL must start with https:// when APP_ENV=production")
        return self

    @model_validator(mode="after")
    def _operator_reachable(self) -> Settings:
        """Production names who reads the caps' alert mails, and a 2FA reset waits at least a day there."""
        if self.is_production and not self.operator_email:
            raise ValueError(
                "OPERATOR_EMAIL is required when APP_ENV=production (country caps alert the operator by mail)"
            )
        if self.is_production and self.admin_reset_wait_seconds < 86400:  # no switch lifts it (tests move the row)
            raise ValueError("ADMIN_RESET_WAIT_SECONDS must be at least 86400 (a day) when APP_ENV=production")
        return self


class _MappingEnvSource(EnvSettingsSource):
    """The environment-variable source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._environ.items()}


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Build Settings from a mapping (default: os.environ plus the project's `.env`); the mapping wins over `.env`."""
    if environ is None:
        environ = os.environ
        env_file = env_file or PROJECT_ROOT / ".env"
    sources = (_MappingEnvSource(Settings, environ), DotEnvSettingsSource(Settings, env_file=env_file))
    try:
        return Settings(_build_sources=(sources, {}))
    except ValidationError as error:
        raise ConfigError(config_error_line(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    return load_settings()


def apply_environment_defaults(defaults: Callable[[Mapping[str, str]], Mapping[str, str]]) -> None:
    """Set each variable `defaults(os.environ)` returns that the environment lacks (rxconfig: Reflex's own)."""
    for name, value in defaults(os.environ).items():
        os.environ.setdefault(name, value)
