"""Password rules and hashing with passlib's argon2 scheme (argon2-cffi)."""

from __future__ import annotations

import enum

from passlib.context import CryptContext

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


class PasswordProblem(enum.Enum):
    """Why a new password is refused."""

    EMPTY = "empty"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"


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


def password_problem(password: str) -> PasswordProblem | None:
    """The first rule a new password breaks, or None. Never truncates."""
    if not password:
        return PasswordProblem.EMPTY
    if len(password) < MIN_PASSWORD_LENGTH:
        return PasswordProblem.TOO_SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return PasswordProblem.TOO_LONG
    return None
