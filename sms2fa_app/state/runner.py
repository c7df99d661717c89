"""Run blocking backend calls off the event loop.

Password hashing (argon2: ~20 ms of CPU each) gets threads of its own, the worker's share of the cores (all of
them for one worker, one each for two workers on two cores): a burst of logins then queues for the cores instead
of filling the shared pool, so the quick calls (SQL, Redis) that other handlers make while they hold a tab's state
lock never wait behind a hash, and the workers' hashes together never outnumber the cores.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

from sms2fa_app.backend.services import get_services

P = ParamSpec("P")
R = TypeVar("R")

_hashing: ThreadPoolExecutor | None = None
_hashing_lock = threading.Lock()


def _hashing_threads() -> ThreadPoolExecutor:
    global _hashing
    with _hashing_lock:
        if _hashing is None:
            share = max(1, (os.cpu_count() or 1) // get_services().settings.workers)
            _hashing = ThreadPoolExecutor(max_workers=share, thread_name_prefix="sms2fa-hashing")
        return _hashing


async def run_backend(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call a blocking backend function in a worker thread (SQL, Redis, HTTP)."""
    return await asyncio.to_thread(function, *args, **kwargs)


async def run_hashing(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call a backend function that hashes a password, in the hashing threads (with the caller's context
    variables, like asyncio.to_thread: the backend reads the acting client from them)."""
    call = partial(contextvars.copy_context().run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_hashing_threads(), call)
