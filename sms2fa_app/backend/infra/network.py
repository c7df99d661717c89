"""The network a client address belongs to: one helper, two purposes that differ only in the prefix.

- Limits (`network_of`): an IPv4 address stands for its /24 and an IPv6 address for its /64, so a person
  cannot dodge a throttle by changing one address: a home, an office or a phone usually gets a whole /64
  (and can pick any address in it at will), and the addresses of one ISP customer or NAT pool rarely span
  more than a /24.
- Per-IP windows (`ip_scope`): an IPv4 address itself, an IPv6 address its /64 (a subscriber gets a whole
  /64, so counting single addresses would give one client 2**64 buckets).
- Display (`client.approximate_network`, the activity log and notices): the /24 or the /48, which names
  where a sign-in came from without naming the client's address.
"""

from __future__ import annotations

import functools
import ipaddress

IPV4_PREFIX = 24
IPV6_PREFIX = 64
UNKNOWN_NETWORK = "unknown"


@functools.lru_cache(maxsize=4096)  # every limited request parses its client's address, mostly the same few
def network_prefix(ip: str, *, ipv4_prefix: int = IPV4_PREFIX, ipv6_prefix: int = IPV6_PREFIX) -> str:
    """The network of `ip` at the given prefix lengths ('203.0.113.0/24', '2001:db8:1:2::/64'); an
    IPv4-mapped IPv6 address counts as its IPv4 address; "" when `ip` is no address."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.version == 4:
        return str(ipaddress.IPv4Network((int(address), ipv4_prefix), strict=False))
    return str(ipaddress.IPv6Network((int(address), ipv6_prefix), strict=False))  # drops any %zone


def network_of(ip: str) -> str:
    """The network limits count by: '203.0.113.0/24' for '203.0.113.7', '2001:db8:1:2::/64' for
    '2001:db8:1:2::99'; anything unparsable is one shared 'unknown' network."""
    return network_prefix(ip) or UNKNOWN_NETWORK


def ip_scope(ip: str) -> str:
    """What a per-IP window counts by: '203.0.113.7' itself, '2001:db8:1:2::/64' for '2001:db8:1:2::99' (an
    IPv4-mapped address as its IPv4 address); an unparsable value itself (cut to 64), "unknown" when empty."""
    scope = network_prefix(ip, ipv4_prefix=32)
    if not scope:
        return (ip or "").strip()[:64] or UNKNOWN_NETWORK
    return scope.removesuffix("/32")
