"""Re-authentication binds a second factor to the password confirmation that started its ticket (review of issue
21): a code checked for one operation must never count for another operation whose password was confirmed while
the code was being checked."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.flows.factor_changes import FactorChange
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services
from tests.support.factories import PASSWORD, account, create_user, signed_in
from tests.support.recording_gateway import RecordingGateway

IP = "203.0.113.7"


@pytest.fixture
def enrolled(services: Services) -> User:
    """User 1 with 2FA on by a text."""
    return create_user(services, phone="+14155552671")


def test_a_code_checked_for_one_operation_never_counts_for_one_that_replaced_it(
    services: Services, enrolled: User, gateway: RecordingGateway, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _token, session = signed_in(services)
    changes = services.factor_changes
    changes.confirm_password(session, account(services), Operation.DISABLE, PASSWORD, IP)
    changes.send_reauth_code(session, account(services), IP)
    verify = services.otp.verify_code

    def verify_then_replace(**kwargs: object) -> object:
        result = verify(**kwargs)
        # meanwhile, another tab of the same session confirms the password for another operation (same clock reading)
        changes.confirm_password(session, account(services), Operation.REGENERATE_CODES, PASSWORD, IP)
        return result

    monkeypatch.setattr(services.otp, "verify_code", verify_then_replace)
    assert changes.verify_reauth(session, Factor.SMS, gateway.sent[-1].code).status is FactorChange.REAUTH_REQUIRED
    assert changes.regenerate_codes(session).status is FactorChange.REAUTH_REQUIRED  # that one still needs its code


def test_a_new_password_confirmation_is_always_later_than_the_last(services: Services, enrolled: User) -> None:
    _token, session = signed_in(services)
    first = services.sessions.reauthenticate(session.session_id, BY_PASSWORD)
    second = services.sessions.reauthenticate(session.session_id, BY_PASSWORD)  # the same clock reading
    assert first is not None and second is not None and second > first
