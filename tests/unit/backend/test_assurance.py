"""The one assurance value a session carries: its level, and each RFC 8176 method presented with its time (auth_time
and amr are read from them), and what the guards and the re-authentication check read from it."""

from __future__ import annotations

from sms2fa_app.backend.assurance import BY_PASSWORD, Amr, Assurance, Level
from sms2fa_app.backend.factors.grants import REAUTH_GRANT_SECONDS
from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from tests.support.factories import PASSWORD, create_user

PHONE = "+16502531212"


def test_a_password_alone_signs_in_at_the_password_level() -> None:
    assurance = Assurance.first(BY_PASSWORD, 100.0, complete=True)
    assert assurance.level is Level.PASSWORD and assurance.amr == (Amr.PWD,) and assurance.auth_time == 100.0
    assert assurance.signed_in and not assurance.awaiting_second_factor
    assert assurance.at_least(Level.PASSWORD) and not assurance.at_least(Level.TWO_FACTOR)


def test_a_password_waiting_for_its_second_factor_counts_for_nothing_yet() -> None:
    pending = Assurance.first(BY_PASSWORD, 100.0, complete=False)
    assert pending.level is Level.NONE and pending.awaiting_second_factor and not pending.signed_in
    signed_in = pending.adding(Factor.SMS.amr, 130.0)
    assert signed_in.level is Level.TWO_FACTOR and signed_in.amr == (Amr.PWD, Amr.SMS, Amr.MFA)
    assert signed_in.auth_time == 130.0 and not signed_in.awaiting_second_factor


def test_every_factor_names_its_methods_and_two_kinds_make_mfa() -> None:
    assert Assurance.first(Factor.PASSKEY.amr, 1.0, complete=True).amr == (Amr.HWK, Amr.USER, Amr.MFA)
    assert Assurance.first((Amr.PWD, *Factor.TOTP.amr), 1.0, complete=True).amr == (Amr.PWD, Amr.OTP, Amr.MFA)
    assert Factor.RECOVERY.amr == (Amr.OTP,)
    assert Assurance.first((Amr.PWD, Amr.SWK), 1.0, complete=True).level is Level.TWO_FACTOR
    assert Assurance.first((Amr.SMS, Amr.OTP), 1.0, complete=True).level is Level.PASSWORD  # both "has"


def test_re_authentication_is_a_factor_within_n_seconds_on_the_same_value() -> None:
    signed_in = Assurance.first(BY_PASSWORD, 0.0, complete=False).adding(Factor.SMS.amr, 10.0)
    assert signed_in.presented_within(20.0, 600, two_factor=True)  # the sign-in itself is fresh
    password = signed_in.reauthenticated(BY_PASSWORD, 1000.0)
    assert password.level is Level.TWO_FACTOR and password.auth_time == 1000.0
    assert password.presented_within(1000.0 + 599, 600, two_factor=False)
    assert not password.presented_within(1000.0 + 1, 600, two_factor=True)  # the sign-in's text came before it
    assert not password.presented_within(1000.0 + 600, 600, two_factor=False)
    both = password.reauthenticated(Factor.TOTP.amr, 1000.0)
    assert both.presented_within(1000.0 + 599, 600, two_factor=True)
    assert not both.presented_within(1000.0 + 600, 600, two_factor=True)


def test_the_stored_form_reads_back_and_unknown_names_count_for_nothing() -> None:
    value = Assurance.first(BY_PASSWORD, 12.5, complete=False).adding(Factor.SMS.amr, 20.25)
    assert Assurance.from_stored(*value.stored()) == value
    assert Assurance.from_stored("root", 1.0, "pwd magic mfa") == Assurance(Level.NONE, ((Amr.PWD, 1.0),))
    assert Assurance.from_stored("two_factor", 7.0, "pwd sms").amr == (Amr.PWD, Amr.SMS, Amr.MFA)  # migrated rows


def test_the_session_row_carries_it_from_the_password_to_a_re_authentication(
    services: Services, clock: FakeClock
) -> None:
    create_user(services, phone=PHONE)
    pending = services.accounts.log_in("ada@example.com", PASSWORD).issued
    assert pending is not None and pending.session.assurance == Assurance.first(
        BY_PASSWORD, clock.now(), complete=False
    )
    clock.advance(30)
    signed_in = services.sessions.advance(pending.token, Factor.TOTP.amr, "totp")
    assert signed_in is not None
    assurance = signed_in.session.assurance
    assert assurance.level is Level.TWO_FACTOR and assurance.amr == (Amr.PWD, Amr.OTP, Amr.MFA)
    assert assurance.auth_time == clock.now()
    clock.advance(REAUTH_GRANT_SECONDS)
    assert services.sessions.reauthenticate(signed_in.session.session_id, BY_PASSWORD)
    stored = services.sessions.assurance(signed_in.session.session_id)
    assert stored.level is Level.TWO_FACTOR and stored.auth_time == clock.now()
    assert stored.presented_within(clock.now(), REAUTH_GRANT_SECONDS, two_factor=False)
    assert not stored.presented_within(clock.now(), REAUTH_GRANT_SECONDS, two_factor=True)
    assert services.sessions.resolve(signed_in.token).assurance == stored


def test_a_code_from_before_the_password_does_not_count_even_at_the_same_instant() -> None:
    """Re-authentication with a recovery code, then the password again at the same clock reading: the next change
    needs a new code (the order of presentation decides, not the clock)."""
    signed_in = Assurance.first(BY_PASSWORD, 5.0, complete=False).adding(Factor.SMS.amr, 5.0)
    both = signed_in.reauthenticated(BY_PASSWORD, 9.0).reauthenticated(Factor.RECOVERY.amr, 9.0)
    assert both.presented_within(9.0, 600, two_factor=True)
    again = both.reauthenticated(BY_PASSWORD, 9.0)
    assert not again.presented_within(9.0, 600, two_factor=True)
    assert again.amr == (Amr.PWD, Amr.SMS, Amr.OTP, Amr.MFA)  # the session's methods stay for OpenID's amr
    assert Assurance.from_stored(*again.stored()) == again
