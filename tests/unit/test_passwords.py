"""Password rules and argon2 hashing."""

from __future__ import annotations

import time

from sms2fa_app.backend.passwords import PasswordHasher, PasswordProblem, password_problem


def test_password_rules_without_truncation() -> None:
    assert password_problem("") is PasswordProblem.EMPTY
    assert password_problem("short12") is PasswordProblem.TOO_SHORT
    assert password_problem("x" * 8) is None
    assert password_problem("x" * 256) is None
    assert password_problem("x" * 257) is PasswordProblem.TOO_LONG


def test_production_hasher_uses_argon2id_and_verifies() -> None:
    hasher = PasswordHasher()
    stored = hasher.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert hasher.verify("correct horse battery", stored)
    assert not hasher.verify("correct horse batterz", stored)
    assert not hasher.needs_rehash(stored)


def test_long_passwords_are_not_truncated() -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost_kib=1024)
    stored = hasher.hash("a" * 200 + "1")
    assert not hasher.verify("a" * 200 + "2", stored)


def test_unknown_account_costs_about_the_same_as_a_wrong_password() -> None:
    hasher = PasswordHasher()
    stored = hasher.hash("correct horse battery")

    def timed(password_hash: str | None) -> float:
        start = time.perf_counter()
        for _ in range(3):
            hasher.verify("wrong password", password_hash)
        return time.perf_counter() - start

    known, unknown = timed(stored), timed(None)
    assert 0.5 < unknown / known < 2.0


def test_garbage_hash_fails_closed() -> None:
    assert not PasswordHasher(time_cost=1, memory_cost_kib=1024).verify("anything", "not-a-hash")
