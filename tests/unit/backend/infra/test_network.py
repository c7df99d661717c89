"""network_of: the /24 of an IPv4 address, the /64 of an IPv6 one."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.infra.network import UNKNOWN_NETWORK, network_of


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
