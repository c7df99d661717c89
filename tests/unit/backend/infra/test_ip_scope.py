"""Per-IP windows count an IPv6 client by its /64: one subscriber's 2**64 addresses are one bucket."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.backend.factors.sms_codes import OtpService, Purpose, SendRefusal
from sms2fa_app.backend.identity.accounts import LoginOutcome, SignupProblem
from sms2fa_app.backend.infra import network
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from tests.conftest import make_settings
from tests.support.factories import PASSWORD, create_user
from tests.support.recording_gateway import RecordingGateway


@pytest.mark.parametrize(
    ("address", "scope"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:0:0:0:ffff", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.9", "198.51.100.9"),  # an IPv4 client seen through a dual-stack socket
        ("", "unknown"),
        ("not an address", "not an address"),
    ],
)
def test_ip_scope(address: str, scope: str) -> None:
    assert network.ip_scope(address) == scope


def addresses_in_one_64(count: int) -> list[str]:
    return [f"2001:db8:aa:bb:{n:x}:{n * 7:x}::{n + 1:x}" for n in range(count)]


def test_failed_logins_from_one_64_share_the_ip_window(services: Services) -> None:
    create_user(services)
    for attempt, address in enumerate(addresses_in_one_64(services.settings.login_max_failures_per_ip)):
        services.accounts.log_in(f"user{attempt}@example.com", "wrong", address)
    blocked = services.accounts.log_in("ada@example.com", PASSWORD, "2001:db8:aa:bb:ffff::1")
    assert blocked.outcome is LoginOutcome.THROTTLED
    elsewhere = services.accounts.log_in("ada@example.com", PASSWORD, "2001:db8:aa:bc::1")  # another /64
    assert elsewhere.outcome is LoginOutcome.AUTHENTICATED


def test_sign_ups_from_one_64_share_the_ip_window(services: Services, clock: FakeClock) -> None:
    for n, address in enumerate(addresses_in_one_64(services.settings.signups_per_hour_per_ip)):
        assert services.accounts.sign_up(f"user{n}@example.com", PASSWORD, PASSWORD, address).problem is None
    refused = services.accounts.sign_up("more@example.com", PASSWORD, PASSWORD, "2001:db8:aa:bb::99")
    assert refused.problem is SignupProblem.TOO_MANY_SIGNUPS


def test_texts_to_one_64_share_the_ip_window(tmp_path: Path, redis_client, clock: FakeClock) -> None:
    otp = OtpService(redis_client, RecordingGateway(), clock, make_settings(tmp_path))
    limit = otp.policy.sends_per_hour_per_ip
    for user, address in enumerate(addresses_in_one_64(limit)):
        otp.request_code(
            purpose=Purpose.ENROLL, user_id=user, session_id=user, phone=f"+1650253{1300 + user}", client_ip=address
        )
    refused = otp.request_code(
        purpose=Purpose.ENROLL, user_id=999, session_id=999, phone="+16502531999", client_ip="2001:db8:aa:bb::42"
    )
    assert refused.reason is SendRefusal.IP_LIMIT
