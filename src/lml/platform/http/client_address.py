"""Who the client is, for every per-address limit (rate limits, the address cap on held places, login
throttles, waiting-room joins): decided once per request by `lml.platform.http.edge`, which puts it
in the scope's `client`, where Litestar's `connection.client` (and so
`lml.platform.http.auth.client_address`) reads it.

The client is the connection's peer, unless the peer is a trusted proxy (LML_TRUSTED_PROXIES): then
it is the right-most address of the forwarded header (LML_FORWARDED_HEADER: `X-Forwarded-For`, or
RFC 7239 `Forwarded`) that is not itself a trusted proxy. Right to left, because each proxy appends
the address it saw: the entries left of the last one a trusted proxy wrote are whatever the client
sent, and anyone may send any. Only one header is read: a proxy that writes one of them passes the
other through as the client sent it. From a peer that is not trusted, the header is ignored."""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from lml.config import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# RFC 7239: `for=` in one forwarded-element, a token or a quoted string (an IPv6 address is quoted).
_FORWARDED_FOR = re.compile(r'(?:^|;)\s*for\s*=\s*("[^"]*"|[^;,\s]*)', re.IGNORECASE)


# The same few addresses (peers, proxies) on every request: parsed once each (bounded).
@functools.lru_cache(maxsize=65_536)
def parse_address(value: str) -> IPAddress | None:
    """An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or
    `[2001:db8::1]:4711`; None for anything else (`unknown`, an obfuscated `_hidden`, garbage)."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value, closed, port = value[1:].partition("]")
        if not closed or (port and not port.startswith(":")):
            return None
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d: one client, one address.
    return address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address


def forwarded_for(values: Iterable[str], header: Literal["x-forwarded-for", "forwarded"]) -> list[str]:
    """The hops a forwarded header lists, left to right (several header lines are one list, RFC 9110)."""
    joined = ",".join(values)
    if header == "x-forwarded-for":
        return [hop.strip() for hop in joined.split(",")]
    return [match.group(1) if (match := _FORWARDED_FOR.search(element)) else "" for element in joined.split(",")]


class TrustedProxies:
    def __init__(self, networks: Sequence[IPNetwork], header: Literal["x-forwarded-for", "forwarded"]) -> None:
        self._networks = tuple(networks)
        self.header = header
        # Decided on every request, from a proxy's header about 13 µs: a client's requests come with the
        # same peer and header, decided once (bounded).
        self._decided = functools.lru_cache(maxsize=16_384)(self._client)

    def trusts(self, address: IPAddress) -> bool:
        return any(address in network for network in self._networks)

    def client(self, peer: str, forwarded: Iterable[str]) -> str:
        """The client's address, given the connection's peer and the values of the forwarded header."""
        return self._decided(peer, tuple(forwarded))

    def _client(self, peer: str, forwarded: tuple[str, ...]) -> str:
        nearest = parse_address(peer)
        if nearest is None or not self._networks or not self.trusts(nearest):
            return str(nearest) if nearest is not None else peer
        for hop in reversed(forwarded_for(forwarded, self.header)):
            address = parse_address(hop)
            if address is None:
                # A trusted proxy did not know (or would not say) who came: the proxy is the client
                # as far as we can tell, rather than a value anyone could have written.
                break
            nearest = address
            if not self.trusts(address):
                break
        return str(nearest)
