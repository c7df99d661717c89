"""FactorChanges: single-use grants bound to one operation, and one transactional finish for every change."""

from __future__ import annotations

from collections.abc import Callable

import pyotp
import pytest

from sms2fa_app.backend.assurance import Level
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.factors.sms_policy import user_sends_key
from sms2fa_app.backend.flows.factor_changes import ChangeResult, FactorChange
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services
from tests.support.factories import (
    CHROME,
    NEW_PHONE,
    OLD_PHONE,
    PASSWORD,
    account,
    create_user,
    granted,
    register_passkey,
    signed_in,
)
from tests.support.recording_gateway import RecordingGateway
from tests.support.send_windows import sends_counted, spend_sends
from tests.support.soft_authenticator import SoftAuthenticator

NEW_PASSWORD = "a new passphrase, 2026"


def reauthenticate(services: Services, session: ActiveSession, operation: Operation, gateway: RecordingGateway):
    """The password step, then (with 2FA on) a texted code, through the service as the wizard does."""
    changes = services.factor_changes
    assert changes.begin(session, account(services), operation) is FactorChange.DONE
    checked = changes.confirm_password(session, account(services), operation, PASSWORD, "203.0.113.7")
    assert not isinstance(checked, FactorChange)
    if account(services).is_two_factor_enabled:
        changes.send_reauth_code(session, account(services), "203.0.113.7")
        assert changes.verify_reauth(session, Factor.SMS, gateway.sent[-1].code).done


def test_a_grant_used_for_codes_leaves_nothing_to_move_the_number_with(
    services: Services, enrolled: User, gateway: RecordingGateway
) -> None:
    _token, session = signed_in(services)
    reauthenticate(services, session, Operation.REGENERATE_CODES, gateway)
    assert services.factor_changes.regenerate_codes(session).done
    texts = len(gateway.sent)
    changes = services.factor_changes
    assert changes.send_enroll_code(session, account(services), NEW_PHONE, NEW_PHONE, "203.0.113.7") is (
        FactorChange.REAUTH_REQUIRED
    )
    assert changes.verify_enroll_code(session, account(services), "123456", NEW_PHONE).status is (
        FactorChange.REAUTH_REQUIRED
    )
    assert len(gateway.sent) == texts and account(services).phone_number == OLD_PHONE


def test_a_grant_is_used_once(services: Services, enrolled: User, gateway: RecordingGateway) -> None:
    _token, session = signed_in(services)
    reauthenticate(services, session, Operation.REGENERATE_CODES, gateway)
    assert services.factor_changes.regenerate_codes(session).done
    assert services.factor_changes.regenerate_codes(session).status is FactorChange.REAUTH_REQUIRED


def test_a_grant_allows_only_its_operation(services: Services, enrolled: User, gateway: RecordingGateway) -> None:
    _token, session = signed_in(services)
    reauthenticate(services, session, Operation.REGENERATE_CODES, gateway)
    assert services.factor_changes.disable(session).status is FactorChange.REAUTH_REQUIRED
    assert services.factor_changes.remove_totp(session).status is FactorChange.REAUTH_REQUIRED
    assert account(services).is_two_factor_enabled
    assert services.factor_changes.regenerate_codes(session).done  # still there for its own operation


def test_the_password_alone_is_not_enough_to_change_a_factor(
    services: Services, enrolled: User, gateway: RecordingGateway
) -> None:
    _token, session = signed_in(services)
    granted(services, session, Operation.DISABLE, Level.PASSWORD)
    assert services.factor_changes.disable(session).status is FactorChange.REAUTH_REQUIRED
    assert account(services).is_two_factor_enabled


def test_cancel_drops_the_grant(services: Services, enrolled: User, gateway: RecordingGateway) -> None:
    _token, session = signed_in(services)
    reauthenticate(services, session, Operation.DISABLE, gateway)
    services.factor_changes.cancel(session)
    assert services.factor_changes.disable(session).status is FactorChange.REAUTH_REQUIRED
    assert account(services).is_two_factor_enabled


