"""Sign-up with email verification (the default): one neutral answer, limits first, a single-use 24 h link."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from sms2fa_app.backend.identity.accounts import LoginOutcome, SignupProblem
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.crypto import token_digest
from sms2fa_app.backend.models import LinkToken, User
from sms2fa_app.backend.services import Services
from tests.support.counting import counted
from tests.support.factories import PASSWORD, create_user
from tests.support.recording_mailer import RecordingMailer

ADA = "ada@example.com"
IP = "203.0.113.9"


def users(services: Services) -> int:
    with services.database.session() as db:
        return db.exec(select(func.count()).select_from(User)).one()


def verification_link(services: Services, mailer: RecordingMailer, email: str = ADA) -> str:
    services.jobs.drain()
    return mailer.last_link(email, "/verify-email")


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


# ---- the neutral answer ------------------------------------------------------------------------------


def test_a_new_and_a_taken_address_get_the_same_answer_and_the_same_work(
    services: Services, mailer: RecordingMailer, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user(services, "taken@example.com")
    with counted(services, monkeypatch) as new_work:
        new = services.accounts.sign_up("new@example.com", PASSWORD, PASSWORD, IP)
    with counted(services, monkeypatch) as taken_work:
        taken = services.accounts.sign_up("taken@example.com", PASSWORD, PASSWORD, IP)
    assert new == taken  # the same answer: "check your email", no session, no problem
    assert new.check_email and new.issued is None and new.problem is None
    # The same timing class: one password hash each, no SQL at all (the address is looked up by a job, out of
    # the request's sight) and the same one job queued.
    assert new_work.shape() == taken_work.shape() == (0, 1, ["signup"])


def test_the_job_makes_an_unverified_account_and_mails_its_link(services: Services, mailer: RecordingMailer) -> None:
    services.accounts.sign_up(" Ada@Example.COM ", PASSWORD, PASSWORD, IP)
    assert users(services) == 0  # nothing is decided in the request
    link = verification_link(services, mailer)
    user = services.accounts.find_by_email(ADA)
    assert user is not None and user.email_verified_at is None and user.password_hash.startswith("$argon2")
    assert link.startswith("http://localhost:3000/verify-email?token=")
    (mail,) = mailer.to(ADA)
    assert "24 hours" in mail.text and "href=" in mail.html
    with services.database.session() as db:  # only the token's hash is stored
        (row,) = db.exec(select(LinkToken)).all()
    assert row.token_digest == token_digest(token_of(link)) and token_of(link) not in row.token_digest


def test_the_owner_of_a_taken_address_is_told_and_nothing_changes(services: Services, mailer: RecordingMailer) -> None:
    owner = create_user(services)
    services.accounts.sign_up(ADA, "another strong passphrase", "another strong passphrase", IP)
    services.jobs.drain()
    (mail,) = mailer.to(ADA)
    assert "tried to sign up" in mail.subject and "nothing changed" in mail.text
    assert "/verify-email" not in mail.text and "/forgot-password?email=ada%40example.com" in mail.text
    assert services.accounts.find_by_email(ADA).password_hash == owner.password_hash
    assert services.accounts.log_in(ADA, PASSWORD).outcome is LoginOutcome.AUTHENTICATED


def test_limits_are_taken_before_anything_is_decided(
    services: Services, mailer: RecordingMailer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the address's quota used up, probing a registered address and an unknown one answers the same,
    costs nothing (no hash, no SQL, no job) and mails nobody."""
    limit = services.settings.signups_per_hour_per_address
    create_user(services, "taken@example.com")
    for address in ("taken@example.com", "unknown@example.com"):
        for _ in range(limit):
            assert services.accounts.sign_up(address, PASSWORD, PASSWORD, f"198.51.100.{limit}").check_email
    services.jobs.drain()
    mailer.sent.clear()
    answers, shapes = [], []
    for address in ("taken@example.com", "unknown@example.com") * 50:
        with counted(services, monkeypatch) as work:
            answers.append(services.accounts.sign_up(address, PASSWORD, PASSWORD, "192.0.2.1"))
        shapes.append(work.shape())
    assert {answer.problem for answer in answers} == {SignupProblem.TOO_MANY_SIGNUPS}
    assert len({answer.retry_after_seconds > 0 for answer in answers}) == 1
    assert all(shape == (0, 0, []) for shape in shapes)
    services.jobs.drain()
    assert mailer.sent == []


