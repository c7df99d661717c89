"""The composition root: one Services object built from Settings, shared by the Reflex states."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

import redis

from sms2fa_app.backend.admin.oidc_clients import OidcClientAdmin
from sms2fa_app.backend.admin.wiring import AdminServices, build_admin
from sms2fa_app.backend.audit.activity import Activity
from sms2fa_app.backend.audit.notifications import Notices
from sms2fa_app.backend.delivery.email import EmailGateway
from sms2fa_app.backend.delivery.inbound import PlivoInbound
from sms2fa_app.backend.delivery.letters import Site
from sms2fa_app.backend.delivery.mail_health import MailHealth
from sms2fa_app.backend.delivery.outbox import DevOutbox
from sms2fa_app.backend.delivery.sms import Gateway
from sms2fa_app.backend.delivery.status import DeliveryStatuses
from sms2fa_app.backend.delivery.voice import SpokenCodes
from sms2fa_app.backend.delivery.wiring import build_delivery, line_lookup
from sms2fa_app.backend.factors.devices import RememberedDevices
from sms2fa_app.backend.factors.grants import ReauthGrants
from sms2fa_app.backend.factors.line_checks import LineChecks, LinePolicy
from sms2fa_app.backend.factors.lockout import Lockout
from sms2fa_app.backend.factors.passkey_challenges import PasskeyChallenges
from sms2fa_app.backend.factors.passkey_sign_in import PasskeySignIns
from sms2fa_app.backend.factors.passkeys import Passkeys, RelyingParty
from sms2fa_app.backend.factors.recovery import RecoveryCodes
from sms2fa_app.backend.factors.second_factors import SecondFactors
from sms2fa_app.backend.factors.sms_codes import OtpService
from sms2fa_app.backend.factors.totp import AuthenticatorApps
from sms2fa_app.backend.flows.account_security import AccountDeletion
from sms2fa_app.backend.flows.dev_limits import DevLimits
from sms2fa_app.backend.flows.factor_changes import FactorChanges
from sms2fa_app.backend.flows.password_reset import PasswordResets, ResetPolicy
from sms2fa_app.backend.flows.sign_in import SignIn
from sms2fa_app.backend.housekeeping import Housekeeping
from sms2fa_app.backend.identity.accounts import Accounts, LoginThrottlePolicy
from sms2fa_app.backend.identity.cookie_tickets import CookieTickets
from sms2fa_app.backend.identity.email_links import EmailLinks
from sms2fa_app.backend.identity.languages import Languages
from sms2fa_app.backend.identity.link_tokens import LinkTokens
from sms2fa_app.backend.identity.passwords import PasswordHasher
from sms2fa_app.backend.identity.session_cookie import cookie_policy
from sms2fa_app.backend.identity.sessions import SessionPolicy, SessionStore
from sms2fa_app.backend.identity.verification import EmailVerification
from sms2fa_app.backend.infra.alerts import OperatorAlerts, OperatorMailer
from sms2fa_app.backend.infra.clock import Clock, SystemClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.jobs import JobQueue
from sms2fa_app.backend.infra.limits import WindowLimiter
from sms2fa_app.backend.infra.logging_setup import configure_logging
from sms2fa_app.backend.infra.outbox import Outbox
from sms2fa_app.backend.infra.pow import ProofOfWork
from sms2fa_app.backend.infra.redis_store import connect
from sms2fa_app.backend.oidc.provider import OpenIdProvider
from sms2fa_app.backend.oidc.wiring import build_oidc
from sms2fa_app.backend.protect.facts import FactsCache
from sms2fa_app.backend.protect.rules import AccessRules
from sms2fa_app.backend.protect.targets import ReturnTargets, return_targets
from sms2fa_app.backend.protect.verifier import Verifier
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
    passkeys: Passkeys
    passkey_sign_in: PasskeySignIns
    second_factors: SecondFactors
    sign_in: SignIn  # the sign-in use cases (flows/sign_in.py)
    jobs: JobQueue
    notice_outbox: Outbox
    activity: Activity
    notices: Notices
    mailer: EmailGateway
    verification: EmailVerification
    password_resets: PasswordResets
    deletion: AccountDeletion
    pow: ProofOfWork
    deliveries: DeliveryStatuses
    spoken: SpokenCodes
    alerts: OperatorAlerts
    admin: AdminServices
    housekeeping: Housekeeping  # the periodic purge of expired sessions, links and devices
    cookie_tickets: CookieTickets  # the websocket's new credentials on their way to the browser's cookies
    forward_auth: Verifier  # other apps' requests behind a proxy (backend/protect/)
    return_targets: ReturnTargets  # where the login may send a browser back to (`rd`): the rule forward_auth uses
    languages: Languages  # users' choices of language (the picker saves here; texts and calls read it)
    mail_health: MailHealth  # whether mail to an address runs late (the signed-in settings say it of their own)
    oidc: OpenIdProvider  # sms2fa as an OpenID provider for other apps (backend/oidc/)
    inbound: PlivoInbound | None = None  # Plivo's requests to the app (None without Plivo)
    outbox: DevOutbox | None = None  # the development gateway, when texts or mails are not really sent
    dev_limits: DevLimits | None = None  # development only: /dev/outbox's "Clear limits for this machine"


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    redis_client: redis.Redis | None = None,
    database: Database | None = None,
    hasher: PasswordHasher | None = None,
    gateway: Gateway | None = None,
    mailer: EmailGateway | None = None,
    operator_mailer: OperatorMailer | None = None,
) -> Services:
    """Wire the backend from settings; tests pass their own clock, Redis, database, hasher, text and call
    gateway, mailer, or the operator's alert mailer (default: the notices' mail queue)."""
    clock = clock or SystemClock()
    database = database or Database(make_engine(settings.database_url))
    redis_client = redis_client or connect(settings.redis_url, settings.data_dir)
    hasher = hasher or PasswordHasher()
    channels = build_delivery(settings, redis_client, clock, gateway=gateway, mailer=mailer)
    gateway, mailer, spoken, callbacks = channels.gateway, channels.mailer, channels.spoken, channels.callbacks
    jobs = JobQueue(
        redis_client,
        clock,
        settings.secret_key,
        max_attempts=settings.notice_max_attempts,
        base_backoff_seconds=settings.notice_retry_base_seconds,
    )
    notice_outbox = Outbox(database, jobs, clock)  # relayed by the worker before each drain
    mail_health = MailHealth(redis_client, settings.secret_key)
    site = Site(settings.app_name, settings.base_url)
    notices = Notices(jobs, notice_outbox, mailer, gateway, site, database, mail_health)
    activity = Activity(database, clock, notices, settings.activity_retention_days)
    jobs.every(3600, activity.purge)
    verify_cache = FactsCache(redis_client)
    sessions = SessionStore(
        database,
        clock,
        SessionPolicy(
            settings.session_idle_seconds,
            settings.session_absolute_seconds,
            settings.pending_2fa_seconds,
            settings.max_sessions_per_user,
        ),
        activity,
        ends=verify_cache,  # every session that ends leaves forward-auth's cache at once
    )
    limiter = WindowLimiter(redis_client, clock)
    tokens = LinkTokens(database, clock)
    links = EmailLinks(database, clock, tokens, jobs, notices, activity, limiter, settings.secret_key)
    verification = EmailVerification(
        links,
        ttl_seconds=settings.email_verification_ttl_seconds,
        mails_per_hour_per_address=settings.signups_per_hour_per_address,
        pending_ttl_seconds=settings.unverified_account_ttl_hours * 3600,
        required=settings.email_verification_required,
    )
    housekeeping = Housekeeping(database, redis_client, clock, sessions, verification.purge_expired_unverified)
    jobs.every(Housekeeping.CHECK_SECONDS, housekeeping.run)
    pow = ProofOfWork(settings.secret_key, clock, settings.pow_difficulty)
    accounts = Accounts(
        database,
        hasher,
        sessions,
        limiter,
        LoginThrottlePolicy(
            settings.login_window_seconds,
            settings.login_max_failures_per_account,
            settings.login_max_failures_per_ip,
            settings.signups_per_hour_per_ip,
            settings.signups_per_hour_per_address,
            settings.pow_after_login_failures_per_account,
            settings.pow_after_login_failures_per_ip,
        ),
        settings.secret_key,
        verification if settings.email_verification_required else None,
        pow,
    )
    deliveries = DeliveryStatuses(redis_client, clock, settings.plivo_callback_max_age_seconds)
    alerts = OperatorAlerts(settings.app_name, settings.operator_email, operator_mailer or notices.mail_operator)
    otp = OtpService(redis_client, gateway, clock, settings, deliveries=deliveries, alerts=alerts, pow=pow)
    languages = Languages(database)
    lockout = otp.lockout  # one lockout for every factor
    lockout.on_failure = activity.failed_guess
    recovery = RecoveryCodes(database, lockout, clock, settings.secret_key, activity)
    totp = AuthenticatorApps(database, lockout, clock, settings.secret_key, settings.app_name)
    challenges = PasskeyChallenges(redis_client, clock)
    relying_party = RelyingParty(settings.passkey_rp_id, settings.passkey_origin, settings.app_name)
    passkeys = Passkeys(database, challenges, lockout, clock, relying_party)
    grants = ReauthGrants(redis_client, clock)
    second_factors = SecondFactors(database, otp, totp, recovery, passkeys)
    devices = RememberedDevices(database, clock, remember_days=settings.remember_device_days, activity=activity)
    passkey_sign_in = PasskeySignIns(database, passkeys, challenges, lockout, accounts, sessions)
    lines = LineChecks(
        redis_client, line_lookup(settings), clock, otp, LinePolicy.from_settings(settings),
        settings.secret_key, pow,
    )  # fmt: skip
    factor_changes = FactorChanges(database, accounts, sessions, grants, second_factors, activity, hasher, lines)
    password_resets = PasswordResets(
        links,
        hasher,
        sessions,
        second_factors,
        policy=ResetPolicy(
            settings.password_reset_ttl_seconds,
            settings.password_resets_per_hour_per_address,
            settings.password_resets_per_hour_per_ip,
        ),
    )
    oidc = build_oidc(settings, clock, database, redis_client, sessions, activity=activity)
    rules = AccessRules(settings.forward_auth_rules)
    targets = return_targets(settings, rules)  # one instance: forward-auth's login URLs and the login's `rd` check
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
        devices=devices,
        passkeys=passkeys,
        passkey_sign_in=passkey_sign_in,
        second_factors=second_factors,
        sign_in=SignIn(sessions, devices, second_factors, accounts, passkey_sign_in),
        jobs=jobs,
        notice_outbox=notice_outbox,
        activity=activity,
        notices=notices,
        mailer=mailer,
        verification=verification,
        password_resets=password_resets,
        deletion=AccountDeletion(database, sessions, grants, activity, lockout),
        pow=pow,
        deliveries=deliveries,
        spoken=spoken,
        alerts=alerts,
        admin=build_admin(
            settings,
            clock,
            database,
            jobs=jobs,
            notices=notices,
            activity=activity,
            sessions=sessions,
            factors=second_factors,
            deliveries=deliveries,
            redis_client=redis_client,
            apps=OidcClientAdmin(database, clock, oidc.server.clients, oidc.server.keys),
        ),
        housekeeping=housekeeping,
        cookie_tickets=CookieTickets(settings.secret_key, redis_client, clock),
        forward_auth=Verifier(sessions, verify_cache, rules, targets, cookie_policy(settings), clock),
        return_targets=targets,
        languages=languages,
        mail_health=mail_health,
        oidc=oidc,
        inbound=None if callbacks is None else PlivoInbound(callbacks, deliveries, spoken, settings.app_name),
        outbox=channels.outbox,
        dev_limits=None if settings.is_production else DevLimits(redis_client, lockout),
    )


_lock = threading.Lock()
_services: Services | None = None


def get_services() -> Services:
    """The process-wide Services, built on first use."""
    global _services
    with _lock:
        if _services is None:
            configure_logging()
            _services = build_services(get_settings())
            _services.jobs.start()  # this process's worker: relays the outbox, sends mails and texts, runs sign-ups
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
