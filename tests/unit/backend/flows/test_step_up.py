"""The step-up a protected page's `recent` rule asks of a signed-in session: a factor again, recorded in the session
(auth_time moves, the level stays) under a new token; nothing changes when the factor is wrong or the session is not
signed in; a code sent for another purpose does not count."""

from __future__ import annotations

from sms2fa_app.backend.assurance import Amr, Level
from sms2fa_app.backend.factors.results import Factor, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.crypto import TokenDigest
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user, log_in
from tests.support.recording_gateway import RecordingGateway

PHONE = "+14155551212"


def signed_in_with_two_factors(services: Services) -> tuple[str, int]:
    user = create_user(services, phone=PHONE)
    issued = services.sessions.advance(log_in(services).token, (Amr.SMS,), "sms")
    assert issued is not None and user.id is not None
    return issued.token, user.id


def test_a_right_code_moves_auth_time_and_rotates_the_token(
    services: Services, clock: FakeClock, gateway: RecordingGateway
) -> None:
    token, user_id = signed_in_with_two_factors(services)
    signed_in_at = services.sessions.resolve(token).assurance.auth_time
    clock.advance(600)
    session = services.sessions.resolve(token)
    user = services.accounts.get(user_id)
    assert isinstance(services.sign_in.send_step_up_code(session, user, "203.0.113.5"), CodeSent)

    step = services.sign_in.step_up(TokenDigest.of(token), session, Factor.SMS, gateway.last_code(PHONE))
    assert step.verify.ok and step.issued is not None
    assert services.sessions.resolve(token) is None  # the old token stopped working
    stepped = services.sessions.resolve(step.issued.token)
    assert stepped.assurance.auth_time == signed_in_at + 600
    assert stepped.assurance.level is Level.TWO_FACTOR and stepped.session_id == session.session_id


def test_a_wrong_code_changes_nothing(services: Services, clock: FakeClock) -> None:
    token, user_id = signed_in_with_two_factors(services)
    clock.advance(600)
    session = services.sessions.resolve(token)
    services.sign_in.send_step_up_code(session, services.accounts.get(user_id), "203.0.113.5")
    step = services.sign_in.step_up(TokenDigest.of(token), session, Factor.SMS, "000000")
    assert not step.verify.ok and step.issued is None
    assert services.sessions.resolve(token).assurance == session.assurance


def test_a_login_code_does_not_count_as_a_step_up(services: Services, gateway: RecordingGateway) -> None:
    create_user(services, phone=PHONE)
    pending = log_in(services)
    services.otp.request_code(
        purpose=Purpose.LOGIN, user_id=1, session_id=pending.session.session_id, phone=PHONE, client_ip="203.0.113.5"
    )
    login_code = gateway.last_code(PHONE)
    issued = services.sessions.advance(pending.token, (Amr.OTP,), "totp")
    step = services.sign_in.step_up(TokenDigest.of(issued.token), issued.session, Factor.SMS, login_code)
    assert step.verify.status is not VerifyStatus.OK and step.issued is None


def test_a_session_waiting_for_its_second_factor_cannot_step_up(services: Services) -> None:
    create_user(services, phone=PHONE)
    pending = log_in(services)
    assert services.sessions.step_up(pending.token, (Amr.SMS,)) is None
    assert services.sessions.resolve(pending.token).assurance.level is Level.NONE
