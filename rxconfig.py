"""Reflex configuration; reads sms2fa_app.config, nothing else."""

import os
import sys

import reflex as rx

from sms2fa_app.config import ConfigError, get_settings

try:
    _settings = get_settings()
except ConfigError as error:
    print(f"sms2fa: configuration error: {error}", file=sys.stderr)
    raise SystemExit(2) from None

# Reflex starts `GRANIAN_WORKERS` backend workers (its own default, 2 x cores + 1 with Redis, suits no box here).
os.environ.setdefault("GRANIAN_WORKERS", str(_settings.workers))
if _settings.state_redis_url:
    # A tab's events all reach the worker that holds its websocket: that worker keeps the tab's Redis lock and
    # its state in memory while the tab is busy (Reflex's opportunistic lock) instead of a lock, a load and a
    # save in Redis for every event; another worker that needs the state asks for the lock and gets it.
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")

config = rx.Config(
    app_name="sms2fa_app",
    # One worker keeps each tab's state in memory (no pickling, no disk scans); several share it through Redis.
    state_manager_mode=rx.constants.StateManagerMode.REDIS
    if _settings.state_redis_url
    else rx.constants.StateManagerMode.MEMORY,
    redis_url=_settings.state_redis_url,
    db_url=_settings.database_url,
    telemetry_enabled=False,
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="large"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
