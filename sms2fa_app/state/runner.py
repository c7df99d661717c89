"""Run blocking backend calls off the event loop.

Password hashing (argon2: ~20 ms of CPU each) gets threads of its own, as many as the cores: a burst of
logins then queues for the cores instead of filling the shared pool, so the quick calls (SQL, Redis) that
other handlers make while they hold a tab's state lock never wait behind a hash.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_hashing = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1), thread_name_prefix="sms2fa-hashing")


async def run_backend(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call a blocking backend function in a worker thread (SQL, Redis, HTTP)."""
    return await asyncio.to_thread(function, *args, **kwargs)


async def run_hashing(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call a backend function that hashes a password, in the hashing threads."""
    return await asyncio.get_running_loop().run_in_executor(_hashing, partial(function, *args, **kwargs))
