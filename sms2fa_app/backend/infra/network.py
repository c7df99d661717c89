"""The network a client address belongs to, for limits that a person cannot dodge by changing one address.

An IPv4 address stands for its /24 and an IPv6 address for its /64: a home, an office or a phone
usually gets a whole /64 (and can pick any address in it at will), and the addresses of one ISP
customer or NAT pool rarely span more than a /24. (Branch issue13 groups the per-IP windows the same
way; the two helpers are to become one.)
"""

from __future__ import annotations

import ipaddress

IPV4_PREFIX = 24
IPV6_PREFIX = 64
UNKNOWN_NETWORK = "unknown"


def network_of(ip: str) -> str:
    """'203.0.113.0/24' for '203.0.113.7', '2001:db8:1:2::/64' for '2001:db8:1:2::99'; an IPv4-mapped IPv6
    address counts as its IPv4 address; anything unparsable is one shared 'unknown' network."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return UNKNOWN_NETWORK
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.version == 4:
        return str(ipaddress.IPv4Network((int(address), IPV4_PREFIX), strict=False))
    return str(ipaddress.IPv6Network((int(address), IPV6_PREFIX), strict=False))  # drops any %zone
