"""Issue 20, findings 2 and 10, through /login's handlers: forged passkeys from one tab cost proofs of work and
never lock the owner out; an account whose address is unconfirmed cannot sign in with its passkey."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.backend.infra.pow import solve
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from sms2fa_app.state import words
from sms2fa_app.state.challenge import ChallengeState, Factor
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.proof import PROOF_FIELD
from tests.support.factories import PASSWORD, create_user, register_passkey
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer
from tests.support.soft_authenticator import SoftAuthenticator
from tests.support.states import browser_ceremony, make_state, redirect_path, run
from tests.unit.backend.factors.test_passkey_sign_in_pressure import ATTEMPTS, pressure_settings

PHONE = "+14155551212"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return pressure_settings(tmp_path)


@pytest.fixture
def authenticator(services: Services) -> SoftAuthenticator:
    return SoftAuthenticator(services.settings.passkey_origin)


async def passkey_attempt(login: LoginState, authenticator: SoftAuthenticator, **answer) -> None:
    """Press "Sign in with a passkey" (posting the widget's solution, if it shows one) and answer the ceremony."""
    proof = solve(login.pow_challenge) if login.pow_challenge else ""
    await run(login.start_passkey_sign_in({PROOF_FIELD: proof}))
    _, options = browser_ceremony(login)
    await run(login.finish_passkey_sign_in(authenticator.get(options, **answer)))


async def test_forged_passkeys_cost_proofs_and_the_victim_still_signs_in_with_password_and_sms(
    services: Services, authenticator: SoftAuthenticator, gateway: RecordingGateway
) -> None:
    ada = create_user(services, phone=PHONE).id or 0
    register_passkey(services, ada, authenticator)
    attacker = make_state(LoginState)
    errors = []
    for attempt in range(ATTEMPTS):
        await passkey_attempt(attacker, authenticator, tamper=attempt % 2 == 0, user_handle=attempt % 2 == 0 or None)
        errors.append(attacker.error)
        if attacker.error_id == words.login.PASSKEY_PROOF_REQUIRED.id:
            assert attacker.pow_challenge  # the widget shows up to solve the proof
            await passkey_attempt(attacker, authenticator, tamper=True)
            errors.append(attacker.error)
    assert errors.count(words.login.PASSKEY_PROOF_REQUIRED) >= 1
    assert set(errors) == {words.login.PASSKEY_SIGN_IN_FAILED, words.login.PASSKEY_PROOF_REQUIRED}  # never "locked"
    assert services.lockout.wait(ada) == 0
    victim = make_state(LoginState)  # (tests share one client IP: the owner's browser solves the widget too)
    proof = solve(services.pow.challenge())
    events = await run(victim.log_in({"email": "ada@example.com", "password": PASSWORD, PROOF_FIELD: proof}))
    assert redirect_path(events) == "/2fa-challenge"
    challenge = await victim.get_state(ChallengeState)
    await run(challenge.load())
    await run(challenge.use_method(Factor.SMS))  # (the passkey is offered first)
    assert challenge.error == "" and len(gateway.sent) == 1
    assert redirect_path(await run(challenge.verify({"code": gateway.sent[-1].code}))) == "/dashboard"


async def test_an_unverified_account_cannot_sign_in_with_its_passkey(
    services: Services, authenticator: SoftAuthenticator, mailer: RecordingMailer
) -> None:
    ada = create_user(services, phone=PHONE, verified=False).id or 0
    register_passkey(services, ada, authenticator)
    login = make_state(LoginState)
    await passkey_attempt(login, authenticator)
    # what a passkey that didn't sign in says; the address's owner gets a new link by mail, as after a password
    assert login.error_id == "challenge.passkey.expired" and not login._session_token
    services.jobs.drain()
    assert mailer.last_link("ada@example.com", "/verify-email")
