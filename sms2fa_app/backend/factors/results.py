"""What every second factor shares: the factor names and the result of checking a code."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sms2fa_app.backend.assurance import Amr


class Factor(enum.StrEnum):
    """A second factor a user can present (values are stored in User.preferred_factor)."""

    SMS = "sms"
    TOTP = "totp"
    RECOVERY = "recovery"
    PASSKEY = "passkey"

    @property
    def amr(self) -> tuple[Amr, ...]:
        """What presenting this factor proves, as RFC 8176 methods (a recovery code is a one-time password; every
        passkey check here requires user verification)."""
        return _FACTOR_AMR[self]

    @classmethod
    def named(cls, method: object) -> Factor | None:
        """The factor a browser's (or a stored) method names, or None: the one place a string becomes a Factor."""
        return cls(method) if isinstance(method, str) and method in cls._value2member_map_ else None


class VerifyStatus(enum.Enum):
    """How checking a code ended."""

    OK = "ok"
    WRONG = "wrong"  # a wrong guess; attempts_left more tries on this code (SMS)
    EXPIRED = "expired"  # nothing to check against (no live code, no such factor): not a guess
    TOO_MANY_ATTEMPTS = "too_many_attempts"  # this wrong try burned the code: request a new one
    LOCKED = "locked"  # the user's verifies are locked for retry_after_seconds
    MALFORMED = "malformed"  # not the code's format; not a try, nothing touched
    ALREADY_USED = "already_used"  # a right code that was used before (replay, race): not a guess


CODE_LENGTH = 6  # texted and authenticator codes alike
MAX_CODE_INPUT_LENGTH = 32


def normalize_code(raw: object) -> str | None:
    """The code without spaces or dashes, if it is then exactly six ASCII digits; else None."""
    if not isinstance(raw, str) or len(raw) > MAX_CODE_INPUT_LENGTH:
        return None
    code = "".join(raw.split()).replace("-", "")
    if len(code) != CODE_LENGTH or not all("0" <= ch <= "9" for ch in code):
        return None
    return code


# A status that spends a guess: the lockout counts it (every other non-OK status is given back).
GUESS_FAILURES = frozenset({VerifyStatus.WRONG, VerifyStatus.TOO_MANY_ATTEMPTS})


_FACTOR_AMR = {
    Factor.SMS: (Amr.SMS,),
    Factor.TOTP: (Amr.OTP,),
    Factor.RECOVERY: (Amr.OTP,),
    Factor.PASSKEY: (Amr.HWK, Amr.USER),
}


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
