"""An address's account cannot be told apart by logging in: an unconfirmed account with the right password is
answered as a wrong password (its owner silently gets a new link, within the mail limit). A pending (unconfirmed)
account is replaced by a new sign-up for its address and expires after UNVERIFIED_ACCOUNT_TTL_HOURS, so nobody can
squat an address they cannot read."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.identity.accounts import LoginOutcome, LoginResult
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services
from tests.support.counting import counted
from tests.support.factories import create_user
from tests.support.recording_mailer import RecordingMailer

VICTIM = "victim@example.com"  # nobody has signed up with it: the attacker tries
TAKEN = "taken@example.com"  # a confirmed account
MINE = "the attacker's own passphrase 1"
OWNER = "the owner's own passphrase 2"


def users(services: Services) -> int:
    with services.database.session() as db:
        return db.exec(select(func.count()).select_from(User)).one()


def verify_links(mailer: RecordingMailer, email: str) -> list[str]:
    return [mail for mail in mailer.to(email) if "/verify-email?token=" in mail.text]


def token_of(mailer: RecordingMailer, email: str) -> str:
    return mailer.last_link(email, "/verify-email").split("token=", 1)[1]


def test_an_unconfirmed_account_answers_exactly_like_a_wrong_password(
    services: Services, mailer: RecordingMailer, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user(services, TAKEN)
    services.accounts.sign_up(VICTIM, MINE, MINE)  # step 1: sign the address up with a password of one's own
    services.jobs.drain()
    with counted(services, monkeypatch) as new_work:
        new = services.accounts.log_in(VICTIM, MINE)  # step 2: log in with it
    with counted(services, monkeypatch) as taken_work:
        taken = services.accounts.log_in(TAKEN, MINE)
    assert new == taken == LoginResult(LoginOutcome.INVALID_CREDENTIALS)
    assert new_work.shape()[:2] == taken_work.shape()[:2]  # the same SQL and hashing in the answer
    services.jobs.drain()
    assert len(verify_links(mailer, VICTIM)) == 2  # the owner of the address got a new link, silently


def test_the_right_password_of_an_unconfirmed_account_counts_as_a_failure(services: Services) -> None:
    services.accounts.sign_up(VICTIM, MINE, MINE)
    services.jobs.drain()
    for _ in range(services.settings.login_max_failures_per_account):
        assert services.accounts.log_in(VICTIM, MINE).outcome is LoginOutcome.INVALID_CREDENTIALS
    assert services.accounts.log_in(VICTIM, MINE).outcome is LoginOutcome.THROTTLED  # as for a wrong password


def test_the_silent_new_links_are_limited(services: Services, mailer: RecordingMailer) -> None:
    services.accounts.sign_up(VICTIM, MINE, MINE)
    for _ in range(services.settings.signups_per_hour_per_address + 2):
        services.accounts.log_in(VICTIM, MINE, client_ip="198.51.100.1")
        services.jobs.drain()
    assert len(verify_links(mailer, VICTIM)) == 1 + services.settings.signups_per_hour_per_address  # sign-up's own


def test_signing_up_again_replaces_the_pending_account(services: Services, mailer: RecordingMailer) -> None:
    services.accounts.sign_up(VICTIM, MINE, MINE)
    services.jobs.drain()
    squatter_link = token_of(mailer, VICTIM)
    services.accounts.sign_up(VICTIM, OWNER, OWNER)  # the owner signs up: a new link, not "someone tried"
    services.jobs.drain()
    assert users(services) == 1 and len(verify_links(mailer, VICTIM)) == 2
    assert not services.verification.confirm(squatter_link)  # the old link is void
    assert services.verification.confirm(token_of(mailer, VICTIM))
    assert services.accounts.log_in(VICTIM, MINE).outcome is LoginOutcome.INVALID_CREDENTIALS
    assert services.accounts.log_in(VICTIM, OWNER).outcome is LoginOutcome.AUTHENTICATED


def test_a_confirmed_account_is_never_replaced(services: Services, mailer: RecordingMailer) -> None:
    create_user(services, TAKEN)
    services.accounts.sign_up(TAKEN, MINE, MINE)
    services.jobs.drain()
    assert verify_links(mailer, TAKEN) == [] and "tried to sign up" in mailer.to(TAKEN)[-1].subject
    assert services.accounts.log_in(TAKEN, MINE).outcome is LoginOutcome.INVALID_CREDENTIALS


def test_unconfirmed_accounts_expire(services: Services, mailer: RecordingMailer, clock: FakeClock) -> None:
    create_user(services, TAKEN)  # confirmed: never purged
    create_user(services, "before-verification@example.com", verified=False)  # made without a link: kept
    services.accounts.sign_up(VICTIM, MINE, MINE)
    services.jobs.drain()
    ttl = services.settings.unverified_account_ttl_hours * 3600
    clock.advance(ttl - 60)
    services.accounts.sign_up("fresh@example.com", MINE, MINE)
    services.jobs.drain()
    assert services.verification.purge_expired_unverified(clock.now()) == 0
    clock.advance(61)
    assert services.verification.purge_expired_unverified(clock.now()) == 1
    assert services.accounts.find_by_email(VICTIM) is None
    assert services.accounts.find_by_email("fresh@example.com") is not None
    assert services.accounts.find_by_email(TAKEN) is not None
    assert services.accounts.find_by_email("before-verification@example.com") is not None


def test_an_expired_pending_account_gets_no_new_link_and_the_address_is_free_again(
    services: Services, mailer: RecordingMailer, clock: FakeClock
) -> None:
    services.accounts.sign_up(VICTIM, MINE, MINE)
    services.jobs.drain()
    clock.advance(services.settings.unverified_account_ttl_hours * 3600 + 1)
    assert services.accounts.log_in(VICTIM, MINE).outcome is LoginOutcome.INVALID_CREDENTIALS
    services.jobs.drain()
    assert len(verify_links(mailer, VICTIM)) == 1 and services.accounts.find_by_email(VICTIM) is None
    services.accounts.sign_up(VICTIM, OWNER, OWNER)
    services.jobs.drain()
    assert services.verification.confirm(token_of(mailer, VICTIM))
    assert services.accounts.log_in(VICTIM, OWNER).outcome is LoginOutcome.AUTHENTICATED


def test_an_unconfirmed_account_in_use_is_neither_replaced_nor_purged(
    services: Services, mailer: RecordingMailer, clock: FakeClock
) -> None:
    """An account made while verification was off and used since (it has security activity) is nobody's to take."""
    user = create_user(services, VICTIM, verified=False)
    services.sessions.create(user.id, BY_PASSWORD, how="password")  # it signed in back then
    services.verification.resend(user.id)  # and has a link now: its owner logged in with verification on
    services.accounts.sign_up(VICTIM, MINE, MINE)
    services.jobs.drain()
    assert "tried to sign up" in mailer.to(VICTIM)[-1].subject
    clock.advance(services.settings.unverified_account_ttl_hours * 3600 + 1)
    assert services.verification.purge_expired_unverified(clock.now()) == 0
    assert services.accounts.find_by_email(VICTIM) is not None


def test_the_hourly_purge_expires_pending_accounts_after_their_link_has_expired(
    services: Services, clock: FakeClock
) -> None:
    """The periodic purge drops expired links every hour; a pending account's last link must outlive that, or the
    account it dates would never expire (its link expires long before the account does)."""
    services.accounts.sign_up(VICTIM, MINE, MINE)
    services.jobs.drain()
    ttl = services.settings.unverified_account_ttl_hours * 3600
    for _ in range(ttl // 3600):  # every hour of the pending account's life, as the job worker does
        clock.advance(3600)
        assert services.housekeeping.purge_expired(clock.now()).unverified_accounts == 0
    clock.advance(3600)
    assert services.housekeeping.purge_expired(clock.now()).unverified_accounts == 1
    assert services.accounts.find_by_email(VICTIM) is None
