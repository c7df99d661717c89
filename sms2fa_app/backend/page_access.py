"""What a developer's protected page requires of the session, and what is missing when the session falls short.

A page (and every event of its states) declares a `PageRule`: the sign-in level it needs and, optionally, how
recently a second factor must have been presented (`recent`, a step-up: like OpenID's `max_age`, but read against
the last SECOND factor, not `auth_time`, which a password typed again alone moves). The rule is read from the
session's assurance (assurance.py) on the server, with whether the account still has 2FA on; the state layer turns
the `Shortfall` into a redirect (login, the challenge, the step-up, settings) and words.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sms2fa_app.backend.assurance import Assurance, Level


class Shortfall(enum.Enum):
    """Why a session may not see a protected page (values appear in logs)."""

    ANONYMOUS = "anonymous"  # no live session: log in
    SECOND_FACTOR_PENDING = "second_factor_pending"  # the password was given, the second factor is still to come
    LEVEL_TOO_LOW = "level_too_low"  # signed in, but at a lower level than the page needs (or 2FA is off now)
    STALE = "stale"  # the level is there, but the last second factor is older than the page's `recent`


@dataclass(frozen=True)
class PageRule:
    """The level a page needs and, with `recent`, the most seconds since the session's last second factor."""

    level: Level = Level.TWO_FACTOR
    recent: int | None = None

    def __post_init__(self) -> None:
        if self.level is Level.NONE:
            raise ValueError("a protected page needs Level.PASSWORD or Level.TWO_FACTOR")
        if self.recent is not None and (self.recent <= 0 or self.level is not Level.TWO_FACTOR):
            raise ValueError("recent= takes a positive number of seconds, with level=Level.TWO_FACTOR")

    def shortfall(self, assurance: Assurance | None, now: float, *, two_factor_on: bool) -> Shortfall | None:
        """What the session with `assurance` (None: no live session) lacks for this rule at `now`, or None.
        `two_factor_on`: whether the account has 2FA on now (a session signed in with two factors outlives turning
        it off, and the step-up would then have nothing to ask)."""
        if assurance is None:
            return Shortfall.ANONYMOUS
        if not assurance.signed_in:
            return Shortfall.SECOND_FACTOR_PENDING if assurance.awaiting_second_factor else Shortfall.ANONYMOUS
        if not assurance.at_least(self.level) or (self.level is Level.TWO_FACTOR and not two_factor_on):
            return Shortfall.LEVEL_TOO_LOW
        if self.recent is not None and now - (assurance.second_factor_at or 0.0) >= self.recent:
            return Shortfall.STALE
        return None

    def stricter(self, other: PageRule) -> PageRule:
        """The rule that satisfies both (a state shared by two pages takes the stricter one)."""
        level = self.level if self.level.rank >= other.level.rank else other.level
        recents = [seconds for seconds in (self.recent, other.recent) if seconds is not None]
        return PageRule(level, min(recents) if recents else None)
