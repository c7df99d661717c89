"""Run blocking backend calls off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


async def run_backend(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call a blocking backend function in a worker thread (hashing, SQL, Redis, HTTP)."""
    return await asyncio.to_thread(function, *args, **kwargs)
