"""The sign-in use cases: the previous session ends once, a remembered device skips the second factor."""

from __future__ import annotations

from sms2fa_app.backend.factors.results import Factor, VerifyStatus
from sms2fa_app.backend.flows.sign_in import REMEMBERED_DEVICE
from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.infra.crypto import TokenDigest
from sms2fa_app.backend.services import Services
from tests.support.factories import PASSWORD, account, create_user, signed_in

PHONE = "+16502531212"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0"


def test_a_new_password_sign_in_ends_the_previous_session(services: Services) -> None:
    create_user(services)
    previous_token, _previous = signed_in(services)
    result = services.accounts.log_in("ada@example.com", PASSWORD)
    step = services.sign_in.after_password(result, TokenDigest.of(previous_token), None)
    assert step.previous_ended and step.issued is result.issued
    assert services.sessions.resolve(previous_token) is None


def test_a_wrong_password_ends_nothing(services: Services) -> None:
    create_user(services)
    previous_token, _previous = signed_in(services)
    result = services.accounts.log_in("ada@example.com", "wrong password")
    step = services.sign_in.after_password(result, TokenDigest.of(previous_token), None)
    assert step.issued is None and not step.previous_ended
    assert services.sessions.resolve(previous_token) is not None


def test_a_remembered_device_skips_the_second_factor(services: Services) -> None:
    user = create_user(services, phone=PHONE)

    device = services.devices.remember(user.id, BROWSER)
    result = services.accounts.log_in("ada@example.com", PASSWORD)
    assert result.outcome is LoginOutcome.SECOND_FACTOR_REQUIRED
    step = services.sign_in.after_password(result, None, TokenDigest.of(device))
    assert step.device_skipped and step.issued is not None
    assert step.issued.session.is_authenticated and step.issued.session.how == REMEMBERED_DEVICE


def test_a_wrong_code_leaves_the_session_waiting(services: Services) -> None:
    create_user(services, phone=PHONE)
    result = services.accounts.log_in("ada@example.com", PASSWORD)
    assert result.issued is not None
    pending = result.issued
    step = services.sign_in.second_factor(
        TokenDigest.of(pending.token), pending.session, account(services), Factor.TOTP, "000000"
    )
    assert step.verify.status is not VerifyStatus.OK and step.issued is None and step.device_token == ""
    assert services.sessions.resolve(pending.token) is not None
