"""The admin console's part of the composition root (services.py calls `build_admin` once)."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from sms2fa_app.backend.admin.console import AdminConsole
from sms2fa_app.backend.admin.oidc_clients import OidcClientAdmin
from sms2fa_app.backend.admin.ops_charts import OpsChartsReader
from sms2fa_app.backend.admin.ops_events import FLUSH_SECONDS, JOURNAL_KEY, OpsEvents
from sms2fa_app.backend.admin.resets import TwoFactorResets
from sms2fa_app.backend.audit.activity import Activity
from sms2fa_app.backend.audit.notifications import Notices
from sms2fa_app.backend.delivery.status import DeliveryStatuses
from sms2fa_app.backend.factors.second_factors import SecondFactors
from sms2fa_app.backend.identity.link_tokens import LinkTokens
from sms2fa_app.backend.identity.sessions import SessionStore
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.jobs import JobQueue
from sms2fa_app.config import Settings


@dataclass
class AdminServices:
    """The console's accounts and actions, the pending resets, the operations events and charts."""

    console: AdminConsole
    resets: TwoFactorResets
    ops_events: OpsEvents
    charts: OpsChartsReader
    apps: OidcClientAdmin  # the OpenID clients: list, disable, new secret (audited)


def build_admin(
    settings: Settings,
    clock: Clock,
    database: Database,
    *,
    jobs: JobQueue,
    notices: Notices,
    activity: Activity,
    sessions: SessionStore,
    factors: SecondFactors,
    deliveries: DeliveryStatuses,
    redis_client: redis.Redis,
    apps: OidcClientAdmin,
) -> AdminServices:
    """Wire the console; the send path and the delivery reports start writing operations events, and the job
    queue starts applying due resets."""
    resets = TwoFactorResets(
        database,
        clock,
        LinkTokens(database, clock),
        notices,
        activity,
        sessions,
        factors,
        settings.admin_reset_wait_seconds,
    )
    jobs.every(settings.admin_reset_sweep_seconds, resets.apply_due)
    ops_events = OpsEvents(database, clock, activity.retention_seconds, redis_client)
    jobs.every(3600, ops_events.purge)
    jobs.every(FLUSH_SECONDS, ops_events.flush)
    factors.otp.on_text = ops_events.text
    deliveries.journal_key = JOURNAL_KEY  # the delivery script notes each new state; no SQL per report
    console = AdminConsole(database, clock, sessions, factors.otp.lockout, factors, activity, resets)
    charts = OpsChartsReader(
        database,
        clock,
        settings.sms_price_table,
        settings.voice_price_table,
        before_read=ops_events.flush,
        whatsapp_prices=settings.whatsapp_price_table,
    )
    return AdminServices(console, resets, ops_events, charts, apps)
