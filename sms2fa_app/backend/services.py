"""The composition root: one Services object built from Settings, shared by the Reflex states."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

import redis

from sms2fa_app.backend.delivery.callbacks import PlivoCallbacks
from sms2fa_app.backend.delivery.inbound import PlivoInbound
from sms2fa_app.backend.delivery.sms import DevOutbox, Gateway, PlivoGateway
from sms2fa_app.backend.delivery.status import DeliveryStatuses
from sms2fa_app.backend.delivery.voice import SpokenCodes
from sms2fa_app.backend.factors.changes import FactorChanges
from sms2fa_app.backend.factors.devices import RememberedDevices
from sms2fa_app.backend.factors.grants import ReauthGrants
from sms2fa_app.backend.factors.lockout import Lockout
from sms2fa_app.backend.factors.recovery import RecoveryCodes
from sms2fa_app.backend.factors.sms_codes import OtpService
from sms2fa_app.backend.factors.totp import AuthenticatorApps
from sms2fa_app.backend.identity.accounts import Accounts, LoginThrottlePolicy
from sms2fa_app.backend.identity.passwords import PasswordHasher
from sms2fa_app.backend.identity.sessions import SessionPolicy, SessionStore
from sms2fa_app.backend.infra.alerts import OperatorAlerts, OperatorMailer
from sms2fa_app.backend.infra.clock import Clock, SystemClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.limits import WindowLimiter
from sms2fa_app.backend.infra.logging_setup import configure_logging
from sms2fa_app.backend.infra.pow import ProofOfWork
from sms2fa_app.backend.infra.redis_store import connect
from sms2fa_app.config import Settings, get_settings

log = logging.getLogger("sms2fa.services")


@dataclass
class Services:
    """Everything a request handler needs from the backend."""

    settings: Settings
    clock: Clock
    database: Database
    redis: redis.Redis
    sessions: SessionStore
    accounts: Accounts
    otp: OtpService
    gateway: Gateway
    lockout: Lockout
    factor_changes: FactorChanges
    recovery: RecoveryCodes
    totp: AuthenticatorApps
    devices: RememberedDevices
    pow: ProofOfWork
    deliveries: DeliveryStatuses
    spoken: SpokenCodes
    alerts: OperatorAlerts
    inbound: PlivoInbound | None = None  # Plivo's requests to the app (None without Plivo)
    outbox: DevOutbox | None = None  # the development gateway, when texts are not really sent


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    redis_client: redis.Redis | None = None,
    database: Database | None = None,
    hasher: PasswordHasher | None = None,
    gateway: Gateway | None = None,
    operator_mailer: OperatorMailer | None = None,
) -> Services:
    """Wire the backend from settings; tests pass their own clock, Redis, database, hasher, SMS gateway or
    the operator's mailer (none yet: branch issue11 brings the email gateway)."""
    clock = clock or SystemClock()
    database = database or Database(make_engine(settings.database_url))
    redis_client = redis_client or connect(settings.redis_url, settings.data_dir)
    sessions = SessionStore(
        database,
        clock,
        SessionPolicy(settings.session_idle_seconds, settings.session_absolute_seconds, settings.pending_2fa_seconds),
    )
    limiter = WindowLimiter(redis_client, clock)
    pow = ProofOfWork(settings.secret_key, clock, settings.pow_difficulty)
    accounts = Accounts(
        database,
        hasher or PasswordHasher(),
        sessions,
        limiter,
        LoginThrottlePolicy(
            settings.login_window_seconds,
            settings.login_max_failures_per_account,
            settings.login_max_failures_per_ip,
            settings.signups_per_hour_per_ip,
            settings.pow_after_login_failures_per_account,
            settings.pow_after_login_failures_per_ip,
        ),
        settings.secret_key,
        pow,
    )
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
    if gateway is None:
        gateway, outbox = _default_gateway(settings, redis_client, clock, callbacks, spoken)
    else:
        outbox = gateway if isinstance(gateway, DevOutbox) else None
    deliveries = DeliveryStatuses(redis_client, clock, settings.plivo_callback_max_age_seconds)
    alerts = OperatorAlerts(settings.app_name, settings.operator_email, operator_mailer)
    otp = OtpService(redis_client, gateway, clock, settings, deliveries=deliveries, alerts=alerts, pow=pow)
    lockout = otp.lockout  # one lockout for every factor
    recovery = RecoveryCodes(database, lockout, clock, settings.secret_key)
    totp = AuthenticatorApps(database, lockout, clock, settings.secret_key, settings.app_name)
    factor_changes = FactorChanges(
        database, accounts, sessions, ReauthGrants(redis_client, clock), (otp, totp, recovery)
    )
    return Services(
        settings,
        clock,
        database,
        redis_client,
        sessions,
        accounts,
        otp=otp,
        gateway=gateway,
        lockout=lockout,
        factor_changes=factor_changes,
        recovery=recovery,
        totp=totp,
        devices=RememberedDevices(database, clock, remember_days=settings.remember_device_days),
        pow=pow,
        deliveries=deliveries,
        spoken=spoken,
        alerts=alerts,
        inbound=None if callbacks is None else PlivoInbound(callbacks, deliveries, spoken, settings.app_name),
        outbox=outbox,
    )


def _default_gateway(
    settings: Settings, client: redis.Redis, clock: Clock, callbacks: PlivoCallbacks | None, spoken: SpokenCodes
) -> tuple[Gateway, DevOutbox | None]:
    """Plivo when configured; otherwise the development outbox (config refuses production without Plivo)."""
    if settings.plivo_configured:
        plivo = PlivoGateway(
            settings.plivo_auth_id or "",
            settings.plivo_auth_token or "",
            settings.plivo_phone_number or "",
            settings.plivo_api_url,
            settings.plivo_timeout_seconds,
            callbacks=callbacks,
            spoken=spoken,
        )
        return plivo, None
    if settings.is_production:  # unreachable with validated settings; never fall back to the outbox here
        raise RuntimeError("production needs Plivo credentials")
    outbox = DevOutbox(client, settings.dev_outbox_size, clock, settings.app_name)
    log.warning("Plivo is not configured: texts go to the development outbox")
    return outbox, outbox


_lock = threading.Lock()
_services: Services | None = None


def get_services() -> Services:
    """The process-wide Services, built on first use."""
    global _services
    with _lock:
        if _services is None:
            configure_logging()
            _services = build_services(get_settings())
        return _services


def start_worker() -> None:
    """At each backend worker's start: one log line (the development-mode test counts restarts by it), then
    connect to the database and Redis (starting the embedded one), so a problem shows now, not at the first
    click."""
    configure_logging()
    log_event(log, logging.INFO, "backend_worker_started", pid=os.getpid())
    try:
        get_services()
    except Exception as error:  # requests fail closed later; the log says why now, in one line
        log_event(log, logging.ERROR, "backend_services_unavailable", error=str(error))


def set_services(services: Services | None) -> None:
    """Replace the process-wide Services (tests)."""
    global _services
    with _lock:
        _services = services
