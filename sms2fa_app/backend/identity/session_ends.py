"""Who hears of sessions ending: SessionStore tells its listener, once the change is committed, of every token digest
that stopped naming a session (ended, expired, pushed out by the cap, or replaced by a new token) and of sessions
whose facts changed. Forward-auth's cache (backend/protect/facts.py) is the listener: a cached session must not
outlive its row by a single request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class SessionEnds(Protocol):
    """The listener SessionStore calls after each commit that ended or changed sessions."""

    def ended(self, digests: Sequence[str]) -> None:
        """These token digests name no session any more."""

    def changed(self, digests: Sequence[str]) -> None:
        """These sessions live on, with other facts (a re-authentication)."""
