"""Reflex configuration; reads sms2fa_app.config, nothing else."""

import sys

import reflex as rx

from sms2fa_app.config import ConfigError, get_settings

try:
    _settings = get_settings()
except ConfigError as error:
    print(f"sms2fa: configuration error: {error}", file=sys.stderr)
    raise SystemExit(2) from None

config = rx.Config(
    app_name="sms2fa_app",
    db_url=_settings.database_url,
    telemetry_enabled=False,
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="large"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
