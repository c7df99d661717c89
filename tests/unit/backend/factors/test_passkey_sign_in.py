"""Signing in with a passkey on /login: no password, the credential names the user; unknown credentials are
refused and rate-limited per IP, and so are forged assertions of known ones; a locked user cannot sign in."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlmodel import select

from sms2fa_app.backend.factors.lockout import lockout_key
from sms2fa_app.backend.factors.passkey_challenges import PASSKEY_CHALLENGE_SECONDS
from sms2fa_app.backend.factors.passkey_sign_in import PasskeySignIn
from sms2fa_app.backend.factors.results import VerifyStatus
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.crypto import new_token
from sms2fa_app.backend.models import Passkey, User
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from tests.conftest import make_settings
from tests.support.factories import create_user, register_passkey
from tests.support.soft_authenticator import SoftAuthenticator

PHONE = "+16502531212"
IP = "203.0.113.7"
IP_LIMIT = 5


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, LOGIN_MAX_FAILURES_PER_IP=str(IP_LIMIT))


@pytest.fixture
def ada(services: Services, authenticator: SoftAuthenticator) -> int:
    user_id = create_user(services, phone=PHONE).id or 0
    register_passkey(services, user_id, authenticator)
    return user_id


def sign_in(services: Services, authenticator: SoftAuthenticator, handle: str | None = None, **answer) -> PasskeySignIn:
    handle = handle or new_token()
    options = services.passkey_sign_in.options(handle)
    return services.passkey_sign_in.sign_in(handle, authenticator.get(options, **answer), IP, "agent")


def test_a_discoverable_passkey_signs_in_in_one_step(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    handle = new_token()
    options = services.passkey_sign_in.options(handle)
    assert '"allowCredentials": []' in options and '"userVerification": "required"' in options
    signed = services.passkey_sign_in.sign_in(handle, authenticator.get(options), IP, "agent")
    assert signed.result.ok and signed.issued is not None
    session = services.sessions.resolve(signed.issued.token)
    assert session is not None and session.user_id == ada and session.is_authenticated
    assert services.accounts.get(ada).preferred_factor == "passkey"


def test_the_sign_in_challenge_is_single_use_bound_to_its_handle_and_expires(
    services: Services, authenticator: SoftAuthenticator, ada: int, clock: FakeClock
) -> None:
    handle = new_token()
    options = services.passkey_sign_in.options(handle)
    response = authenticator.get(options)
    assert services.passkey_sign_in.sign_in(new_token(), response, IP).result.status is VerifyStatus.EXPIRED
    assert services.passkey_sign_in.sign_in(handle, response, IP).result.ok  # its own handle
    assert services.passkey_sign_in.sign_in(handle, response, IP).result.status is VerifyStatus.EXPIRED  # spent
    options = services.passkey_sign_in.options(handle)
    late = authenticator.get(options)
    clock.advance(PASSKEY_CHALLENGE_SECONDS)
    assert services.passkey_sign_in.sign_in(handle, late, IP).result.status is VerifyStatus.EXPIRED
    assert services.redis.zcard(f"login:fail:ip:{IP}") == 0  # nothing to count against the network
    with pytest.raises(ValueError):
        services.passkey_sign_in.options("short")


def test_unknown_credentials_are_refused_logged_and_throttled_per_ip(
    services: Services, ada: int, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = SoftAuthenticator(services.settings.passkey_origin)
    stranger.create(services.passkeys.registration_options(ada, 77, "x@example.com"))  # never stored
    with caplog.at_level(logging.WARNING, logger="sms2fa"):
        for _ in range(IP_LIMIT):
            assert sign_in(services, stranger).result.status is VerifyStatus.WRONG
        throttled = sign_in(services, stranger).result
    assert throttled.status is VerifyStatus.LOCKED and throttled.retry_after_seconds > 0
    assert caplog.text.count("reason=unknown_credential") == IP_LIMIT
    assert "event=login_throttled scope=ip" in caplog.text
    assert services.redis.hget("otp:fail:1", "n") is None  # nobody's lockout: the credential named no one


def test_a_known_credentials_bad_signatures_count_for_the_ip_and_a_locked_user_cannot_sign_in(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    for _ in range(IP_LIMIT):
        assert sign_in(services, authenticator, tamper=True).result.status is VerifyStatus.WRONG
    assert sign_in(services, authenticator, tamper=True).result.status is VerifyStatus.LOCKED  # the IP is throttled
    assert services.lockout.wait(ada) == 0  # a signature that does not verify is nobody's guess (issue 20)
    services.redis.delete(f"login:fail:ip:{IP}")
    for _ in range(10):
        services.lockout.register_failure(ada)
    refused = sign_in(services, authenticator)
    assert refused.result.status is VerifyStatus.LOCKED and refused.issued is None


def test_an_assertion_without_the_user_handle_or_with_another_is_refused(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    assert sign_in(services, authenticator, user_handle=None).result.status is VerifyStatus.WRONG
    assert sign_in(services, authenticator, user_handle=b"x" * 32).result.status is VerifyStatus.WRONG
    assert sign_in(services, authenticator, origin="https://evil.example").issued is None


def test_malformed_responses_are_no_try(services: Services, ada: int) -> None:
    handle = new_token()
    services.passkey_sign_in.options(handle)
    for junk in ("", "{}", "x" * 20_000):
        assert services.passkey_sign_in.sign_in(handle, junk, IP).result.status is VerifyStatus.MALFORMED
    assert services.redis.zcard(f"login:fail:ip:{IP}") == 0


@pytest.mark.parametrize("account_change", ["address_unconfirmed", "two_factor_off"])
def test_a_right_passkey_of_a_refused_account_neither_clears_the_lockout_nor_counts_a_use(
    services: Services, authenticator: SoftAuthenticator, ada: int, account_change: str
) -> None:
    """Review L4: the account and 2FA checks come right after the signature, before the lockout attempt that
    would clear the user's failures and bump the sign count."""
    with services.database.session() as db:
        user = db.get(User, ada)
        assert user is not None
        if account_change == "address_unconfirmed":
            user.email_verified_at = None
        else:
            user.is_two_factor_enabled = False
        db.add(user)
    for _ in range(3):
        services.lockout.register_failure(ada)
    counts = sign_counts(services, ada)
    refused = sign_in(services, authenticator)
    assert refused.issued is None and not refused.result.ok
    assert services.redis.hget(lockout_key(ada), "n") == "3"  # the failures stand
    assert sign_counts(services, ada) == counts  # no use was recorded


def sign_counts(services: Services, user_id: int) -> list[int]:
    with services.database.session() as db:
        return [row.sign_count for row in db.exec(select(Passkey).where(Passkey.user_id == user_id)).all()]
