"""Authenticator app (TOTP): setup and confirmation, the ±1 step window, no replay, the shared lockout, encryption."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
import pytest
from sqlmodel import Session

from sms2fa_app.backend.factors import lockout as lockout_module
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.results import VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.factors.totp import AuthenticatorApps, TotpSetup, fernet_for
from sms2fa_app.backend.flows.factor_changes import FactorChange
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import AuthenticatorApp, User
from sms2fa_app.backend.services import Services
from tests.conftest import TEST_SECRET
from tests.support.factories import create_user, granted, log_in
from tests.support.recording_gateway import RecordingGateway
from tests.unit.backend.factors.test_recovery import database_text, failures

PHONE = "+16502531212"
EMAIL = "ada@example.com"


@pytest.fixture
def user_id(services: Services) -> int:
    user = create_user(services, EMAIL, phone=PHONE)
    assert user.id is not None
    return user.id


def code_at(secret: str, when: float) -> str:
    return pyotp.TOTP(secret).at(when)


def wrong_code(secret: str, clock: FakeClock) -> str:
    """A 6-digit code matching none of the steps in the window."""
    window = {code_at(secret, clock.now() + offset) for offset in (-30, 0, 30)}
    return next(guess for guess in ("000000", "111111", "222222", "333333") if guess not in window)


def enabled(services: Services, user_id: int, clock: FakeClock) -> str:
    """Set up and confirm an app; the clock then moves to a fresh step. Returns the secret."""
    setup = services.totp.begin_setup(user_id, EMAIL)
    assert services.totp.confirm_setup(user_id, code_at(setup.secret, clock.now())).status is VerifyStatus.OK
    clock.advance(300)
    return setup.secret


def stored_app(database: Database, user_id: int) -> AuthenticatorApp:
    with database.session() as db:
        app = db.get(AuthenticatorApp, 1)
        assert app is not None and app.user_id == user_id
        return app


def user_row(database: Database, user_id: int) -> User:
    with database.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        return user


# ---- setup ---------------------------------------------------------------------------------------


def test_setup_gives_the_secret_its_uri_and_a_server_rendered_qr(services: Services, user_id: int) -> None:
    setup = services.totp.begin_setup(user_id, EMAIL)
    assert isinstance(setup, TotpSetup)
    assert len(setup.secret) == 32 and len(base64.b32decode(setup.secret)) * 8 == 160
    uri = urlparse(setup.otpauth_uri)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/{services.settings.app_name}:{EMAIL}"
    query = parse_qs(uri.query)
    assert query["secret"] == [setup.secret] and query["issuer"] == [services.settings.app_name]
    assert setup.qr_data_uri.startswith("data:image/svg+xml")
    assert not services.totp.is_enabled(user_id)
    assert services.totp.has_pending_setup(user_id)


def test_a_current_code_confirms_the_setup(services: Services, user_id: int, clock: FakeClock) -> None:
    setup = services.totp.begin_setup(user_id, EMAIL)
    assert services.totp.verify(user_id, code_at(setup.secret, clock.now())).status is VerifyStatus.EXPIRED
    wrong = services.totp.confirm_setup(user_id, wrong_code(setup.secret, clock))
    assert wrong == VerifyResult(VerifyStatus.WRONG, attempts_left=9)
    assert failures(services, user_id) == 1
    assert services.totp.confirm_setup(user_id, code_at(setup.secret, clock.now())) == VerifyResult(VerifyStatus.OK)
    assert services.totp.is_enabled(user_id) and not services.totp.has_pending_setup(user_id)
    assert failures(services, user_id) == 0
    # the code that confirmed cannot sign in afterwards (its step is used)
    assert services.totp.verify(user_id, code_at(setup.secret, clock.now())).status is VerifyStatus.ALREADY_USED


def test_confirming_accepts_one_step_either_way(services: Services, user_id: int, clock: FakeClock) -> None:
    setup = services.totp.begin_setup(user_id, EMAIL)
    assert services.totp.confirm_setup(user_id, code_at(setup.secret, clock.now() - 60)).status is VerifyStatus.WRONG
    assert services.totp.confirm_setup(user_id, code_at(setup.secret, clock.now() - 30)).status is VerifyStatus.OK


def test_confirm_without_a_pending_setup_is_expired_and_not_a_try(
    services: Services, user_id: int, clock: FakeClock
) -> None:
    assert services.totp.confirm_setup(user_id, "123456") == VerifyResult(VerifyStatus.EXPIRED)
    secret = enabled(services, user_id, clock)
    assert services.totp.confirm_setup(user_id, code_at(secret, clock.now())) == VerifyResult(VerifyStatus.EXPIRED)
    assert failures(services, user_id) == 0


def test_a_new_setup_replaces_a_pending_one(services: Services, user_id: int, clock: FakeClock) -> None:
    first = services.totp.begin_setup(user_id, EMAIL)
    second = services.totp.begin_setup(user_id, EMAIL)
    assert first.secret != second.secret
    assert services.totp.confirm_setup(user_id, code_at(first.secret, clock.now())).status is VerifyStatus.WRONG
    assert services.totp.confirm_setup(user_id, code_at(second.secret, clock.now())).status is VerifyStatus.OK


def test_a_confirmed_app_is_never_replaced(services: Services, user_id: int, clock: FakeClock) -> None:
    secret = enabled(services, user_id, clock)
    with pytest.raises(ValueError):
        services.totp.begin_setup(user_id, EMAIL)
    assert services.totp.verify(user_id, code_at(secret, clock.now())).status is VerifyStatus.OK


# ---- verifying -----------------------------------------------------------------------------------


def test_a_current_code_verifies_and_becomes_the_preferred_factor(
    services: Services, user_id: int, clock: FakeClock, database: Database
) -> None:
    secret = enabled(services, user_id, clock)
    assert user_row(database, user_id).preferred_factor == "sms"
    assert services.totp.verify(user_id, code_at(secret, clock.now())) == VerifyResult(VerifyStatus.OK)
    assert user_row(database, user_id).preferred_factor == "totp"


def test_a_replayed_code_is_refused_but_is_no_guess(services: Services, user_id: int, clock: FakeClock) -> None:
    secret = enabled(services, user_id, clock)
    code = code_at(secret, clock.now())
    assert services.totp.verify(user_id, code).status is VerifyStatus.OK
    assert services.totp.verify(user_id, code) == VerifyResult(VerifyStatus.ALREADY_USED)
    assert failures(services, user_id) == 0  # right but used: the lockout gives the slot back
    clock.advance(10)  # same step, later in it
    assert services.totp.verify(user_id, code).status is VerifyStatus.ALREADY_USED


def test_codes_one_step_old_or_new_are_accepted(services: Services, user_id: int, clock: FakeClock) -> None:
    secret = enabled(services, user_id, clock)
    assert services.totp.verify(user_id, code_at(secret, clock.now() - 30)).status is VerifyStatus.OK
    clock.advance(300)
    assert services.totp.verify(user_id, code_at(secret, clock.now() + 30)).status is VerifyStatus.OK
    # a step at or before the last one used is refused, even inside the window
    assert services.totp.verify(user_id, code_at(secret, clock.now())).status is VerifyStatus.ALREADY_USED
    clock.advance(30)
    assert services.totp.verify(user_id, code_at(secret, clock.now())).status is VerifyStatus.ALREADY_USED  # same step
    assert services.totp.verify(user_id, code_at(secret, clock.now() + 30)).status is VerifyStatus.OK


@pytest.mark.parametrize("offset", [-90, -60, 60, 90, 3600])
def test_codes_two_or_more_steps_off_are_refused(
    services: Services, user_id: int, clock: FakeClock, offset: int
) -> None:
    secret = enabled(services, user_id, clock)
    code = code_at(secret, clock.now() + offset)
    window = {code_at(secret, clock.now() + delta) for delta in (-30, 0, 30)}
    if code in window:  # a one-in-a-million collision of the fixed secret's codes
        pytest.skip("code collides with the window")
    assert services.totp.verify(user_id, code) == VerifyResult(VerifyStatus.WRONG, attempts_left=9)


@pytest.mark.parametrize("raw", ["", "12345", "1234567", "abcdef", "12 34 5", None])
def test_malformed_codes_are_not_a_try(services: Services, user_id: int, clock: FakeClock, raw) -> None:
    enabled(services, user_id, clock)
    assert services.totp.verify(user_id, raw) == VerifyResult(VerifyStatus.MALFORMED)
    assert services.totp.confirm_setup(user_id, raw) == VerifyResult(VerifyStatus.MALFORMED)
    assert failures(services, user_id) == 0


def test_codes_with_spaces_or_dashes_are_accepted(services: Services, user_id: int, clock: FakeClock) -> None:
    secret = enabled(services, user_id, clock)
    code = code_at(secret, clock.now())
    assert services.totp.verify(user_id, f" {code[:3]} {code[3:]} ").status is VerifyStatus.OK


def test_without_a_confirmed_app_verify_is_expired(services: Services, user_id: int) -> None:
    assert services.totp.verify(user_id, "123456") == VerifyResult(VerifyStatus.EXPIRED)
    assert not services.totp.is_enabled(user_id)


def test_another_users_app_does_not_verify_for_this_user(services: Services, user_id: int, clock: FakeClock) -> None:
    other = create_user(services, "bob@example.com", phone="+16502531213")
    assert other.id is not None
    setup = services.totp.begin_setup(other.id, "bob@example.com")
    services.totp.confirm_setup(other.id, code_at(setup.secret, clock.now()))
    clock.advance(300)
    assert services.totp.verify(user_id, code_at(setup.secret, clock.now())).status is VerifyStatus.EXPIRED


# ---- removing ------------------------------------------------------------------------------------


def test_remove_disables_bumps_the_epoch_and_resets_the_preference(
    services: Services, user_id: int, clock: FakeClock, database: Database
) -> None:
    secret = enabled(services, user_id, clock)
    assert services.totp.verify(user_id, code_at(secret, clock.now())).status is VerifyStatus.OK
    epoch = user_row(database, user_id).factor_epoch
    session = granted(services, log_in(services).session, Operation.REMOVE_TOTP)
    assert services.factor_changes.remove_totp(session).done
    assert not services.totp.is_enabled(user_id)
    assert services.totp.verify(user_id, code_at(secret, clock.now() + 30)).status is VerifyStatus.EXPIRED
    user = user_row(database, user_id)
    assert user.factor_epoch == epoch + 1 and user.preferred_factor == "sms"
    services.totp.remove(user_id)  # nothing left: a no-op
    assert not services.factor_changes.remove_totp(session).done  # the grant was used once
    assert user_row(database, user_id).factor_epoch == epoch + 1
    # and a new app can be set up
    assert services.totp.begin_setup(user_id, EMAIL).secret != secret


def test_removing_a_pending_setup_is_not_a_factor_change(services: Services, user_id: int, database: Database) -> None:
    services.totp.begin_setup(user_id, EMAIL)
    epoch = user_row(database, user_id).factor_epoch
    services.totp.remove(user_id)
    assert not services.totp.has_pending_setup(user_id)
    assert user_row(database, user_id).factor_epoch == epoch


def test_confirming_bumps_the_epoch_and_voids_remembered_devices(
    services: Services, user_id: int, clock: FakeClock, database: Database
) -> None:
    token = services.devices.remember(user_id, "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36")
    epoch = user_row(database, user_id).factor_epoch
    setup = services.totp.begin_setup(user_id, EMAIL)
    session = granted(services, log_in(services).session, Operation.ADD_TOTP)
    assert services.factor_changes.confirm_totp(session, code_at(setup.secret, clock.now())).done
    assert user_row(database, user_id).factor_epoch == epoch + 1
    assert not services.devices.check(user_id, token)


# ---- the secret at rest --------------------------------------------------------------------------


def test_the_secret_is_stored_encrypted_only(
    services: Services, user_id: int, clock: FakeClock, database: Database
) -> None:
    secret = enabled(services, user_id, clock)
    stored = database_text(database)
    assert secret not in stored and secret.lower() not in stored.lower()
    encrypted = stored_app(database, user_id).secret_encrypted
    assert fernet_for(TEST_SECRET).decrypt(encrypted.encode()).decode() == secret


def test_a_different_server_key_cannot_read_the_secret(services: Services, user_id: int, clock: FakeClock) -> None:
    secret = enabled(services, user_id, clock)
    other = AuthenticatorApps(services.database, services.lockout, clock, "another-secret-key-0123456789-abcdef", "x")
    assert other.verify(user_id, code_at(secret, clock.now())).status is VerifyStatus.WRONG
    assert services.totp.verify(user_id, code_at(secret, clock.now())).status is VerifyStatus.OK


# ---- the lockout shared with SMS -----------------------------------------------------------------


def test_totp_failures_lock_totp_and_sms_verifies(
    services: Services, user_id: int, clock: FakeClock, gateway: RecordingGateway
) -> None:
    secret = enabled(services, user_id, clock)
    session_id = log_in(services).session.session_id
    wrong = wrong_code(secret, clock)
    for tried in range(1, 10):
        assert services.totp.verify(user_id, wrong) == VerifyResult(VerifyStatus.WRONG, attempts_left=10 - tried)
    assert services.totp.verify(user_id, wrong) == VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=60)
    assert services.totp.verify(user_id, code_at(secret, clock.now())).status is VerifyStatus.LOCKED
    services.otp.request_code(
        purpose=Purpose.LOGIN, user_id=user_id, session_id=session_id, phone=PHONE, client_ip="203.0.113.7"
    )
    result = services.otp.verify_code(
        purpose=Purpose.LOGIN, user_id=user_id, session_id=session_id, code=gateway.sent[-1].code
    )
    assert result.status is VerifyStatus.LOCKED
    clock.advance(60)
    assert services.totp.verify(user_id, code_at(secret, clock.now())).status is VerifyStatus.OK
    assert failures(services, user_id) == 0


def test_sms_and_recovery_failures_lock_totp(
    services: Services, user_id: int, clock: FakeClock, gateway: RecordingGateway
) -> None:
    secret = enabled(services, user_id, clock)
    session_id = log_in(services).session.session_id
    services.otp.request_code(
        purpose=Purpose.LOGIN, user_id=user_id, session_id=session_id, phone=PHONE, client_ip="203.0.113.7"
    )
    sent = gateway.sent[-1].code
    wrong_sms = "000000" if sent != "000000" else "111111"
    for _ in range(5):
        services.otp.verify_code(purpose=Purpose.LOGIN, user_id=user_id, session_id=session_id, code=wrong_sms)
    for _ in range(4):
        assert services.recovery.redeem(user_id, "zzzzz-zzzzz").status is VerifyStatus.WRONG
    assert failures(services, user_id) == 9
    assert services.totp.verify(user_id, wrong_code(secret, clock)).status is VerifyStatus.LOCKED
    assert services.totp.verify(user_id, code_at(secret, clock.now())).status is VerifyStatus.LOCKED
    assert services.totp.confirm_setup(user_id, "123456").status is VerifyStatus.LOCKED


def test_the_qr_code_is_black_on_white_with_a_four_module_quiet_zone() -> None:
    from urllib.parse import unquote

    from sms2fa_app.backend.factors.totp import qr_data_uri

    svg = unquote(qr_data_uri("otpauth://totp/sms2fa:ada@example.com?secret=JBSWY3DPEHPK3PXP"))
    assert "<path fill='#fff' d='M0 0h" in svg and "stroke='#000'" in svg  # a white square, not transparent
    assert "M4 4.5h" in svg  # the first dark module starts 4 modules in


def test_confirming_in_a_factor_change_never_waits_with_its_transaction_open(
    services: Services, user_id: int, clock: FakeClock, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review L1: a lock met while another check is in flight is waited out before the change's transaction
    opens, never inside it (the wait sleeps in the shared thread pool, holding whatever it holds)."""
    setup = services.totp.begin_setup(user_id, EMAIL)
    session = granted(services, log_in(services).session, Operation.ADD_TOTP)
    for _ in range(services.lockout.policy.threshold - 1):
        services.lockout.register_failure(user_id)
    in_flight = services.lockout.reserve(user_id)  # reaches the threshold: locked while it is being checked
    assert not isinstance(in_flight, VerifyResult) and in_flight.lock_seconds
    open_transactions: list[int] = []
    real_session = database.session

    @contextmanager
    def tracked_session() -> Iterator[Session]:
        open_transactions.append(1)
        try:
            with real_session() as db:
                yield db
        finally:
            open_transactions.pop()

    sleeps_with_transactions_open: list[int] = []
    monkeypatch.setattr(database, "session", tracked_session)
    monkeypatch.setattr(lockout_module, "SETTLE_WAIT_SECONDS", 0.1)
    monkeypatch.setattr(
        lockout_module.time, "sleep", lambda _: sleeps_with_transactions_open.append(len(open_transactions))
    )
    result = services.factor_changes.confirm_totp(session, code_at(setup.secret, clock.now()))
    assert result.status is FactorChange.CODE_REJECTED
    assert result.verify is not None and result.verify.status is VerifyStatus.LOCKED
    assert sleeps_with_transactions_open and set(sleeps_with_transactions_open) == {0}
