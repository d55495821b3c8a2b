"""The client's address behind trusted proxies: the right-most forwarded hop that is not a trusted
proxy itself; from an untrusted peer, the header is ignored."""

from __future__ import annotations

import ipaddress

import pytest

from lml.platform.http.client_address import TrustedProxies, forwarded_for, parse_address

PROXIES = TrustedProxies([ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:f::/48")],
                         "x-forwarded-for")


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        # Not a trusted proxy: whatever it says of itself is ignored.
        ("198.51.100.7", ["203.0.113.9"], "198.51.100.7"),
        # A trusted proxy with no header, or an empty one: the proxy is all we know.
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", [""], "10.0.0.2"),
        ("10.0.0.2", ["203.0.113.9"], "203.0.113.9"),
        # The client wrote its own header; the proxy appended what it saw: the right-most counts.
        ("10.0.0.2", ["1.2.3.4, 203.0.113.9"], "203.0.113.9"),
        # Two proxies of ours in a row, and header lines that are one list.
        ("10.0.0.2", ["1.2.3.4, 203.0.113.9, 10.1.1.1"], "203.0.113.9"),
        ("10.0.0.2", ["1.2.3.4", "203.0.113.9", "10.1.1.1"], "203.0.113.9"),
        # Every hop is ours: the left-most of them.
        ("10.0.0.2", ["10.9.9.9, 10.1.1.1"], "10.9.9.9"),
        # A hop a trusted proxy could not name: the nearest proxy, never the client's own words.
        ("10.0.0.2", ["203.0.113.9, unknown"], "10.0.0.2"),
        ("10.0.0.2", ["203.0.113.9, unknown, 10.1.1.1"], "10.1.1.1"),
        ("10.0.0.2", ["garbage"], "10.0.0.2"),
        # Ports and IPv6, as proxies write them.
        ("10.0.0.2", ["203.0.113.9:4711"], "203.0.113.9"),
        ("10.0.0.2", ["[2001:db8:1::7]:4711"], "2001:db8:1::7"),
        ("2001:db8:f::1", ["2001:db8:1::7"], "2001:db8:1::7"),
        ("::ffff:10.0.0.2", ["203.0.113.9"], "203.0.113.9"),
        ("::ffff:198.51.100.7", [], "198.51.100.7"),
        # A peer that is no address at all (a test client, a Unix socket) stays what it is.
        ("testclient", ["203.0.113.9"], "testclient"),
    ],
)
def test_the_client_is_the_right_most_hop_that_is_not_a_trusted_proxy(
    peer: str, header: list[str], client: str
) -> None:
    assert PROXIES.client(peer, header) == client


def test_without_trusted_proxies_every_header_is_ignored() -> None:
    assert TrustedProxies([], "x-forwarded-for").client("10.0.0.2", ["203.0.113.9"]) == "10.0.0.2"


def test_rfc_7239_forwarded_names_its_hops_in_for() -> None:
    proxies = TrustedProxies([ipaddress.ip_network("10.0.0.0/8")], "forwarded")
    header = ['for=1.2.3.4, for="[2001:db8:1::7]:4711";proto=https', "by=10.0.0.2;For=203.0.113.9;proto=http"]
    assert forwarded_for(header, "forwarded") == ["1.2.3.4", '"[2001:db8:1::7]:4711"', "203.0.113.9"]
    assert proxies.client("10.0.0.2", header) == "203.0.113.9"
    assert proxies.client("10.0.0.2", ['for="[2001:db8:1::7]:4711"']) == "2001:db8:1::7"
    assert proxies.client("10.0.0.2", ["for=_hidden"]) == "10.0.0.2"


@pytest.mark.parametrize("value", ["", "unknown", "_hidden", "1.2.3", "[::1", "999.1.1.1", "a:b:c"])
def test_what_is_no_address_is_none(value: str) -> None:
    assert parse_address(value) is None
