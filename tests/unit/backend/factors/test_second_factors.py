"""One answer to "which factors does this user have, for this purpose" (SecondFactors.available), and the one
place a method's name becomes a Factor."""

from __future__ import annotations

import pyotp

from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.factors.second_factors import chosen
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user, register_passkey
from tests.support.soft_authenticator import SoftAuthenticator

EVERY_PURPOSE = (Purpose.LOGIN, Purpose.REAUTH, Purpose.RESET)


def test_with_2fa_off_there_is_nothing_to_present(services: Services) -> None:
    user = create_user(services)
    assert all(services.second_factors.available(user.id or 0, purpose) == frozenset() for purpose in EVERY_PURPOSE)
    assert services.second_factors.available(404, Purpose.LOGIN) == frozenset()


def test_a_text_and_a_recovery_code_go_with_2fa(services: Services, enrolled: User) -> None:
    for purpose in EVERY_PURPOSE:
        assert services.second_factors.available(enrolled.id or 0, purpose) == {Factor.SMS, Factor.RECOVERY}


def test_the_app_once_confirmed_and_a_passkey_only_where_a_session_is_challenged(
    services: Services, enrolled: User, authenticator: SoftAuthenticator, clock: FakeClock
) -> None:
    user_id = enrolled.id or 0
    setup = services.totp.begin_setup(user_id, enrolled.email)
    assert services.second_factors.available(user_id, Purpose.LOGIN) == {Factor.SMS, Factor.RECOVERY}  # unconfirmed
    assert services.totp.confirm_setup(user_id, pyotp.TOTP(setup.secret).at(clock.now())).ok
    register_passkey(services, user_id, authenticator)
    everything = {Factor.SMS, Factor.RECOVERY, Factor.TOTP, Factor.PASSKEY}
    assert services.second_factors.available(user_id, Purpose.LOGIN) == everything
    assert services.second_factors.available(user_id, Purpose.REAUTH) == everything
    assert services.second_factors.available(user_id, Purpose.RESET) == everything - {Factor.PASSKEY}


def test_a_method_names_a_factor_once_and_falls_back_to_a_text() -> None:
    assert Factor.named("totp") is Factor.TOTP
    assert Factor.named("nonsense") is None and Factor.named(None) is None and Factor.named(["sms"]) is None
    assert chosen("totp", frozenset({Factor.SMS, Factor.TOTP})) is Factor.TOTP
    assert chosen("passkey", frozenset({Factor.SMS, Factor.TOTP})) is Factor.SMS  # not the user's
    assert chosen("<script>", frozenset(Factor)) is Factor.SMS
