"""Joining lines from one client address is limited (a script making buyers join by the thousand),
within what the operator's settings allow, per show: the join script spends the address's budget,
and a script's keys are all the show's (one Cluster slot)."""

from __future__ import annotations

import asyncio

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


async def test_an_address_that_spent_its_joins_on_one_show_still_joins_another_show_as_many_times(
    api_from: ApiFrom, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, clock: TestClock,
) -> None:
    office = api_from("198.51.100.8")
    first, second = await make_show_on_sale(seats=4), await make_show_on_sale(seats=4)
    for show in (first, second):
        await open_room(office, show, clock)

    assert [(await join(office, first, make_buyer())).status_code for _ in range(4)] == [201, 201, 201, 429]
    assert [(await join(office, second, make_buyer())).status_code for _ in range(4)] == [201, 201, 201, 429]


async def test_buyers_racing_to_join_from_one_address_get_its_budget_and_the_refused_get_no_place(
    api_from: ApiFrom, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    office = api_from("198.51.100.9")
    await open_room(office, show, clock)
    buyers = [make_buyer() for _ in range(20)]

    answers = await asyncio.gather(*(join(office, show, buyer) for buyer in buyers))

    assert sorted(answer.status_code for answer in answers) == [201] * 3 + [429] * 17
    in_line = [(await office.get(f"/v1/shows/{show.show_id}/queue/me", headers=buyer.headers)).status_code
               for buyer in buyers]
    assert in_line == [200 if answer.status_code == 201 else 404 for answer in answers]
    room = await office.get(f"/v1/admin/shows/{show.show_id}/waiting-room", headers=show.operator.headers)
    assert room.json()["waiting"] == 3
