"""The rules that tie several settings together (config.py's Settings runs them once every field is valid).

Each check is a plain function of the settings that raises ValueError naming the variable: raised inside the
Settings validator, pydantic reports it and load_settings turns it into the one-line ConfigError. They run in
CHECKS' order, so when several settings are wrong the first rule broken is the line the operator reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

from sms2fa_app.config_fields import host_of, is_loopback_host

# The settings development fills in and production must state, with what to state.
PRODUCTION_REQUIRED = {
    "trusted_proxy_hops": "the number of reverse proxies in front of the app that set X-Forwarded-For (0 = none)",
    "otp_allowed_countries": "the countries to text, such as US,CA (* = every country)",
    "phone_line_types": "the line types to text after Plivo Lookup, such as mobile (landlines are called)",
    "phone_lookup_on_error": "allow or deny a new number while Plivo Lookup is out",
}
MIN_PRODUCTION_RESET_WAIT_SECONDS = 86400  # a 2FA reset waits at least a day; no switch lifts it (tests move the row)


class CheckedSettings(Protocol):
    """What the checks read of config.Settings (typed here, as config.py imports this module, not the reverse)."""

    app_url: str | None
    base_url: str
    cookie_domain: str | None
    is_production: bool
    operator_email: str | None
    admin_reset_wait_seconds: int
    passkey_origin: str
    passkey_rp_id: str
    plivo_api_url: str
    plivo_lookup_url: str
    plivo_auth_id: str | None
    plivo_auth_token: str | None
    plivo_phone_number: str | None
    redis_url: str | None
    reflex_redis_url: str | None
    redis_allow_plaintext: bool
    smtp_host: str | None
    smtp_from: str | None
    smtp_username: str | None
    smtp_password: str | None
    smtp_security: str
    web_workers: int
    webauthn_rp_id: str | None
    webauthn_origin: str | None
    whatsapp_sender: str | None
    whatsapp_template_name: str | None
    whatsapp_fallback_seconds: int
    otp_ttl_seconds: int


def production_safe(settings: CheckedSettings) -> None:
    """Production refuses settings that would be unsafe if left at a development default or sample value."""
    if settings.is_production:
        for field, advice in PRODUCTION_REQUIRED.items():
            if getattr(settings, field) is None:
                raise ValueError(f"{field.upper()} is required when APP_ENV=production: {advice}")
        for name, url in (("PLIVO_API_URL", settings.plivo_api_url), ("PLIVO_LOOKUP_URL", settings.plivo_lookup_url)):
            parts = urlsplit(url)
            if parts.scheme != "https" and not is_loopback_host(parts.hostname):
                raise ValueError(
                    f"{name} must use https:// when APP_ENV=production (plain http only to this machine, "
                    f"such as 127.0.0.1), got {url!r}"
                )
    for name, url in (("REDIS_URL", settings.redis_url), ("REFLEX_REDIS_URL", settings.reflex_redis_url)):
        parts = urlsplit(url or "")
        if parts.scheme == "redis" and not is_loopback_host(parts.hostname) and not settings.redis_allow_plaintext:
            raise ValueError(
                f"{name} points at a Redis on another machine ({parts.hostname}) without TLS: use rediss:// or "
                "set REDIS_ALLOW_PLAINTEXT=true"
            )


def workers_share_state(settings: CheckedSettings) -> None:
    """Several workers serve one tab's events only if its state is in Redis."""
    if settings.web_workers > 1 and not settings.reflex_redis_url:
        raise ValueError("WEB_WORKERS above 1 needs REFLEX_REDIS_URL (the workers must share the tabs' state)")


def plivo_complete(settings: CheckedSettings) -> None:
    """All three Plivo settings or none; production needs all three. WhatsApp: both of its settings or neither."""
    given = {
        "PLIVO_AUTH_ID": settings.plivo_auth_id,
        "PLIVO_AUTH_TOKEN": settings.plivo_auth_token,
        "PLIVO_PHONE_NUMBER": settings.plivo_phone_number,
    }
    missing = [name for name, value in given.items() if not value]
    if missing and (len(missing) < len(given) or settings.is_production):
        raise ValueError(f"{missing[0]} is required when APP_ENV=production or Plivo is partly configured")
    whatsapp = {"WHATSAPP_SENDER": settings.whatsapp_sender, "WHATSAPP_TEMPLATE_NAME": settings.whatsapp_template_name}
    missing = [name for name, value in whatsapp.items() if not value]
    if len(missing) == 1:  # half a WhatsApp setup would offer a channel that cannot send
        raise ValueError(f"{missing[0]} is required when WhatsApp is partly configured")
    if settings.whatsapp_fallback_seconds >= settings.otp_ttl_seconds:  # the text instead would carry a dead code
        raise ValueError(f"WHATSAPP_FALLBACK_SECONDS must be below OTP_TTL_SECONDS ({settings.otp_ttl_seconds})")


