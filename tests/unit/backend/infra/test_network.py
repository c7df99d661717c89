"""network_of: the /24 of an IPv4 address, the /64 of an IPv6 one; network_prefix: the same at any prefix."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.infra.client import approximate_network
from sms2fa_app.backend.infra.network import UNKNOWN_NETWORK, network_of, network_prefix


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.7", "203.0.113.0/24"),
        ("203.0.113.250", "203.0.113.0/24"),
        (" 198.51.100.1 ", "198.51.100.0/24"),
        ("2001:db8:1:2::99", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("::ffff:203.0.113.7", "203.0.113.0/24"),  # an IPv4 client seen through a dual-stack socket
        ("", UNKNOWN_NETWORK),
        ("not an address", UNKNOWN_NETWORK),
        ("203.0.113.7:443", UNKNOWN_NETWORK),
    ],
)
def test_network_of(ip: str, network: str) -> None:
    assert network_of(ip) == network


def test_neighbouring_networks_differ() -> None:
    assert network_of("203.0.113.7") != network_of("203.0.114.7")
    assert network_of("2001:db8:1:2::1") != network_of("2001:db8:1:3::1")


def test_one_helper_serves_limits_and_display_with_their_own_prefixes() -> None:
    """Limits group IPv6 by /64 (network_of); what the activity log shows groups by /48 (client.py)."""
    ip = "2001:db8:1:2::99"
    assert network_prefix(ip) == network_of(ip) == "2001:db8:1:2::/64"
    assert network_prefix(ip, ipv6_prefix=48) == approximate_network(ip) == "2001:db8:1::/48"
    assert network_prefix("203.0.113.7", ipv4_prefix=16) == "203.0.0.0/16"
    assert network_prefix("nonsense") == approximate_network("nonsense") == "" and network_of("nonsense") == "unknown"
