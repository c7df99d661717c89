"""SMS operations as stored events: one SQL row per text or call asked for, written for the send path (sent, refused,
a country's cap reached) and moved on by the provider's delivery reports. The admin console's charts read these rows,
never the browser. A row holds no number, user or code: a channel, a country, an outcome, the provider's message id.

Neither a send nor a delivery report writes SQL: a send appends its event to a Redis list (`ops:texts`), the delivery
script (delivery/status.py) notes the message's new state in a Redis hash (the journal), and `flush` inserts the new
events and applies the journal to the rows in a few statements, every minute and before the charts are read or
purged. Reports were an UPDATE each, a quarter of a login's SQL time, and the send's INSERT a statement and a commit
of every login (issue 24).

Writing an event never fails the send or the report it describes: a failure is one log line.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict

import redis
from sqlmodel import col, delete, update

from sms2fa_app.backend.delivery.status import Channel, DeliveryState
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import SmsOpsEvent

log = logging.getLogger("sms2fa.ops_events")

SENT = "sent"
BLOCKED = "blocked"  # this send reached its country's cap: the country is blocked from now on
JOURNAL_KEY = "ops:journal"  # message id -> newest reported state, until `flush` applies it to the rows
TEXTS_KEY = "ops:texts"  # the events of the sends since the last flush, oldest first (JSON), until `flush` stores them
FLUSH_SECONDS = 60  # how stale the delivery rate of a chart may be between reads (a read flushes first)
FLUSH_CHUNK = 500  # message ids per UPDATE


class OpsEvents:
    """Queues the operations events (OtpService.on_text), stores them and applies the delivery reports' journal."""

    def __init__(self, database: Database, clock: Clock, retention_seconds: int, client: redis.Redis):
        self._db = database
        self._clock = clock
        self._redis = client
        self.retention_seconds = int(retention_seconds)

    def text(self, channel: Channel, country: str, outcome: str, message_id: str = "") -> None:
        """A text or call was asked for: `outcome` is "sent", "blocked" or the refusal's name (stored by `flush`)."""
        event = SmsOpsEvent(
            at=self._clock.now(),
            channel=Channel(channel).value,
            country=(country or "")[:8],
            outcome=outcome[:32],
            message_id=message_id[:64],
            state=DeliveryState.QUEUED.value if outcome == SENT and message_id else "",
        )
        try:
            self._redis.rpush(TEXTS_KEY, event.model_dump_json(exclude={"id"}))
        except redis.RedisError as error:  # the send stands; the chart misses one event
            log_event(log, logging.ERROR, "ops_event_not_recorded", outcome=outcome, error=type(error).__name__)

    def report(self, message_id: str, state: DeliveryState) -> None:
        """Note a message's newer state in the journal, as the delivery script does (for seeding and tests)."""
        try:
            self._redis.hset(JOURNAL_KEY, message_id, DeliveryState(state).value)
        except redis.RedisError as error:
            log_event(log, logging.ERROR, "ops_event_not_updated", state=str(state), error=type(error).__name__)

    def flush(self) -> int:
        """Store the sends' waiting events (one INSERT), then apply the journal to the rows, one UPDATE per state and
        chunk, in one transaction; returns how many states it held. A row only moves up the ranks (a late flush
        cannot undo a newer state). On a database error the events and states go back (a state unless a newer one
        came meanwhile) for the next flush."""
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.lrange(TEXTS_KEY, 0, -1)
            pipe.hgetall(JOURNAL_KEY)
            pipe.delete(TEXTS_KEY, JOURNAL_KEY)
            texts, journal, _ = pipe.execute()
        except redis.RedisError as error:
            log_event(log, logging.ERROR, "ops_journal_unreadable", error=type(error).__name__)
            return 0
        by_state: dict[DeliveryState, list[str]] = defaultdict(list)
        for message_id, state in journal.items():
            by_state[DeliveryState(state)].append(message_id)
        try:
            with self._db.session() as db:
                db.add_all([SmsOpsEvent(**json.loads(text)) for text in texts])  # before their states move them on
                db.flush()
                for state, message_ids in by_state.items():
                    earlier = [other.value for other in DeliveryState if other.rank < state.rank]
                    for start in range(0, len(message_ids), FLUSH_CHUNK):
                        db.exec(
                            update(SmsOpsEvent)
                            .where(col(SmsOpsEvent.message_id).in_(message_ids[start : start + FLUSH_CHUNK]))
                            .where(col(SmsOpsEvent.outcome) == SENT, col(SmsOpsEvent.state).in_(earlier))
                            .values(state=state.value)
                            .execution_options(synchronize_session=False)
                        )
        except Exception as error:  # the charts lag until the next flush
            log_event(log, logging.ERROR, "ops_event_not_updated", states=len(journal), error=type(error).__name__)
            self._give_back(texts, journal)
        return len(journal)

    def _give_back(self, texts: list[str], journal: dict[str, str]) -> None:
        try:
            pipe = self._redis.pipeline(transaction=False)
            if texts:
                pipe.lpush(TEXTS_KEY, *reversed(texts))  # ahead of the sends that came meanwhile
            for message_id, state in journal.items():
                pipe.hsetnx(JOURNAL_KEY, message_id, state)
            pipe.execute()
        except redis.RedisError as error:
            log_event(log, logging.ERROR, "ops_journal_lost", states=len(journal), error=type(error).__name__)

    def purge(self) -> int:
        """Delete the events older than the retention period (the activity log's), the waiting ones stored first;
        returns how many went."""
        self.flush()
        cutoff = self._clock.now() - self.retention_seconds
        with self._db.session() as db:
            return db.exec(delete(SmsOpsEvent).where(col(SmsOpsEvent.at) < cutoff)).rowcount or 0
