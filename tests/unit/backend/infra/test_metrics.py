"""The operational metrics count what operators alert on, with small closed label sets."""

from __future__ import annotations

from prometheus_client import REGISTRY

from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.services import Services
from tests.support.factories import PASSWORD, create_user


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_logins_and_their_refusals_are_counted(services: Services) -> None:
    create_user(services)
    ok, wrong = (
        sample("sms2fa_logins_total", outcome="authenticated"),
        sample("sms2fa_logins_total", outcome="invalid_credentials"),
    )
    throttled = sample("sms2fa_limit_refusals_total", limit="login_account")
    services.accounts.log_in("ada@example.com", PASSWORD)
    for _ in range(services.settings.login_max_failures_per_account + 2):
        services.accounts.log_in("ada@example.com", "wrong")
    assert sample("sms2fa_logins_total", outcome="authenticated") == ok + 1
    assert sample("sms2fa_logins_total", outcome="invalid_credentials") == wrong + 10
    assert sample("sms2fa_limit_refusals_total", limit="login_account") == throttled + 2


def test_texts_are_counted_by_country_and_outcome(services: Services) -> None:
    sent = sample("sms2fa_texts_total", country="US", outcome="sent")
    cooldown = sample("sms2fa_texts_total", country="US", outcome="cooldown")
    refused = sample("sms2fa_limit_refusals_total", limit="otp_cooldown")
    invalid = sample("sms2fa_texts_total", country="unknown", outcome="invalid_number")
    for _ in range(2):
        services.otp.request_code(purpose=Purpose.LOGIN, user_id=1, session_id=1, phone="+16502531212", client_ip="")
    services.otp.request_code(purpose=Purpose.LOGIN, user_id=2, session_id=2, phone="12", client_ip="")
    assert sample("sms2fa_texts_total", country="US", outcome="sent") == sent + 1
    assert sample("sms2fa_texts_total", country="US", outcome="cooldown") == cooldown + 1
    assert sample("sms2fa_limit_refusals_total", limit="otp_cooldown") == refused + 1
    assert sample("sms2fa_texts_total", country="unknown", outcome="invalid_number") == invalid + 1


def test_verifies_and_lockouts_are_counted_by_factor(services: Services) -> None:
    user = create_user(services, phone="+16502531212")
    assert user.id is not None
    wrong = sample("sms2fa_verifies_total", factor="recovery", outcome="wrong")
    locked = sample("sms2fa_verifies_total", factor="recovery", outcome="locked")
    lockouts = sample("sms2fa_lockouts_total", factor="recovery")
    threshold = services.settings.otp_lockout_threshold
    for _ in range(threshold + 1):
        services.recovery.redeem(user.id, "zzzzz-zzzzz")
    assert sample("sms2fa_verifies_total", factor="recovery", outcome="wrong") == wrong + threshold  # all judged
    assert sample("sms2fa_verifies_total", factor="recovery", outcome="locked") == locked + 1  # refused unjudged
    assert sample("sms2fa_lockouts_total", factor="recovery") == lockouts + 1
