"""FactorChanges for passkeys: adding and removing through the one finish (logged and noticed in its
transaction), on top of SMS, and gone with 2FA."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.assurance import BY_PASSWORD, Amr, Level
from sms2fa_app.backend.audit.activity import EventKind
from sms2fa_app.backend.factors.grants import Operation, needed_reauth
from sms2fa_app.backend.factors.passkeys import PasskeyProblem
from sms2fa_app.backend.factors.results import Factor, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.flows.factor_changes import FactorChange
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
from tests.support.recording_mailer import RecordingMailer
from tests.support.soft_authenticator import SoftAuthenticator


def kinds(services: Services) -> list[EventKind]:
    """User 1's activity, newest first."""
    return [entry.kind for entry in services.activity.recent(1)]


def test_every_passkey_change_is_logged_and_noticed_inside_its_transaction(
    services: Services,
    enrolled: User,
    gateway: RecordingGateway,
    mailer: RecordingMailer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The activity record is the security notice: one line per committed change, written in its transaction
    (the mail is queued once it commits), and a failure writing it undoes the change."""
    _token, session = signed_in(services)
    authenticator = SoftAuthenticator(services.settings.passkey_origin)
    granted(services, session, Operation.ADD_PASSKEY)
    options = services.factor_changes.begin_passkey(session, account(services))
    assert isinstance(options, str)
    result = services.factor_changes.add_passkey(session, authenticator.create(options), "", CHROME)
    assert result.done and kinds(services)[0] is EventKind.PASSKEY_ADDED
    assert services.jobs.pending() == 1
    services.jobs.drain()
    (mail,) = mailer.to("ada@example.com")
    assert "A passkey was added" in mail.subject

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ServiceUnavailable("the activity line could not be written")

    monkeypatch.setattr(services.activity, "record", refuse)
    session = result.issued.session
    granted(services, session, Operation.REMOVE_PASSKEY)
    [passkey] = services.passkeys.list(1)
    with pytest.raises(ServiceUnavailable):
        services.factor_changes.remove_passkey(session, passkey.passkey_id)
    assert services.passkeys.count(1) == 1 and account(services).factor_epoch == 1
    monkeypatch.undo()
    assert EventKind.PASSKEY_REMOVED not in kinds(services) and services.jobs.pending() == 0
    granted(services, session, Operation.REMOVE_PASSKEY)  # (the failed try used its grant up)
    result = services.factor_changes.remove_passkey(session, passkey.passkey_id)
    assert result.done and kinds(services)[0] is EventKind.PASSKEY_REMOVED
    services.jobs.drain()
    assert "A passkey was removed" in mailer.to("ada@example.com")[-1].subject


def test_a_refused_passkey_keeps_the_grant_and_stores_nothing(services: Services, enrolled: User) -> None:
    _token, session = signed_in(services)
    granted(services, session, Operation.ADD_PASSKEY)
    options = services.factor_changes.begin_passkey(session, account(services))
    assert isinstance(options, str)
    phished = SoftAuthenticator("https://evil.example").create(options)
    result = services.factor_changes.add_passkey(session, phished, "", CHROME)
    assert result.status is FactorChange.PASSKEY_REJECTED and result.passkey_problem is PasskeyProblem.REFUSED
    assert services.passkeys.count(1) == 0 and account(services).factor_epoch == 0
    assurance = services.sessions.assurance(session.session_id)
    assert services.factor_changes.grants.holds(1, session.session_id, Operation.ADD_PASSKEY, assurance)


def test_passkeys_need_their_grant_and_come_on_top_of_sms(services: Services) -> None:
    create_user(services)  # 2FA off: no passkey without SMS under it
    _token, session = signed_in(services)
    changes = services.factor_changes
    assert changes.begin(session, account(services), Operation.ADD_PASSKEY) is FactorChange.NOT_ALLOWED
    assert changes.begin_passkey(session, account(services)) is FactorChange.REAUTH_REQUIRED


def test_removing_the_last_passkey_leaves_sms_in_force_and_only_the_users_own(
    services: Services, enrolled: User
) -> None:
    mine = register_passkey(services, 1, SoftAuthenticator(services.settings.passkey_origin))
    create_user(services, "bob@example.com", phone=NEW_PHONE)
    bobs = register_passkey(services, 2, SoftAuthenticator(services.settings.passkey_origin))
    _token, session = signed_in(services)
    changes = services.factor_changes
    granted(services, session, Operation.REMOVE_PASSKEY)
    assert changes.remove_passkey(session, bobs).status is FactorChange.NOT_ALLOWED
    assert services.passkeys.count(2) == 1
    result = changes.remove_passkey(session, mine)
    assert result.done and services.passkeys.count(1) == 0
    assert account(services).is_two_factor_enabled and account(services).phone_number == OLD_PHONE
    assert changes.begin(result.issued.session, account(services), Operation.REMOVE_PASSKEY) is FactorChange.NOT_ALLOWED


def test_turning_two_factor_off_removes_every_passkey(services: Services, enrolled: User) -> None:
    register_passkey(services, 1, SoftAuthenticator(services.settings.passkey_origin))
    _token, session = signed_in(services)
    granted(services, session, Operation.DISABLE)
    assert services.factor_changes.disable(session).done
    assert services.passkeys.count(1) == 0


# ---- re-authentication with a passkey ----------------------------------------------------------------


def test_a_passkey_confirms_a_change_after_the_password(
    services: Services, enrolled: User, gateway: RecordingGateway
) -> None:
    authenticator = SoftAuthenticator(services.settings.passkey_origin)
    register_passkey(services, 1, authenticator)
    _token, session = signed_in(services)
    changes = services.factor_changes
    assert changes.reauth_passkey_options(session) is FactorChange.REAUTH_REQUIRED  # the password comes first
    assert changes.begin(session, account(services), Operation.DISABLE) is FactorChange.DONE
    changes.confirm_password(session, account(services), Operation.DISABLE, PASSWORD, "203.0.113.7")
    options = changes.reauth_passkey_options(session)
    assert isinstance(options, str)
    result = changes.verify_reauth(session, Factor.PASSKEY, authenticator.get(options))
    assert result.done and result.operation is Operation.DISABLE
    assert gateway.texts == []  # nothing was texted
    assert changes.disable(session).done and not account(services).is_two_factor_enabled


def test_a_passkey_answer_for_another_challenge_does_not_confirm_a_change(services: Services, enrolled: User) -> None:
    authenticator = SoftAuthenticator(services.settings.passkey_origin)
    register_passkey(services, 1, authenticator)
    _token, session = signed_in(services)
    changes = services.factor_changes
    changes.confirm_password(session, account(services), Operation.DISABLE, PASSWORD, "203.0.113.7")
    stale = authenticator.get(changes.reauth_passkey_options(session))
    fresh_options = changes.reauth_passkey_options(session)  # a new challenge replaces the first
    refused = changes.verify_reauth(session, Factor.PASSKEY, stale)
    assert refused.status is FactorChange.CODE_REJECTED and refused.verify.status is VerifyStatus.WRONG
    assert changes.disable(session).status is FactorChange.REAUTH_REQUIRED
    assert EventKind.SECOND_FACTOR_FAILED in kinds(services)
    assert isinstance(fresh_options, str)


def test_a_reset_link_takes_no_passkey(services: Services, enrolled: User) -> None:
    authenticator = SoftAuthenticator(services.settings.passkey_origin)
    register_passkey(services, 1, authenticator)
    options = services.passkeys.authentication_options(1, 7)
    answer = authenticator.get(options)
    result = services.second_factors.verify(1, Factor.PASSKEY, answer, purpose=Purpose.RESET, binding=7)
    assert result.status is VerifyStatus.MALFORMED
    assert services.passkeys.verify(1, 7, answer).ok  # the challenge was left for its own session


def test_passkey_operations_never_take_the_password_alone() -> None:
    """They need 2FA on: even told the account has none, a password-level grant does not do."""
    for operation in (Operation.ADD_PASSKEY, Operation.REMOVE_PASSKEY):
        assert operation.needs_two_factor_on
        assert needed_reauth(operation, two_factor_on=False) is Level.TWO_FACTOR
    assert needed_reauth(Operation.CHANGE_PASSWORD, two_factor_on=False) is Level.PASSWORD


def test_a_grant_stored_before_the_assurance_counts_for_nothing(services: Services) -> None:
    """A grant written by the previous release ("operation|level|expires_at") is no ticket: re-authenticate again."""
    create_user(services, phone="+16502531212")
    _token, session = signed_in(services)
    key = f"reauth:1:{session.session_id}"
    services.redis.set(key, f"add_passkey|password_and_code|{services.clock.now() + 600!r}")
    services.sessions.reauthenticate(session.session_id, BY_PASSWORD)
    services.sessions.reauthenticate(session.session_id, (Amr.SMS,))
    assurance = services.sessions.assurance(session.session_id)
    assert assurance.presented_within(services.clock.now(), 600, two_factor=True)  # only the ticket is missing
    grants = services.factor_changes.grants
    assert grants.current(1, session.session_id) is None
    assert not grants.consume(1, session.session_id, Operation.ADD_PASSKEY, assurance)
    assert services.redis.get(key) is not None  # left alone, to expire


def test_the_activity_line_of_an_added_passkey_names_it(services: Services, enrolled: User) -> None:
    """ "Passkey added: Work laptop" (issue 23): the stored name (a blank one is the browser's label) is the
    event's detail."""
    _token, session = signed_in(services)
    granted(services, session, Operation.ADD_PASSKEY)
    options = services.factor_changes.begin_passkey(session, account(services))
    assert isinstance(options, str)
    authenticator = SoftAuthenticator(services.settings.passkey_origin)
    assert services.factor_changes.add_passkey(session, authenticator.create(options), "  Work   laptop ", CHROME).done
    added = services.activity.recent(1)[0]
    assert (added.kind, added.detail) == (EventKind.PASSKEY_ADDED, "Work laptop")
