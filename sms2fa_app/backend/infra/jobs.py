"""Work done after the request that asked for it: a durable job queue in Redis, retried with backoff.

Mails and texts are sent here, never inside the request: a slow or failing provider can neither delay
an answer nor undo the change the message is about, and a request whose answer must not depend on the
database (sign-up, "forgot password") only enqueues. A job is `(kind, payload)`; its payload is
encrypted at rest (Fernet, key derived from SECRET_KEY), since it may hold an address, a number or a
link. Every process runs a worker thread that drains the due jobs (`start`); tests call `drain`.

A job is claimed with a lease (one Lua call moves its due time `LEASE_SECONDS` ahead), so two workers
never run it at once and a worker that dies mid-job leaves it to be retried: delivery is at least once.
A handler that raises is retried after `base_backoff * 2^(attempt-1)` seconds, up to `max_attempts`
runs; `PermanentFailure` (or an unknown kind) drops the job at once. An outage (`ServiceUnavailable`: Redis or
the database down) is not the job's fault: it is due again in OUTAGE_RETRY_SECONDS with no attempt spent, and
the jobs a Redis failure left claimed by this worker are made due again as soon as Redis answers, rather than after
their lease. Every outcome is logged, without the payload.

A job whose loss matters is not enqueued here directly but written to the database outbox in its change's
transaction (outbox.py); the outbox is a `feed` that `drain` relays first, through `enqueue_once`.

Keys: `jobs:due` (sorted set: id -> due time), `jobs:data` (hash: id -> encrypted payload), `jobs:once:<id>`
(a relayed job's marker, so relaying it again enqueues nothing).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis
from cryptography.fernet import InvalidToken

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import keyed_fernet
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

log = logging.getLogger("sms2fa.jobs")

DUE_KEY = "jobs:due"
DATA_KEY = "jobs:data"
LEASE_SECONDS = 120
OUTAGE_RETRY_SECONDS = 2  # a job an outage interrupted is due again this soon (no attempt spent)
CLAIM_BATCH = 20
ONCE_KEY_PREFIX = "jobs:once:"
ONCE_TTL_SECONDS = 7 * 86_400  # far longer than any relay can take to mark a row it enqueued
_KEY_INFO = b"sms2fa job payload encryption v1"

# KEYS: due, data. ARGV: now, lease until, batch. Claims the due jobs: returns {id, data, id, data, ...}.
_CLAIM_LUA = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], ARGV[2], id)
  claimed[#claimed + 1] = id
  claimed[#claimed + 1] = redis.call('HGET', KEYS[2], id) or ''
end
return claimed
"""

# KEYS: due, data, once marker. ARGV: id, sealed job, due time, marker ttl. Enqueues unless the marker exists.
_ENQUEUE_ONCE_LUA = """
if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', tonumber(ARGV[4])) then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
"""

Handler = Callable[[dict[str, Any]], None]


def new_job_id() -> str:
    """A unique id that sorts by creation time (jobs due at once run in the order queued)."""
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"


class PermanentFailure(Exception):
    """A job that can never succeed (a refused address): dropped without retrying."""


