"""Password rules and argon2 hashing."""

from __future__ import annotations

from sms2fa_app.backend.identity.passwords import PasswordHasher, PasswordProblem, password_problem


def test_password_rules_without_truncation() -> None:
    assert password_problem("") is PasswordProblem.EMPTY
    assert password_problem("short12") is PasswordProblem.TOO_SHORT
    assert password_problem("x7mQ2vLp") is None  # 8 characters, none of them a common pattern
    assert password_problem(("correct horse battery staple " * 9)[:256]) is None
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


def test_unknown_account_still_verifies_a_real_argon2_hash(monkeypatch) -> None:
    """Same work for an unknown email as for a wrong password: a dummy argon2id hash of the same cost is checked."""
    hasher = PasswordHasher()
    stored = hasher.hash("correct horse battery")
    checked: list[str] = []
    real_verify = hasher._context.verify
    monkeypatch.setattr(
        hasher._context, "verify", lambda secret, digest: checked.append(digest) or real_verify(secret, digest)
    )
    assert not hasher.verify("wrong password", stored)
    assert not hasher.verify("wrong password", None)
    known, unknown = checked
    assert unknown != known and unknown.startswith("$argon2id$")
    assert unknown.split("$")[3] == known.split("$")[3]  # identical m, t, p parameters


def test_garbage_hash_fails_closed() -> None:
    assert not PasswordHasher(time_cost=1, memory_cost_kib=1024).verify("anything", "not-a-hash")
