"""Sign-up and password login in the backend: validation, normalization, enumeration, throttling."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from sms2fa_app.backend.identity.accounts import LoginOutcome, SignupProblem
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.pow import solve
from sms2fa_app.backend.models import LoginSession, User
from sms2fa_app.backend.services import Services, build_services
from sms2fa_app.config import Settings
from tests.conftest import FAST_HASHER, make_settings
from tests.support.factories import PASSWORD, create_user
from tests.support.recording_gateway import RecordingGateway


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """These tests predate email verification: sign-up signs in at once (EMAIL_VERIFICATION_REQUIRED=false).
    With verification on (the default), see test_verification.py."""
    return make_settings(tmp_path, EMAIL_VERIFICATION_REQUIRED="false")


def count(services: Services, model: type) -> int:
    with services.database.session() as db:
        return db.exec(select(func.count()).select_from(model)).one()


def test_sign_up_normalizes_email_and_starts_an_authenticated_session(services: Services) -> None:
    result = services.accounts.sign_up("  Ada@Example.COM ", PASSWORD, PASSWORD)
    assert result.problem is None and result.issued is not None
    user = services.accounts.find_by_email("ada@example.com")
    assert user is not None and user.password_hash.startswith("$argon2")
    assert not user.is_two_factor_enabled and user.phone_number is None
    assert services.sessions.resolve(result.issued.token).is_authenticated


@pytest.mark.parametrize(
    ("email", "password", "confirmation", "problem"),
    [
        ("", PASSWORD, PASSWORD, SignupProblem.EMAIL_MISSING),
        ("   ", PASSWORD, PASSWORD, SignupProblem.EMAIL_MISSING),
        ("not-an-email", PASSWORD, PASSWORD, SignupProblem.EMAIL_INVALID),
        ("a@b", PASSWORD, PASSWORD, SignupProblem.EMAIL_INVALID),
        ("a b@example.com", PASSWORD, PASSWORD, SignupProblem.EMAIL_INVALID),
        ("x" * 250 + "@example.com", PASSWORD, PASSWORD, SignupProblem.EMAIL_INVALID),
        ("ada@example.com", "", "", SignupProblem.PASSWORD_EMPTY),
        ("ada@example.com", "short", "short", SignupProblem.PASSWORD_TOO_SHORT),
        ("ada@example.com", "p" * 257, "p" * 257, SignupProblem.PASSWORD_TOO_LONG),
        ("ada@example.com", PASSWORD, PASSWORD + "!", SignupProblem.PASSWORDS_DIFFER),
    ],
)
def test_bad_sign_up_input_is_refused_and_changes_nothing(
    services: Services, email: str, password: str, confirmation: str, problem: SignupProblem
) -> None:
    result = services.accounts.sign_up(email, password, confirmation)
    assert result.problem is problem and result.issued is None
    assert count(services, User) == 0 and count(services, LoginSession) == 0


@pytest.mark.parametrize("variant", ["ada@example.com", "ADA@EXAMPLE.COM", " Ada@example.com"])
def test_duplicate_email_in_any_letter_case_is_refused(services: Services, variant: str) -> None:
    create_user(services)
    result = services.accounts.sign_up(variant, PASSWORD, PASSWORD)
    assert result.problem is SignupProblem.EMAIL_TAKEN
    assert count(services, User) == 1


def test_login_without_2fa_is_authenticated(services: Services) -> None:
    create_user(services)
    result = services.accounts.log_in("ADA@example.com", PASSWORD, "198.51.100.1", "pytest")
    assert result.outcome is LoginOutcome.AUTHENTICATED
    assert services.sessions.resolve(result.issued.token).is_authenticated


def test_login_with_2fa_waits_for_the_second_factor(services: Services) -> None:
    create_user(services, phone="+14155552671")
    result = services.accounts.log_in("ada@example.com", PASSWORD)
    assert result.outcome is LoginOutcome.SECOND_FACTOR_REQUIRED
    assert services.sessions.resolve(result.issued.token).awaiting_second_factor


def test_unknown_email_and_wrong_password_are_indistinguishable(services: Services) -> None:
    create_user(services)
    wrong = services.accounts.log_in("ada@example.com", "wrong password")
    unknown = services.accounts.log_in("bob@example.com", PASSWORD)
    assert wrong == unknown
    assert wrong.outcome is LoginOutcome.INVALID_CREDENTIALS and wrong.issued is None
    assert count(services, LoginSession) == 0


def test_missing_fields(services: Services) -> None:
    assert services.accounts.log_in("", PASSWORD).outcome is LoginOutcome.MISSING_FIELDS
    assert services.accounts.log_in("ada@example.com", "").outcome is LoginOutcome.MISSING_FIELDS


def test_account_throttle_is_per_network_and_checked_before_hashing(
    services: Services, clock: FakeClock, monkeypatch
) -> None:
    create_user(services)
    limit = services.settings.login_max_failures_per_account
    for attempt in range(limit):  # many addresses, one /24: one network
        assert services.accounts.log_in("ada@example.com", "wrong", f"203.0.113.{attempt}").outcome is (
            LoginOutcome.INVALID_CREDENTIALS
        )
    calls = []
    monkeypatch.setattr(services.accounts._hasher, "verify", lambda *args: calls.append(args) or True)
    throttled = services.accounts.log_in("ada@example.com", PASSWORD, "203.0.113.200")
    assert throttled.outcome is LoginOutcome.THROTTLED and throttled.issued is None
    assert 0 < throttled.retry_after_seconds <= services.settings.login_window_seconds
    assert calls == []  # no password hash computed while throttled
    monkeypatch.undo()
    # Another network is not throttled for this account: the owner elsewhere still gets in.
    assert services.accounts.log_in("ada@example.com", PASSWORD, "198.51.100.9").outcome is LoginOutcome.AUTHENTICATED
    clock.advance(services.settings.login_window_seconds)
    assert services.accounts.log_in("ada@example.com", PASSWORD, "203.0.113.9").outcome is LoginOutcome.AUTHENTICATED


def test_ip_throttle_spans_accounts(services: Services) -> None:
    create_user(services)
    ip = "192.0.2.44"
    for attempt in range(services.settings.login_max_failures_per_ip):
        services.accounts.log_in(f"user{attempt}@example.com", "wrong", ip)
    assert services.accounts.log_in("ada@example.com", PASSWORD, ip).outcome is LoginOutcome.THROTTLED
    assert services.accounts.log_in("ada@example.com", PASSWORD, "192.0.2.45").outcome is LoginOutcome.AUTHENTICATED


def test_success_clears_the_account_counter(services: Services) -> None:
    create_user(services)
    limit = services.settings.login_max_failures_per_account
    for _ in range(limit - 1):
        services.accounts.log_in("ada@example.com", "wrong")
    assert services.accounts.log_in("ada@example.com", PASSWORD).outcome is LoginOutcome.AUTHENTICATED
    for _ in range(limit - 1):
        services.accounts.log_in("ada@example.com", "wrong")
    assert services.accounts.log_in("ada@example.com", PASSWORD).outcome is LoginOutcome.AUTHENTICATED


def test_throttle_keys_hold_no_email(services: Services, redis_client) -> None:
    services.accounts.log_in("ada@example.com", "wrong", "198.51.100.1")
    assert redis_client.keys("*")
    assert not [key for key in redis_client.keys("*") if "ada" in key]


def test_sign_ups_per_ip_are_limited(services: Services, clock: FakeClock) -> None:
    limit = services.settings.signups_per_hour_per_ip
    for n in range(limit):
        assert services.accounts.sign_up(f"user{n}@example.com", PASSWORD, PASSWORD, "203.0.113.9").problem is None
    refused = services.accounts.sign_up("one.more@example.com", PASSWORD, PASSWORD, "203.0.113.9")
    assert refused.problem is SignupProblem.TOO_MANY_SIGNUPS and refused.issued is None
    assert services.accounts.find_by_email("one.more@example.com") is None
    assert services.accounts.sign_up("other@example.com", PASSWORD, PASSWORD, "203.0.113.10").problem is None
    clock.advance(3600)
    assert services.accounts.sign_up("one.more@example.com", PASSWORD, PASSWORD, "203.0.113.9").problem is None


def pressured(tmp_path, clock, redis_client, database, **overrides: str) -> Services:
    settings = make_settings(tmp_path, **overrides)
    return build_services(
        settings, clock=clock, redis_client=redis_client, database=database, hasher=FAST_HASHER,
        gateway=RecordingGateway(),
    )  # fmt: skip


def test_failures_from_one_ip_across_accounts_ask_that_ip_for_proof(
    tmp_path, clock: FakeClock, redis_client, database
) -> None:
    services = pressured(tmp_path, clock, redis_client, database, POW_AFTER_LOGIN_FAILURES_PER_IP="3")
    create_user(services)
    for index in range(3):
        assert services.accounts.log_in(f"u{index}@example.com", "wrong", "192.0.2.44").outcome is (
            LoginOutcome.INVALID_CREDENTIALS
        )
    assert services.accounts.log_in("ada@example.com", PASSWORD, "192.0.2.44").outcome is LoginOutcome.PROOF_REQUIRED
    assert services.accounts.log_in("ada@example.com", PASSWORD, "192.0.2.45").outcome is LoginOutcome.AUTHENTICATED
    proof = solve(services.pow.challenge())
    assert services.accounts.log_in("ada@example.com", PASSWORD, "192.0.2.44", "", proof).outcome is (
        LoginOutcome.AUTHENTICATED
    )


def test_a_signed_in_password_check_counts_but_never_asks_for_proof(
    tmp_path, clock: FakeClock, redis_client, database
) -> None:
    services = pressured(tmp_path, clock, redis_client, database, POW_AFTER_LOGIN_FAILURES_PER_ACCOUNT="2")
    user = create_user(services)
    for index in range(3):
        services.accounts.log_in("ada@example.com", "wrong", f"198.51.{index}.1")
    assert services.accounts.log_in("ada@example.com", PASSWORD, "203.0.113.1").outcome is LoginOutcome.PROOF_REQUIRED
    assert services.accounts.confirm_password(user.id, PASSWORD, "203.0.113.1").outcome is LoginOutcome.AUTHENTICATED
    assert services.accounts.confirm_password(user.id, "wrong", "203.0.113.1").outcome is (
        LoginOutcome.INVALID_CREDENTIALS
    )


def test_sign_up_reports_every_field_problem_at_once(services: Services) -> None:
    result = services.accounts.sign_up("not-an-address", "short", "different")
    assert result.problems == (
        SignupProblem.EMAIL_INVALID,
        SignupProblem.PASSWORD_TOO_SHORT,
        SignupProblem.PASSWORDS_DIFFER,
    )
    assert result.problem is SignupProblem.EMAIL_INVALID and count(services, User) == 0