class JobQueue:
    """Enqueue jobs from anywhere; run them in the worker thread (or `drain` in tests)."""

    def __init__(
        self,
        client: redis.Redis,
        clock: Clock,
        secret_key: str,
        *,
        max_attempts: int = 6,
        base_backoff_seconds: int = 30,
    ):
        self._redis = client
        self._clock = clock
        self._fernet = keyed_fernet(secret_key, _KEY_INFO)
        self._handlers: dict[str, Handler] = {}
        self._periodic: list[tuple[float, Callable[[], object]]] = []
        self._feeds: list[Callable[[], object]] = []
        self._last_run: dict[int, float] = {}
        self._held: set[str] = set()  # claimed here, neither run nor handed back when Redis failed
        self.max_attempts = max_attempts
        self.base_backoff_seconds = base_backoff_seconds
        self._claim = client.register_script(_CLAIM_LUA)
        self._enqueue_once_script = client.register_script(_ENQUEUE_ONCE_LUA)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self, kind: str, handler: Handler) -> None:
        """Run `handler(payload)` for jobs of `kind`."""
        self._handlers[kind] = handler

    def every(self, seconds: float, task: Callable[[], object]) -> None:
        """Also run `task` from the worker at most once per `seconds` (housekeeping such as retention)."""
        self._periodic.append((seconds, task))

    def feed(self, source: Callable[[], object]) -> None:
        """Run `source` before each drain: it moves work stored elsewhere (the outbox) into the queue."""
        self._feeds.append(source)

    def seal(self, kind: str, payload: dict[str, Any]) -> str:
        """A new job, encrypted as the queue stores it (the outbox keeps it so until it is relayed)."""
        return self._seal({"kind": kind, "attempt": 0, "payload": payload})

    def enqueue_once(self, job_id: str, kind: str, sealed: str) -> bool:
        """Queue a sealed job under `job_id` unless that id was queued before; True when it was queued now."""
        with redis_fail_closed():
            queued = self._enqueue_once_script(
                keys=[DUE_KEY, DATA_KEY, ONCE_KEY_PREFIX + job_id],
                args=[job_id, sealed, repr(self._clock.now()), ONCE_TTL_SECONDS],
            )
        if queued:
            log_event(log, logging.INFO, "job_queued", kind=kind, job=job_id)
            self._wake.set()
        return bool(queued)

    def enqueue(self, kind: str, payload: dict[str, Any], *, delay_seconds: float = 0) -> str:
        """Store a job to run as soon as a worker is free (after `delay_seconds`); returns its id."""
        job_id = new_job_id()
        sealed = self.seal(kind, payload)
        with redis_fail_closed():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(DATA_KEY, job_id, sealed)
            pipe.zadd(DUE_KEY, {job_id: self._clock.now() + delay_seconds})
            pipe.execute()
        log_event(log, logging.INFO, "job_queued", kind=kind, job=job_id)
        self._wake.set()
        return job_id

    def pending(self) -> int:
        """How many jobs wait (due or not)."""
        with redis_fail_closed():
            return int(self._redis.zcard(DUE_KEY))

    def drain(self, limit: int = 1000, *, feed: bool = True) -> int:
        """Feed the queue (the outbox), then run the jobs that are due now, at most `limit`; returns how many ran
        (whatever their outcome)."""
        if feed:
            for source in self._feeds:
                source()
        self._hand_back_held()
        done = 0
        while done < limit:
            now = self._clock.now()
            with redis_fail_closed():
                claimed = self._claim(
                    keys=[DUE_KEY, DATA_KEY], args=[repr(now), repr(now + LEASE_SECONDS), CLAIM_BATCH]
                )
            if not claimed:
                break
            batch = [(str(job_id), sealed) for job_id, sealed in zip(claimed[0::2], claimed[1::2], strict=True)]
            for index, (job_id, sealed) in enumerate(batch):
                try:
                    self._run(job_id, sealed)
                except ServiceUnavailable:  # Redis went away mid-batch: the rest wait for it, not for their lease
                    self._held.update(later for later, _sealed in batch[index + 1 :])
                    raise
                done += 1
        return done

    def _hand_back(self, job_id: str) -> None:
        """An outage stopped this job (not its own fault): due again soon, its attempts unspent. When Redis itself
        is down, it is held until Redis answers, instead of waiting out the claim's lease (LEASE_SECONDS)."""
        try:
            with redis_fail_closed():
                self._redis.zadd(DUE_KEY, {job_id: self._clock.now() + OUTAGE_RETRY_SECONDS}, xx=True)
        except ServiceUnavailable:
            self._held.add(job_id)
            raise
        log_event(log, logging.WARNING, "job_interrupted", job=job_id, retry=OUTAGE_RETRY_SECONDS)

    def _hand_back_held(self) -> None:
        """Make the jobs an outage left claimed here due now (XX: one another worker finished stays gone)."""
        while self._held:
            job_id = next(iter(self._held))
            with redis_fail_closed():
                self._redis.zadd(DUE_KEY, {job_id: self._clock.now()}, xx=True)
            self._held.discard(job_id)
            log_event(log, logging.INFO, "job_handed_back", job=job_id)

    # ---- the worker thread -----------------------------------------------------------------------

    def start(self, poll_seconds: float = 2.0) -> None:
        """Start this process's worker thread (idempotent): it drains when woken by `enqueue` or every
        `poll_seconds` (jobs of other processes, retries), and runs the periodic tasks."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._work, args=(poll_seconds,), name="sms2fa-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker thread (tests)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            self._wake.set()
            thread.join(timeout=10)
            self._stopping.clear()

    def _work(self, poll_seconds: float) -> None:
        while not self._stopping.is_set():
            self._wake.wait(poll_seconds)
            self._wake.clear()
            for source in self._feeds:  # apart: a database outage must not stop the jobs already in Redis
                try:
                    source()
                except Exception as error:
                    log_event(log, logging.WARNING, "jobs_feed_failed", error=type(error).__name__)
            try:
                self.drain(feed=False)
                self._run_periodic()
            except Exception as error:  # an outage must not end the thread: try again at the next poll
                log_event(log, logging.WARNING, "jobs_worker_failed", error=type(error).__name__)

    def _run_periodic(self) -> None:
        now = self._clock.now()
        for index, (seconds, task) in enumerate(self._periodic):
            if now - self._last_run.get(index, float("-inf")) >= seconds:
                self._last_run[index] = now
                task()

    # ---- one job ---------------------------------------------------------------------------------

    def _run(self, job_id: str, sealed: str) -> None:
        job = self._open(sealed)
        if job is None:
            log_event(log, logging.ERROR, "job_dropped", job=job_id, reason="unreadable")
            self._forget(job_id)
            return
        kind, attempt = str(job["kind"]), int(job["attempt"]) + 1
        handler = self._handlers.get(kind)
        if handler is None:
            log_event(log, logging.ERROR, "job_dropped", job=job_id, kind=kind, reason="unknown_kind")
            self._forget(job_id)
            return
        try:
            handler(job["payload"])
        except PermanentFailure as error:
            log_event(log, logging.WARNING, "job_dropped", job=job_id, kind=kind, attempt=attempt, reason=str(error))
            self._forget(job_id)
            return
        except ServiceUnavailable:  # Redis or the database is down: the job is not at fault
            self._hand_back(job_id)
            return
        except Exception as error:  # any failure of a handler: retry later (the text may hold an address)
            self._retry(job_id, job, attempt, type(error).__name__)
            return
        log_event(log, logging.INFO, "job_done", job=job_id, kind=kind, attempt=attempt)
        self._forget(job_id)

    def _retry(self, job_id: str, job: dict[str, Any], attempt: int, error: str) -> None:
        kind = job["kind"]
        if attempt >= self.max_attempts:
            log_event(log, logging.ERROR, "job_dropped", job=job_id, kind=kind, attempt=attempt, error=error)
            self._forget(job_id)
            return
        wait = self.base_backoff_seconds * 2 ** (attempt - 1)
        log_event(log, logging.WARNING, "job_failed", job=job_id, kind=kind, attempt=attempt, error=error, retry=wait)
        with redis_fail_closed():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(DATA_KEY, job_id, self._seal({**job, "attempt": attempt}))
            pipe.zadd(DUE_KEY, {job_id: self._clock.now() + wait})
            pipe.execute()

    def _forget(self, job_id: str) -> None:
        with redis_fail_closed():
            pipe = self._redis.pipeline(transaction=True)
            pipe.zrem(DUE_KEY, job_id)
            pipe.hdel(DATA_KEY, job_id)
            pipe.execute()

    def _seal(self, job: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(job).encode()).decode()

    def _open(self, sealed: str) -> dict[str, Any] | None:
        try:
            job = json.loads(self._fernet.decrypt(sealed.encode()))
        except (InvalidToken, ValueError):
            return None
        return job if isinstance(job, dict) and {"kind", "attempt", "payload"} <= job.keys() else None
