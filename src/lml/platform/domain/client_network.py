"""The network a client address stands for, in every limit counted per address (holds placed from
it, requests, joins, logins)."""

from __future__ import annotations

import functools
import ipaddress

# One IPv6 subscriber gets a whole /64 (often more): its addresses are one network, as one IPv4
# address is, or a limit per address would be a limit per made-up address.
IPV6_NETWORK_PREFIX = 64


# Parsing an address costs microseconds on every request; a client makes many (bounded: made-up
# addresses only push others out).
@functools.lru_cache(maxsize=65_536)
def address_group(address: str) -> str:
    """An IPv4 address, or the /64 of an IPv6 one (an IPv4-mapped one is its IPv4 address)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_NETWORK_PREFIX), strict=False))
    return str(parsed)