def test_the_code_step_keeps_the_operation_the_password_step_granted(
    services: Services, enrolled: User, gateway: RecordingGateway
) -> None:
    _token, session = signed_in(services)
    changes = services.factor_changes
    changes.confirm_password(session, account(services), Operation.REGENERATE_CODES, PASSWORD, "203.0.113.7")
    changes.send_reauth_code(session, account(services), "203.0.113.7")
    result = changes.verify_reauth(session, Factor.SMS, gateway.sent[-1].code)
    assert result.done and result.operation is Operation.REGENERATE_CODES


def test_an_operation_that_does_not_fit_the_account_is_refused(services: Services, enrolled: User) -> None:
    _token, session = signed_in(services)
    changes = services.factor_changes
    assert changes.begin(session, account(services), Operation.ENABLE_SMS) is FactorChange.NOT_ALLOWED
    assert changes.begin(session, account(services), Operation.REMOVE_TOTP) is FactorChange.NOT_ALLOWED
    refused = changes.confirm_password(session, account(services), Operation.ENABLE_SMS, PASSWORD, "")
    assert refused is FactorChange.NOT_ALLOWED
    assert services.factor_changes.grants.current(1, session.session_id) is None


# ---- one finish for every operation --------------------------------------------------------------


def _operation_runner(
    services: Services, gateway: RecordingGateway, clock: FakeClock, operation: Operation
) -> Callable[[ActiveSession], ChangeResult]:
    """Set the account up so `operation` fits it, and return how the wizard would finish it."""
    changes = services.factor_changes
    if operation is Operation.ENABLE_SMS:
        create_user(services)
    else:
        create_user(services, phone=OLD_PHONE)
    if operation is Operation.REMOVE_TOTP:
        setup = services.totp.begin_setup(1, "ada@example.com")
        assert services.totp.confirm_setup(1, pyotp.TOTP(setup.secret).at(clock.now())).ok
    if operation in (Operation.ENABLE_SMS, Operation.CHANGE_NUMBER):

        def enroll(session: ActiveSession) -> ChangeResult:
            changes.send_enroll_code(session, account(services), NEW_PHONE, NEW_PHONE, "203.0.113.7")
            return changes.verify_enroll_code(session, account(services), gateway.sent[-1].code, NEW_PHONE)

        return enroll
    if operation is Operation.ADD_TOTP:

        def add(session: ActiveSession) -> ChangeResult:
            setup = changes.begin_totp(session, account(services))
            assert not isinstance(setup, FactorChange)
            return changes.confirm_totp(session, pyotp.TOTP(setup.secret).at(clock.now()))

        return add
    authenticator = SoftAuthenticator(services.settings.passkey_origin)
    if operation is Operation.ADD_PASSKEY:

        def add_passkey(session: ActiveSession) -> ChangeResult:
            options = changes.begin_passkey(session, account(services))
            assert isinstance(options, str)
            return changes.add_passkey(session, authenticator.create(options), "Laptop", CHROME)

        return add_passkey
    if operation is Operation.REMOVE_PASSKEY:
        passkey_id = register_passkey(services, 1, authenticator)
        return lambda session: changes.remove_passkey(session, passkey_id)
    if operation is Operation.CHANGE_PASSWORD:
        return lambda session: changes.change_password(session, account(services), NEW_PASSWORD, NEW_PASSWORD)
    return {
        Operation.DISABLE: changes.disable,
        Operation.REGENERATE_CODES: changes.regenerate_codes,
        Operation.REMOVE_TOTP: changes.remove_totp,
        Operation.CHOOSE_WHATSAPP: changes.choose_whatsapp,
    }[operation]


