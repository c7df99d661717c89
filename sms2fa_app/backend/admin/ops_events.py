"""SMS operations as stored events: one SQL row per text or call asked for, written by the send path (sent, refused,
a country's cap reached) and moved on by the provider's delivery reports. The admin console's charts read these rows,
never the browser. A row holds no number, user or code: a channel, a country, an outcome, the provider's message id.

Writing an event never fails the send or the report it describes: a failure is one log line.
"""

from __future__ import annotations

import logging

from sqlmodel import col, delete, update

from sms2fa_app.backend.delivery.status import Channel, DeliveryState
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import SmsOpsEvent

log = logging.getLogger("sms2fa.ops_events")

SENT = "sent"
BLOCKED = "blocked"  # this send reached its country's cap: the country is blocked from now on


class OpsEvents:
    """Appends and updates the stored operations events (OtpService.on_text, DeliveryStatuses.on_report)."""

    def __init__(self, database: Database, clock: Clock, retention_seconds: int):
        self._db = database
        self._clock = clock
        self.retention_seconds = int(retention_seconds)

    def text(self, channel: Channel, country: str, outcome: str, message_id: str = "") -> None:
        """A text or call was asked for: `outcome` is "sent", "blocked" or the refusal's name."""
        event = SmsOpsEvent(
            at=self._clock.now(),
            channel=Channel(channel).value,
            country=(country or "")[:8],
            outcome=outcome[:32],
            message_id=message_id[:64],
            state=DeliveryState.QUEUED.value if outcome == SENT and message_id else "",
        )
        try:
            with self._db.session() as db:
                db.add(event)
        except Exception as error:  # the send stands; the chart misses one event
            log_event(log, logging.ERROR, "ops_event_not_recorded", outcome=outcome, error=type(error).__name__)

    def report(self, message_id: str, state: DeliveryState) -> None:
        """A delivery report moved a message's state (status.py keeps states moving forward only)."""
        try:
            with self._db.session() as db:
                db.exec(
                    update(SmsOpsEvent)
                    .where(col(SmsOpsEvent.message_id) == message_id, col(SmsOpsEvent.outcome) == SENT)
                    .values(state=DeliveryState(state).value)
                    .execution_options(synchronize_session=False)
                )
        except Exception as error:
            log_event(log, logging.ERROR, "ops_event_not_updated", state=str(state), error=type(error).__name__)

    def purge(self) -> int:
        """Delete the events older than the retention period (the activity log's); returns how many went."""
        cutoff = self._clock.now() - self.retention_seconds
        with self._db.session() as db:
            return db.exec(delete(SmsOpsEvent).where(col(SmsOpsEvent.at) < cutoff)).rowcount or 0
