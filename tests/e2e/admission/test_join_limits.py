"""Joining lines from one client address is limited (a script making buyers join by the thousand),
within what the operator's settings allow."""

from __future__ import annotations

import msgspec
import pytest

from lml.config import Settings
from tests.e2e.admission.test_waiting_room import join, open_room
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.seating import ApiFrom, MakeBuyer
from tests.timing import TestClock


@pytest.fixture
def settings(base_settings: Settings, clean_world: None) -> Settings:
    return msgspec.structs.replace(base_settings, queue_joins_per_address=3)


async def test_one_address_joins_so_many_buyers_then_waits_while_another_goes_on(
    api_from: ApiFrom, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    office, home = api_from("198.51.100.7"), api_from("203.0.113.9")
    await open_room(office, show, clock)

    answers = [(await join(office, show, make_buyer())).status_code for _ in range(4)]
    assert answers == [201, 201, 201, 429]
    refused = await join(office, show, make_buyer())
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["Retry-After"]) >= 1
    assert (await join(home, show, make_buyer())).status_code == 201


async def test_the_addresses_of_one_ipv6_network_share_its_limit(
    api_from: ApiFrom, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    await open_room(api_from("2001:db8:7:1::1"), show, clock)

    # A /64 is one subscriber's: a new address of it is not a new bucket; another /64 is another's.
    answers = [(await join(api_from(f"2001:db8:7:1::{n:x}"), show, make_buyer())).status_code for n in range(2, 6)]
    assert answers == [201, 201, 201, 429]
    assert (await join(api_from("2001:db8:7:2::2"), show, make_buyer())).status_code == 201
