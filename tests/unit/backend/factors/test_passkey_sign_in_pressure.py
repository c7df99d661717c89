"""Issue 20, findings 2 and 10: a passkey sign-in on /login is anonymous until its signature verifies.

Knowing a credential id (or the user handle) proves nothing, so an assertion that does not verify is charged
to the client's IP, with a proof of work under pressure, never to the owner's lockout; only a refusal of a
*valid* signature (a sign count that went backwards: a cloned authenticator) counts for its user. A verified
passkey still signs in only an account the password login would let in (the address confirmed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.backend.factors.passkey_sign_in import PasskeySignIn
from sms2fa_app.backend.factors.results import VerifyStatus
from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.infra.crypto import new_token
from sms2fa_app.backend.infra.pow import solve
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from tests.conftest import make_settings
from tests.support.factories import PASSWORD, create_user, register_passkey
from tests.support.soft_authenticator import SoftAuthenticator

PHONE = "+16502531212"
ATTACKER_IP = "198.51.100.66"
VICTIM_IP = "203.0.113.7"
FREE_FAILURES = 3  # POW_AFTER_LOGIN_FAILURES_PER_IP
ATTEMPTS = 12  # more than the lockout threshold (10)


def pressure_settings(tmp_path: Path) -> Settings:
    """Room for many failures per IP, and a proof of work for each past the first few."""
    return make_settings(tmp_path, LOGIN_MAX_FAILURES_PER_IP="50", POW_AFTER_LOGIN_FAILURES_PER_IP=str(FREE_FAILURES))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return pressure_settings(tmp_path)


@pytest.fixture
def ada(services: Services, authenticator: SoftAuthenticator) -> int:
    """An account with 2FA by SMS and one passkey."""
    user_id = create_user(services, phone=PHONE).id or 0
    register_passkey(services, user_id, authenticator)
    return user_id


def sign_in(
    services: Services, authenticator: SoftAuthenticator, ip: str = ATTACKER_IP, proof: str = "", **answer
) -> PasskeySignIn:
    handle = new_token()
    options = services.passkey_sign_in.options(handle)
    return services.passkey_sign_in.sign_in(handle, authenticator.get(options, **answer), ip, "agent", proof)


def forged(attempt: int) -> dict:
    """The victim's credential id with a bad signature, without the user handle, or with another one."""
    return [{"tamper": True}, {"user_handle": None}, {"user_handle": b"y" * 32}][attempt % 3]


def test_bad_assertions_with_the_victims_credential_id_charge_the_ip_never_the_victim(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    refusals = []
    for attempt in range(ATTEMPTS):
        signed = sign_in(services, authenticator, **forged(attempt))
        if signed.refusal is LoginOutcome.PROOF_REQUIRED:
            signed = sign_in(services, authenticator, proof=solve(services.pow.challenge()), **forged(attempt))
        refusals.append(signed)
    assert [signed.result.status for signed in refusals] == [VerifyStatus.WRONG] * ATTEMPTS
    assert all(signed.issued is None for signed in refusals)
    assert services.lockout.wait(ada) == 0 and services.redis.hget(f"otp:fail:{ada}", "n") is None
    assert services.redis.zcard(f"login:fail:ip:{ATTACKER_IP}") == ATTEMPTS  # the attacker's IP paid for them
    # The owner signs in as ever, by password (no proof asked from their network) and by passkey.
    password = services.accounts.log_in("ada@example.com", PASSWORD, VICTIM_IP, "agent")
    assert password.outcome is LoginOutcome.SECOND_FACTOR_REQUIRED
    assert sign_in(services, authenticator, ip=VICTIM_IP).issued is not None


def test_past_the_free_failures_each_passkey_attempt_needs_a_proof_of_work(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    for attempt in range(FREE_FAILURES):
        assert sign_in(services, authenticator, **forged(attempt)).refusal is None
    pressed = sign_in(services, authenticator, tamper=True)
    assert pressed.refusal is LoginOutcome.PROOF_REQUIRED and pressed.issued is None
    assert services.redis.zcard(f"login:fail:ip:{ATTACKER_IP}") == FREE_FAILURES  # nothing counted, nothing checked
    proof = solve(services.pow.challenge())
    assert sign_in(services, authenticator, proof=proof, tamper=True).result.status is VerifyStatus.WRONG
    assert sign_in(services, authenticator, proof=proof).refusal is LoginOutcome.PROOF_REQUIRED  # spent
    # Even the owner's right passkey from that IP needs a proof now; with one it signs in and gives its slot back.
    assert sign_in(services, authenticator, proof=solve(services.pow.challenge())).issued is not None
    assert services.redis.zcard(f"login:fail:ip:{ATTACKER_IP}") == FREE_FAILURES + 1


def test_a_valid_signature_with_a_sign_count_gone_backwards_counts_against_its_user(
    services: Services, authenticator: SoftAuthenticator, ada: int
) -> None:
    assert sign_in(services, authenticator, ip=VICTIM_IP).issued is not None  # the count is 1 now
    for _ in range(9):
        assert sign_in(services, authenticator, ip=VICTIM_IP, sign_count=1).result.status is VerifyStatus.WRONG
    locked = sign_in(services, authenticator, ip=VICTIM_IP, sign_count=1).result
    assert locked.status is VerifyStatus.LOCKED and services.lockout.wait(ada) == 60
    assert services.redis.zcard(f"login:fail:ip:{VICTIM_IP}") == 0  # the signatures were good: no IP charge
    assert sign_in(services, authenticator, ip=VICTIM_IP).result.status is VerifyStatus.LOCKED


def test_an_unverified_account_cannot_sign_in_with_its_passkey(
    services: Services, authenticator: SoftAuthenticator
) -> None:
    user_id = create_user(services, phone=PHONE, verified=False).id or 0
    register_passkey(services, user_id, authenticator)
    signed = sign_in(services, authenticator, ip=VICTIM_IP)
    # answered as for a wrong password (issue 20, finding 5: nothing tells whether the address has an account)
    assert signed.issued is None and signed.refusal is LoginOutcome.INVALID_CREDENTIALS
    assert services.sessions.list_for_user(user_id) == []  # no session was started
