"""The bench's counting hook, loaded into every Python process of the app under test (bench/load.py puts this
directory first on PYTHONPATH, with SMS2FA_BENCH_COUNTS naming a directory): counts SQL statements, SQL writes,
commits, Redis round trips, argon2 runs and thread hand-offs, and answers them as JSON on the unix socket
<dir>/<pid>.sock.

Why a site hook: the counts must come from the production app as `reflex run --env prod` starts it (granian and
its workers), without a line of bench code in the app. Nothing happens unless SMS2FA_BENCH_COUNTS is set.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import threading
import traceback

COUNTS_DIR = os.environ.get("SMS2FA_BENCH_COUNTS", "")
# SMS2FA_BENCH_TRACE=<dir>: also append each counted statement, commit and round trip, with the app's frames that
# made it, to <dir>/<pid>.trace (which step of a login makes which statement); bench/load_client.py logs its frames
# there too.
TRACE_DIR = os.environ.get("SMS2FA_BENCH_TRACE", "")
TRACING = bool(TRACE_DIR)
JOBS_THREAD = "sms2fa-jobs"
_TABLE_AFTER = {"FROM", "INTO", "UPDATE"}
_counts: dict[str, int] = {}
_lock = threading.Lock()


def _add(name: str) -> None:
    with _lock:
        _counts[name] = _counts.get(name, 0) + 1
    if TRACING and name.startswith("detail:"):
        _trace(name)


def _trace(name: str) -> None:
    """One line: the counted thing, then the app's own frames (innermost last) that led to it."""
    frames = [f"{frame.name}:{frame.lineno}" for frame in traceback.extract_stack() if "sms2fa_app" in frame.filename]
    with _lock, open(os.path.join(TRACE_DIR, f"{os.getpid()}.trace"), "a") as trace:
        trace.write(f"{name[len('detail:') :]}  <- {' > '.join(frames[-6:])}\n")


def _serve(path: str) -> None:
    """Answer each connection with the counts so far (a blocked accept costs no CPU while idle)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    while True:
        connection, _ = listener.accept()
        with connection, _lock:
            connection.sendall(json.dumps(_counts).encode())


def _start() -> None:
    _counts.clear()
    path = os.path.join(COUNTS_DIR, f"{os.getpid()}.sock")
    threading.Thread(target=_serve, args=(path,), name="bench-counts", daemon=True).start()


def _hook_sql() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def on_execute(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        _add("sql")
        words = statement.split()
        if words[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            _add("sql_writes")
        table = next((word for before, word in itertools.pairwise(words) if before.upper() in _TABLE_AFTER), "?")
        _add(f"detail:sql {words[0].upper()} {table}")  # which statements, for a reader of the JSON summary

    event.listen(Engine, "before_cursor_execute", on_execute)

    def on_commit(_conn) -> None:  # type: ignore[no-untyped-def]
        _add("commits")
        if TRACING:
            _trace("detail:COMMIT")

    event.listen(Engine, "commit", on_commit)


def _hook_redis() -> None:
    """One send_packed_command is one round trip: a command, a pipeline or a script call."""
    import redis.asyncio.connection as async_connection
    import redis.client as sync_client
    import redis.connection as sync_connection

    real_execute = sync_client.Redis.execute_command

    def named(self, *args, **options):  # type: ignore[no-untyped-def]
        _add(f"detail:redis {args[0]}")
        return real_execute(self, *args, **options)

    real_pipeline = sync_client.Pipeline.execute

    def named_pipeline(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _add(f"detail:redis PIPELINE {'+'.join(str(command[0][0]) for command in self.command_stack)}")
        return real_pipeline(self, *args, **kwargs)

    sync_client.Redis.execute_command = named  # type: ignore[method-assign]
    sync_client.Pipeline.execute = named_pipeline  # type: ignore[method-assign]
    real_sync = sync_connection.AbstractConnection.send_packed_command
    real_async = async_connection.AbstractConnection.send_packed_command

    def counted_sync(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _add("redis")
        return real_sync(self, *args, **kwargs)

    async def counted_async(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _add("redis")
        return await real_async(self, *args, **kwargs)

    sync_connection.AbstractConnection.send_packed_command = counted_sync  # type: ignore[method-assign]
    async_connection.AbstractConnection.send_packed_command = counted_async  # type: ignore[method-assign]


def _hook_argon2() -> None:
    """One argon2 run (hash or verify, as passlib calls argon2-cffi's low level): the CPU unit of a login, so a
    second hash per login (a re-hash, a dummy verify) shows as a count, not as noise in a timing."""
    import argon2.low_level as low_level

    for name in ("hash_secret", "verify_secret"):
        real = getattr(low_level, name)

        def counted(*args, _real=real, **kwargs):  # type: ignore[no-untyped-def]
            _add("argon2")
            return _real(*args, **kwargs)

        setattr(low_level, name, counted)


def _hook_handoffs() -> None:
    """One job given to a thread pool (asyncio.to_thread, run_in_executor, Starlette's sync endpoints): each wakes
    a thread and then the event loop again, a cost of its own however short the job."""
    import concurrent.futures.thread as pool_thread

    real_submit = pool_thread.ThreadPoolExecutor.submit

    def submit(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _add("handoffs")
        if TRACING:
            _trace("detail:HANDOFF")
        return real_submit(self, *args, **kwargs)

    pool_thread.ThreadPoolExecutor.submit = submit  # type: ignore[method-assign]

    import anyio.to_thread  # Starlette's sync endpoints and its request body reads: anyio's own worker threads

    real_run_sync = anyio.to_thread.run_sync

    async def run_sync(*args, **kwargs):  # type: ignore[no-untyped-def]
        _add("handoffs")
        if TRACING:
            _trace("detail:HANDOFF anyio")
        return await real_run_sync(*args, **kwargs)

    anyio.to_thread.run_sync = run_sync


def _quiet_jobs_poll() -> None:
    """The jobs thread wakes every 2 s to look for other processes' jobs; one worker has none, and its idle
    polls would add time-dependent counts: here it wakes only when this process queues a job."""
    real_wait = threading.Event.wait

    def wait(self: threading.Event, timeout: float | None = None) -> bool:
        if threading.current_thread().name == JOBS_THREAD:
            timeout = None
        return real_wait(self, timeout)

    threading.Event.wait = wait  # type: ignore[method-assign]


if COUNTS_DIR:
    _hook_sql()
    _hook_redis()
    _hook_argon2()
    _hook_handoffs()
    _quiet_jobs_poll()
    _start()
    os.register_at_fork(after_in_child=_start)