def test_the_per_ip_limit_comes_first_even_for_malformed_input(services: Services) -> None:
    for n in range(services.settings.signups_per_hour_per_ip):
        services.accounts.sign_up(f"not an address {n}", "x", "y", IP)  # refused by the form, but counted
    refused = services.accounts.sign_up(f"fine{n}@example.com", PASSWORD, PASSWORD, IP)
    assert refused.problem is SignupProblem.TOO_MANY_SIGNUPS


def test_form_problems_are_still_reported(services: Services) -> None:
    assert services.accounts.sign_up("ada@exam\u200bple.com", PASSWORD, PASSWORD).problem is SignupProblem.EMAIL_INVALID
    assert services.accounts.sign_up(ADA, "password1", "password1").problem is SignupProblem.PASSWORD_TOO_COMMON
    assert services.accounts.sign_up(ADA, PASSWORD, PASSWORD + "!").problem is SignupProblem.PASSWORDS_DIFFER
    assert services.jobs.pending() == 0


# ---- the link ------------------------------------------------------------------------------------------


def test_login_waits_for_the_link_which_works_once(services: Services, mailer: RecordingMailer) -> None:
    services.accounts.sign_up(ADA, PASSWORD, PASSWORD, IP)
    token = token_of(verification_link(services, mailer))
    refused = services.accounts.log_in(ADA, PASSWORD)
    assert refused.outcome is LoginOutcome.INVALID_CREDENTIALS and refused.issued is None  # test_unverified_accounts
    assert services.accounts.log_in(ADA, "wrong password").outcome is LoginOutcome.INVALID_CREDENTIALS
    assert services.verification.confirm(token)
    assert not services.verification.confirm(token)  # single use
    assert services.accounts.log_in(ADA, PASSWORD).outcome is LoginOutcome.AUTHENTICATED


def test_the_link_expires_after_24_hours(services: Services, mailer: RecordingMailer, clock: FakeClock) -> None:
    services.accounts.sign_up(ADA, PASSWORD, PASSWORD, IP)
    token = token_of(verification_link(services, mailer))
    clock.advance(24 * 3600)
    assert not services.verification.confirm(token)
    assert services.accounts.log_in(ADA, PASSWORD).outcome is LoginOutcome.INVALID_CREDENTIALS


@pytest.mark.parametrize("token", ["", "x" * 129, "not-a-token", None, 42])
def test_unknown_or_malformed_links_confirm_nothing(services: Services, token: object) -> None:
    assert not services.verification.confirm(token)


def test_a_new_link_voids_the_old_one_and_is_limited(services: Services, mailer: RecordingMailer) -> None:
    services.accounts.sign_up(ADA, PASSWORD, PASSWORD, IP)
    first = token_of(verification_link(services, mailer))
    user = services.accounts.find_by_email(ADA)
    assert user is not None and user.id is not None
    user_id = user.id
    assert services.verification.resend(user_id) is None
    second = token_of(verification_link(services, mailer))
    assert second != first
    assert not services.verification.confirm(first)
    for _ in range(services.settings.signups_per_hour_per_address - 1):
        assert services.verification.resend(user_id) is None
    assert services.verification.resend(user_id) is not None  # the per-address limit
    assert not services.verification.confirm(second)  # replaced by the newest
    assert services.verification.confirm(token_of(verification_link(services, mailer)))