def webauthn_origin_fits(settings: CheckedSettings) -> None:
    """Production names both; the origin's host is the RP id or a subdomain of it; https, except localhost."""
    if settings.is_production:
        for name, value in (("WEBAUTHN_RP_ID", settings.webauthn_rp_id), ("WEBAUTHN_ORIGIN", settings.webauthn_origin)):
            if not value:
                raise ValueError(f"{name} is required when APP_ENV=production")
    host = urlsplit(settings.passkey_origin).hostname or ""
    if host != settings.passkey_rp_id and not host.endswith(f".{settings.passkey_rp_id}"):
        raise ValueError(
            f"WEBAUTHN_ORIGIN must be on WEBAUTHN_RP_ID ({settings.passkey_rp_id}) or a subdomain of it, "
            f"got {settings.passkey_origin!r}"
        )
    if settings.is_production and not settings.passkey_origin.startswith("https://") and host != "localhost":
        raise ValueError(
            "WEBAUTHN_ORIGIN must start with https:// when APP_ENV=production (http is allowed for localhost only)"
        )


def cookie_domain_covers_app(settings: CheckedSettings) -> None:
    """A cookie for another domain would never come back to the app: APP_URL's host must be under it."""
    host = host_of(settings.base_url)
    domain = settings.cookie_domain
    if domain and host != domain and not host.endswith(f".{domain}"):
        raise ValueError(f"COOKIE_DOMAIN must be APP_URL's host ({host}) or a parent, got {domain!r}")


def smtp_complete(settings: CheckedSettings) -> None:
    """Production needs an SMTP server and a sender; plain SMTP only to a relay on this machine."""
    if settings.is_production and not settings.smtp_host:
        raise ValueError("SMTP_HOST is required when APP_ENV=production")
    if settings.smtp_host and not settings.smtp_from:
        raise ValueError("SMTP_FROM is required when SMTP_HOST is set")
    if bool(settings.smtp_username) != bool(settings.smtp_password):
        missing = "SMTP_PASSWORD" if settings.smtp_username else "SMTP_USERNAME"
        raise ValueError(f"{missing} is required when the other SMTP credential is set")
    plain = settings.smtp_security == "none" and not is_loopback_host(settings.smtp_host)
    if settings.is_production and plain:
        raise ValueError("SMTP_SECURITY=none is allowed in production only for a relay on localhost")


def app_url_safe(settings: CheckedSettings) -> None:
    """Production needs APP_URL (mail links, Plivo callbacks), over https unless only reached on this machine."""
    if not settings.is_production:
        return
    if not settings.app_url:
        raise ValueError("APP_URL is required when APP_ENV=production")
    if settings.app_url.startswith("http://") and not is_loopback_host(host_of(settings.app_url)):
        raise ValueError("APP_URL must start with https:// when APP_ENV=production")


def operator_reachable(settings: CheckedSettings) -> None:
    """Production names who reads the caps' alert mails, and a 2FA reset waits at least a day there."""
    if settings.is_production and not settings.operator_email:
        raise ValueError("OPERATOR_EMAIL is required when APP_ENV=production (country caps alert the operator by mail)")
    if settings.is_production and settings.admin_reset_wait_seconds < MIN_PRODUCTION_RESET_WAIT_SECONDS:
        raise ValueError("ADMIN_RESET_WAIT_SECONDS must be at least 86400 (a day) when APP_ENV=production")


# In the order the Settings validators ran before they moved here (the first broken rule is the one reported).
CHECKS: tuple[Callable[[CheckedSettings], None], ...] = (
    production_safe,
    workers_share_state,
    plivo_complete,
    webauthn_origin_fits,
    cookie_domain_covers_app,
    smtp_complete,
    app_url_safe,
    operator_reachable,
)


def check_consistency(settings: CheckedSettings) -> None:
    """Run every cross-field rule; the first one broken raises its ValueError."""
    for rule in CHECKS:
        rule(settings)
