"""Build the ways the app reaches people from settings (services.py, the composition root, calls this).

Plivo when configured (texts with signed delivery reports, calls, WhatsApp templates, Lookup), SMTP when
configured; a channel with neither a provider nor a gateway a test passed falls back to the development outbox,
which validated production settings never reach.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis

from sms2fa_app.backend.delivery.callbacks import PlivoCallbacks
from sms2fa_app.backend.delivery.email import EmailGateway, SmtpGateway
from sms2fa_app.backend.delivery.lookup import LineLookup, OfflineLookup, PlivoLookup
from sms2fa_app.backend.delivery.outbox import DevOutbox
from sms2fa_app.backend.delivery.sms import Gateway, PlivoGateway
from sms2fa_app.backend.delivery.voice import SpokenCodes
from sms2fa_app.backend.delivery.whatsapp import WhatsAppTemplate
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.config import Settings

log = logging.getLogger("sms2fa.services")  # the composition root's logger: its warnings read as before the move


@dataclass(frozen=True)
class DeliveryChannels:
    """The text, call and WhatsApp gateway, the mailer, and what Plivo's requests back to the app need."""

    gateway: Gateway
    mailer: EmailGateway
    spoken: SpokenCodes  # the codes calls read out, fetched by Plivo's answer request
    callbacks: PlivoCallbacks | None  # Plivo's signed requests to the app (None without Plivo)
    outbox: DevOutbox | None  # the development gateway, when texts or mails are not really sent


def build_delivery(
    settings: Settings,
    redis_client: redis.Redis,
    clock: Clock,
    *,
    gateway: Gateway | None = None,
    mailer: EmailGateway | None = None,
) -> DeliveryChannels:
    """The channels from settings; a gateway or mailer a test passes is used as given."""
    callbacks = None
    if settings.plivo_configured:
        callbacks = PlivoCallbacks(
            redis_client,
            clock,
            settings.plivo_auth_token or "",
            settings.base_url,
            settings.plivo_callback_max_age_seconds,
        )
    spoken = SpokenCodes(redis_client, settings.secret_key)
    outbox = _outbox_for(gateway, mailer, settings, redis_client, clock)
    gateway = gateway or _sms_gateway(settings, outbox, callbacks, spoken)
    mailer = mailer or _mailer(settings, outbox, clock)
    return DeliveryChannels(gateway, mailer, spoken, callbacks, outbox)


def line_lookup(settings: Settings) -> LineLookup:
    """Plivo Lookup with a Plivo account; development's offline stand-in (libphonenumber's type) without one."""
    if settings.plivo_configured:
        return PlivoLookup(
            settings.plivo_auth_id or "",
            settings.plivo_auth_token or "",
            settings.plivo_lookup_url,
            settings.plivo_timeout_seconds,
        )
    return OfflineLookup()


def _outbox_for(
    gateway: Gateway | None, mailer: EmailGateway | None, settings: Settings, client: redis.Redis, clock: Clock
) -> DevOutbox | None:
    """The development outbox, when a channel has neither a given gateway nor a configured provider."""
    for given in (gateway, mailer):
        if isinstance(given, DevOutbox):
            return given
    needs_sms = gateway is None and not settings.plivo_configured
    needs_mail = mailer is None and not settings.smtp_configured
    if not (needs_sms or needs_mail):
        return None
    if settings.is_production:  # unreachable with validated settings; never fall back to the outbox here
        raise RuntimeError("production needs Plivo credentials and an SMTP server")
    return DevOutbox(client, settings.dev_outbox_size, clock, settings.app_name)


def _sms_gateway(
    settings: Settings, outbox: DevOutbox | None, callbacks: PlivoCallbacks | None, spoken: SpokenCodes
) -> Gateway:
    """Plivo (texts with delivery reports, calls) when configured; otherwise the development outbox (config
    refuses production without Plivo)."""
    if settings.plivo_configured:
        return PlivoGateway(
            settings.plivo_auth_id or "",
            settings.plivo_auth_token or "",
            settings.plivo_phone_number or "",
            settings.plivo_api_url,
            settings.plivo_timeout_seconds,
            callbacks=callbacks,
            spoken=spoken,
            whatsapp=_whatsapp_template(settings),
            whatsapp_sender=settings.whatsapp_sender or "",
        )
    assert outbox is not None
    log.warning("Plivo is not configured: texts go to the development outbox")
    return outbox


def _whatsapp_template(settings: Settings) -> WhatsAppTemplate | None:
    """The approved WhatsApp authentication template, when WhatsApp is configured."""
    if not settings.whatsapp_configured:
        return None
    return WhatsAppTemplate(settings.whatsapp_template_name or "", settings.whatsapp_template_languages)


def _mailer(settings: Settings, outbox: DevOutbox | None, clock: Clock) -> EmailGateway:
    """SMTP when configured; otherwise the development outbox (config refuses production without SMTP)."""
    if settings.smtp_configured:
        return SmtpGateway(
            settings.smtp_host or "",
            settings.smtp_port_or_default,
            settings.smtp_from or "",
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
            ca_file=settings.smtp_ca_file,
            clock=clock,
        )
    assert outbox is not None
    log.warning("SMTP is not configured: mail goes to the development outbox")
    return outbox
