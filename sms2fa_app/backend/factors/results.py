"""What every second factor shares: the factor names and the result of checking a code."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Factor(enum.StrEnum):
    """A second factor a user can present (values are stored in User.preferred_factor)."""

    SMS = "sms"
    TOTP = "totp"
    RECOVERY = "recovery"


class VerifyStatus(enum.Enum):
    """How checking a code ended."""

    OK = "ok"
    WRONG = "wrong"  # a wrong guess; attempts_left more tries on this code (SMS)
    EXPIRED = "expired"  # nothing to check against (no live code, no such factor): not a guess
    TOO_MANY_ATTEMPTS = "too_many_attempts"  # this wrong try burned the code: request a new one
    LOCKED = "locked"  # the user's verifies are locked for retry_after_seconds
    MALFORMED = "malformed"  # not the code's format; not a try, nothing touched
    ALREADY_USED = "already_used"  # a right code that was used before (replay, race): not a guess


# A status that spends a guess: the lockout counts it (every other non-OK status is given back).
GUESS_FAILURES = frozenset({VerifyStatus.WRONG, VerifyStatus.TOO_MANY_ATTEMPTS})


@dataclass(frozen=True)
class VerifyResult:
    """The status, tries left on the code (WRONG, LOCKED) and the lockout wait (LOCKED)."""

    status: VerifyStatus
    attempts_left: int = 0
    retry_after_seconds: int = 0

    @property
    def ok(self) -> bool:
        """True when the code was accepted."""
        return self.status is VerifyStatus.OK
