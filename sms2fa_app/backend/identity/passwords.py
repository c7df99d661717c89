"""Password rules and hashing with passlib's argon2 scheme (argon2-cffi).

New passwords are also checked against commonly used and breached passwords, as NIST SP 800-63B asks,
with zxcvbn: its frequency lists (common passwords, names, words), keyboard patterns, sequences,
repeats, dates and l33t substitutions, and the user's own address. No network look-up. A password an
attacker would guess within STRONG_ENOUGH_GUESSES tries (zxcvbn score 0 or 1) is refused.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass

from passlib.context import CryptContext
from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
STRENGTH_CHECKED_LENGTH = 72  # zxcvbn's own limit, and beyond it its cost grows fast; the rest only adds
MIN_STRENGTH_SCORE = 2  # zxcvbn scores 0-4; 2 = at least a million guesses
_ZXCVBN_LOCK = threading.Lock()  # zxcvbn keeps the user's words in a module-level dictionary


class PasswordProblem(enum.Enum):
    """Why a new password is refused."""

    EMPTY = "empty"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    TOO_COMMON = "too_common"
    MISMATCH = "mismatch"  # the confirmation differs


class Weakness(enum.Enum):
    """What makes a password easy to guess (the hint on the form)."""

    COMMON = "common"  # a commonly used or breached password, a word or a name, maybe with l33t or case
    PERSONAL = "personal"  # made of the user's own address
    PATTERN = "pattern"  # keyboard rows, sequences such as abcd or 1234, repeats
    DATE = "date"
    SHORT = "short"  # nothing known, just too few characters


@dataclass(frozen=True)
class PasswordStrength:
    """zxcvbn's score (0 very weak .. 4 strong) and, below MIN_STRENGTH_SCORE, what makes it weak."""

    score: int
    weakness: Weakness | None = None

    @property
    def acceptable(self) -> bool:
        """True when the password is not among the first million guesses."""
        return self.score >= MIN_STRENGTH_SCORE


_PATTERN_WEAKNESS = {"spatial": Weakness.PATTERN, "sequence": Weakness.PATTERN, "repeat": Weakness.PATTERN}


def password_strength(password: str, user_inputs: tuple[str, ...] = ()) -> PasswordStrength:
    """How guessable a password is, given words of the user's own (the email address and its parts)."""
    checked = password[:STRENGTH_CHECKED_LENGTH]
    if not checked:
        return PasswordStrength(0, Weakness.SHORT)
    with _ZXCVBN_LOCK:
        result = zxcvbn(checked, user_inputs=list(user_inputs))
    score = int(result["score"])
    if score >= MIN_STRENGTH_SCORE:
        return PasswordStrength(score)
    return PasswordStrength(score, _weakness(result["sequence"]))


def _weakness(sequence: list[dict]) -> Weakness:
    """The weakest part zxcvbn found, in the form's words."""
    for match in sorted(sequence, key=lambda part: part.get("guesses", 0)):
        pattern = match.get("pattern")
        if pattern == "dictionary":
            return Weakness.PERSONAL if match.get("dictionary_name") == "user_inputs" else Weakness.COMMON
        if pattern in _PATTERN_WEAKNESS:
            return _PATTERN_WEAKNESS[pattern]
        if pattern == "date":
            return Weakness.DATE
    return Weakness.SHORT


class PasswordHasher:
    """Hashes and verifies passwords; verify against a dummy hash when the account is unknown."""

    def __init__(self, time_cost: int = 2, memory_cost_kib: int = 19_456):
        self._context = CryptContext(
            schemes=["argon2"],
            argon2__type="ID",
            argon2__time_cost=time_cost,
            argon2__memory_cost=memory_cost_kib,
            argon2__parallelism=1,
        )
        self._dummy_hash = self._context.hash("dummy password for timing equality")

    def hash(self, password: str) -> str:
        """A salted argon2id hash of the password."""
        return self._context.hash(password)

    def verify(self, password: str, password_hash: str | None) -> bool:
        """Check a password; with no hash, spend the same time and fail."""
        if password_hash is None:
            self._context.verify(password, self._dummy_hash)
            return False
        try:
            return self._context.verify(password, password_hash)
        except (ValueError, TypeError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash uses outdated parameters."""
        return self._context.needs_update(password_hash)


def email_words(email: str) -> tuple[str, ...]:
    """The user's own words zxcvbn should know: the address, its local part and the domain's first label."""
    local, _, domain = email.partition("@")
    return tuple(word for word in (email, local, domain.split(".")[0]) if word)


def password_problem(password: str, user_inputs: tuple[str, ...] = ()) -> PasswordProblem | None:
    """The first rule a new password breaks, or None. Never truncates."""
    if not password:
        return PasswordProblem.EMPTY
    if len(password) < MIN_PASSWORD_LENGTH:
        return PasswordProblem.TOO_SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return PasswordProblem.TOO_LONG
    if not password_strength(password, user_inputs).acceptable:
        return PasswordProblem.TOO_COMMON
    return None


def new_password_problem(password: str, confirmation: str, user_inputs: tuple[str, ...] = ()) -> PasswordProblem | None:
    """The rules of a new password, then its confirmation (changing or resetting a password)."""
    problem = password_problem(password, user_inputs)
    if problem is None and password != confirmation:
        return PasswordProblem.MISMATCH
    return problem
