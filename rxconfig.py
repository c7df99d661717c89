"""Reflex configuration from sms2fa_app.config; sms2fa_app.dev_server says what development mode watches and
where its servers listen."""

import os
import sys
from pathlib import Path

import reflex as rx

from sms2fa_app.backend.preflight import PreflightError, prepare_directories
from sms2fa_app.config import ConfigError, apply_environment_defaults, get_settings
from sms2fa_app.dev_server import ListenHostPlugin, cli_environment, hot_reload_environment

PROJECT_DIR = Path(__file__).absolute().parent

apply_environment_defaults(lambda _environ: cli_environment(sys.argv))  # `reflex run --env prod` is production

try:
    _settings = get_settings()
    prepare_directories(_settings)  # data/ and a SQLite file's directory, for every `reflex` command
except ConfigError as error:
    print(f"sms2fa: configuration error: {error}", file=sys.stderr)
    raise SystemExit(2) from None
except PreflightError as error:
    print(f"sms2fa: {error}", file=sys.stderr)
    raise SystemExit(2) from None

# `reflex run` reloads the backend when a watched file changes: watch the code, never data/ (see README).
apply_environment_defaults(lambda environ: hot_reload_environment(PROJECT_DIR, environ))

# Reflex starts `GRANIAN_WORKERS` backend workers (its own default, 2 x cores + 1 with Redis, suits no box here).
os.environ.setdefault("GRANIAN_WORKERS", str(_settings.workers))
if _settings.reflex_redis_url:
    # A tab's events all reach the worker that holds its websocket: that worker keeps the tab's Redis lock and
    # its state in memory while the tab is busy (Reflex's opportunistic lock) instead of a lock, a load and a
    # save in Redis for every event; another worker that needs the state asks for the lock and gets it.
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")

config = rx.Config(
    app_name="sms2fa_app",
    db_url=_settings.database_url,
    # Reflex state never goes to disk: in memory for one worker (no pickling, no disk scans), in Redis
    # (REFLEX_REDIS_URL) for several. It holds no secret (state/session.py) and lives as long as a login session
    # may stay idle, not Reflex's hour.
    state_manager_mode=rx.constants.StateManagerMode.REDIS
    if _settings.reflex_redis_url
    else rx.constants.StateManagerMode.MEMORY,
    redis_url=_settings.reflex_redis_url,
    redis_token_expiration=_settings.session_idle_seconds,
    backend_host=_settings.listen_host,  # LISTEN_HOST; `reflex run --backend-host` still wins
    # PORT and BACKEND_PORT (`make run PORT=3001 BACKEND_PORT=8001`); development's APP_URL follows PORT
    **({"frontend_port": _settings.port} if _settings.port else {}),
    **({"backend_port": _settings.backend_port} if _settings.backend_port else {}),
    telemetry_enabled=False,
    trusted_proxy_hops=_settings.trusted_proxy_hops or 0,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="large")),
        ListenHostPlugin(host=_settings.listen_host),  # the Vite dev server, which Reflex starts with --host
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