# Deleting the account has its own end (nothing is left to continue): tests/unit/backend/identity/test_deletion.py.
@pytest.mark.parametrize("operation", [op for op in Operation if op is not Operation.DELETE_ACCOUNT])
def test_every_operation_ends_in_the_same_finish(
    services: Services, gateway: RecordingGateway, clock: FakeClock, operation: Operation
) -> None:
    finish = _operation_runner(services, gateway, clock, operation)
    other_token, _other = signed_in(services)  # e.g. an intruder's session
    device = services.devices.remember(1, CHROME)
    epoch = account(services).factor_epoch
    token, session = signed_in(services)
    granted(services, session, operation)

    result = finish(session)

    assert result.done and result.issued is not None, result
    assert services.sessions.resolve(other_token) is None  # every other session ended
    assert services.sessions.resolve(token) is None  # this one continues under a new token
    assert services.sessions.resolve(result.issued.token).session_id == session.session_id
    assert account(services).factor_epoch == epoch + 1  # remembered devices are void
    assert not services.devices.check(1, device)
    assert services.factor_changes.grants.current(1, session.session_id) is None  # the grant is used up


@pytest.mark.parametrize("failing", ["grant", "sessions"])
def test_a_failure_inside_the_finish_changes_nothing(
    services: Services, enrolled: User, gateway: RecordingGateway, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """Redis or the database failing mid-finish rolls the change back with everything else: no new number
    with the intruder's session still alive."""
    other_token, _other = signed_in(services)
    token, session = signed_in(services)
    granted(services, session, Operation.CHANGE_NUMBER)
    changes = services.factor_changes
    changes.send_enroll_code(session, account(services), NEW_PHONE, NEW_PHONE, "203.0.113.7")

    def down(*_args: object, **_kwargs: object) -> None:
        raise ServiceUnavailable("down")

    if failing == "grant":
        monkeypatch.setattr(changes.grants, "consume", down)
    else:
        monkeypatch.setattr(services.sessions, "rotate", down)
    with pytest.raises(ServiceUnavailable):
        changes.verify_enroll_code(session, account(services), gateway.sent[-1].code, NEW_PHONE)
    assert account(services).phone_number == OLD_PHONE and account(services).factor_epoch == 0
    assert services.sessions.resolve(other_token) is not None and services.sessions.resolve(token) is not None


def test_a_cancel_while_the_code_is_checked_is_not_undone(
    services: Services, enrolled: User, gateway: RecordingGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    _token, session = signed_in(services)
    changes = services.factor_changes
    changes.confirm_password(session, account(services), Operation.DISABLE, PASSWORD, "203.0.113.7")
    changes.send_reauth_code(session, account(services), "203.0.113.7")
    verify = services.otp.verify_code

    def verify_then_cancel_elsewhere(**kwargs: object):
        result = verify(**kwargs)
        changes.cancel(session)  # another tab of the same session pressed Cancel meanwhile
        return result

    monkeypatch.setattr(services.otp, "verify_code", verify_then_cancel_elsewhere)
    assert changes.verify_reauth(session, Factor.SMS, gateway.sent[-1].code).status is FactorChange.REAUTH_REQUIRED
    assert changes.grants.current(1, session.session_id) is None
    assert changes.disable(session).status is FactorChange.REAUTH_REQUIRED


def test_reauthentication_texts_have_a_budget_apart_from_new_numbers(
    services: Services, enrolled: User, gateway: RecordingGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Accounts made to text new numbers until the setup budget is gone cannot stop an owner from
    confirming it is them (to turn 2FA off or change the number)."""
    budget = services.otp.policy.sends_per_hour_global
    spend_sends(services.redis, "otp:sends:global:setup", budget, services.clock.now())
    _token, session = signed_in(services)
    services.factor_changes.confirm_password(session, account(services), Operation.DISABLE, PASSWORD, "203.0.113.7")
    sent = services.factor_changes.send_reauth_code(session, account(services), "203.0.113.7")
    assert not isinstance(sent, FactorChange) and sent.resend_after_seconds > 0
    assert gateway.sent[-1].to == OLD_PHONE


# ---- re-authentication with any enrolled factor ------------------------------------------------------


def test_a_lost_phone_is_no_dead_end_the_authenticator_confirms_a_new_number(
    services: Services, enrolled: User, gateway: RecordingGateway, clock: FakeClock
) -> None:
    setup = services.totp.begin_setup(1, "ada@example.com")
    assert services.totp.confirm_setup(1, pyotp.TOTP(setup.secret).at(clock.now())).ok
    clock.advance(30)
    _token, session = signed_in(services)
    changes = services.factor_changes
    assert changes.begin(session, account(services), Operation.CHANGE_NUMBER) is FactorChange.DONE
    changes.confirm_password(session, account(services), Operation.CHANGE_NUMBER, PASSWORD, "203.0.113.7")
    assert changes.verify_reauth(session, Factor.TOTP, pyotp.TOTP(setup.secret).at(clock.now())).done
    assert gateway.texts == []  # nothing was texted to the lost phone
    changes.send_enroll_code(session, account(services), NEW_PHONE, NEW_PHONE, "203.0.113.7")
    assert sends_counted(services.redis, user_sends_key(1, replacing_number=True)) == 1  # the lost phone's own window
    assert changes.verify_enroll_code(session, account(services), gateway.last_code(NEW_PHONE), NEW_PHONE).done
    assert account(services).phone_number == NEW_PHONE


def test_a_recovery_code_confirms_a_change_once_and_is_spent(
    services: Services, enrolled: User, gateway: RecordingGateway
) -> None:
    codes = services.recovery.generate(1)
    _token, session = signed_in(services)
    changes = services.factor_changes
    changes.begin(session, account(services), Operation.DISABLE)
    changes.confirm_password(session, account(services), Operation.DISABLE, PASSWORD, "203.0.113.7")
    assert changes.verify_reauth(session, Factor.RECOVERY, codes[0]).done
    assert services.recovery.remaining(1) == 9
    changes.begin(session, account(services), Operation.DISABLE)  # a second try with the same code
    changes.confirm_password(session, account(services), Operation.DISABLE, PASSWORD, "203.0.113.7")
    refused = changes.verify_reauth(session, Factor.RECOVERY, codes[0])
    assert refused.status is FactorChange.CODE_REJECTED
    assert changes.disable(session).status is FactorChange.REAUTH_REQUIRED


def test_the_password_alone_does_not_confirm_a_change_when_2fa_is_on(services: Services, enrolled: User) -> None:
    _token, session = signed_in(services)
    changes = services.factor_changes
    for operation in (Operation.CHANGE_PASSWORD, Operation.DISABLE, Operation.DELETE_ACCOUNT):
        changes.begin(session, account(services), operation)
        changes.confirm_password(session, account(services), operation, PASSWORD, "203.0.113.7")
    changed = changes.change_password(session, account(services), NEW_PASSWORD, NEW_PASSWORD)
    assert changed.status is FactorChange.REAUTH_REQUIRED
    assert services.accounts.confirm_password(1, PASSWORD).outcome.value == "authenticated"


def test_without_2fa_the_password_confirms_a_password_change(services: Services) -> None:
    create_user(services)
    _token, session = signed_in(services)
    changes = services.factor_changes
    changes.begin(session, account(services), Operation.CHANGE_PASSWORD)
    changes.confirm_password(session, account(services), Operation.CHANGE_PASSWORD, PASSWORD, "203.0.113.7")
    weak = changes.change_password(session, account(services), "qwerty123", "qwerty123")
    assert weak.status is FactorChange.PASSWORD_REFUSED and weak.password_problem.value == "too_common"
    assert changes.change_password(session, account(services), NEW_PASSWORD, NEW_PASSWORD).done
    assert services.accounts.confirm_password(1, NEW_PASSWORD).outcome.value == "authenticated"
