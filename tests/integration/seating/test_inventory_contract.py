"""Seating's inventory port, one contract run against the in-memory fake the unit tests use
(`InMemoryInventory`) and against PostgreSQL (`PgInventory`, in an operator's unit of work):
materializing once, counts per status, tier and zone, each seat's state, blocking and unblocking
through the use case with its refusals (nothing changes then), and closing the sale."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lml.platform.db import Database
from lml.platform.domain.errors import InvalidInput
from lml.platform.ids import new_id
from lml.seating.application.inventory_counts import inventory_counts
from lml.seating.application.inventory_ports import InventoryRepository
from lml.seating.application.inventory_testing import InMemoryInventory
from lml.seating.application.materialize_inventory import materialize_inventory
from lml.seating.application.seat_blocking import set_seats_blocked
from lml.seating.domain.inventory import (
    InventoryNotFound,
    InventorySeat,
    InventoryZone,
    SeatsNotBlockable,
    SeatState,
)
from lml.seating.infrastructure.pg_inventory import PgInventory
from tests.fixtures.seating import sale_terms

ORG = "0190a000-0000-7000-8000-000000000001"
SEATS = [f"{i:016x}" for i in range(1, 7)]
UNPRICED = "00000000000000ff"


@pytest.fixture(params=["memory", "postgresql"])
def database(request: pytest.FixtureRequest) -> Database | None:
    return request.getfixturevalue("resources").db if request.param == "postgresql" else None


@pytest.fixture
async def inventory(database: Database | None) -> AsyncIterator[InventoryRepository]:
    """The port; on PostgreSQL inside one operator's unit of work, never committed."""
    if database is None:
        yield InMemoryInventory()
        return
    async with database.unit_of_work(org_id=ORG) as uow:
        yield PgInventory(uow.conn)


async def a_show(inventory: InventoryRepository, *, zones: tuple[InventoryZone, ...] = ()) -> str:
    """A show on sale: seats 1-3 `std`, 4-5 `vip` (5 blocked), 6 `std`, and an unpriced blocked seat."""
    show_id = new_id()
    seats = [InventorySeat(s, "vip" if i in (3, 4) else "std", i == 4) for i, s in enumerate(SEATS)]
    await materialize_inventory(inventory, terms=sale_terms(show_id, ORG), zones=zones,
                                seats=[*seats, InventorySeat(UNPRICED, None, True)])
    return show_id


async def seat_counts(inventory: InventoryRepository, show_id: str) -> dict[str, int]:
    return (await inventory_counts(inventory, show_id=show_id)).seats


async def test_an_inventory_is_made_once_and_materializing_again_keeps_it(inventory: InventoryRepository) -> None:
    show_id = new_id()
    assert not await inventory.exists(show_id)
    assert await inventory.counts(show_id) is None
    first = await materialize_inventory(inventory, terms=sale_terms(show_id, ORG),
                                        seats=[InventorySeat(s, "std") for s in SEATS[:2]],
                                        zones=[InventoryZone("floor", "ga", 10)])
    assert (first.created, first.seats, first.zones) == (True, 2, 1)
    again = await materialize_inventory(inventory, terms=sale_terms(show_id, ORG),
                                        seats=[InventorySeat(s, "vip") for s in SEATS], zones=[])
    assert (again.created, again.seats, again.zones) == (False, 2, 1)
    assert await inventory.exists(show_id)
    counts = await inventory_counts(inventory, show_id=show_id)
    assert [(t.tier_id, t.available) for t in counts.tiers] == [("std", 2)]
    assert [(z.zone_id, z.capacity) for z in counts.zones] == [("floor", 10)]


async def test_counts_are_per_status_and_tier_and_zones_come_in_zone_id_order(
    inventory: InventoryRepository,
) -> None:
    show_id = await a_show(inventory, zones=(InventoryZone("stalls-box", "box", 4), InventoryZone("floor", "ga", 300)))
    counts = await inventory_counts(inventory, show_id=show_id)
    assert counts.seats == {"available": 5, "blocked": 2, "reserved": 0, "sold": 0}
    assert [(t.tier_id, t.available, t.blocked, t.total) for t in counts.tiers] == [
        (None, 0, 1, 1), ("std", 4, 0, 4), ("vip", 1, 1, 2)]
    assert [(z.zone_id, z.tier_id, z.capacity, z.sold, z.reserved) for z in counts.zones] == [
        ("floor", "ga", 300, 0, 0), ("stalls-box", "box", 4, 0, 0)]
    assert not counts.sold_out


async def test_seat_states_name_only_the_shows_seats_that_were_asked_for(inventory: InventoryRepository) -> None:
    show_id, other_show = await a_show(inventory), await a_show(inventory)
    await inventory.set_seat_status(other_show, SEATS[:2], "sold")
    states = await inventory.seat_states(show_id, [SEATS[0], SEATS[4], "ffffffffffffffff", SEATS[0]])
    assert states == {SEATS[0]: SeatState("available", "std"), SEATS[4]: SeatState("blocked", "vip")}
    assert await inventory.seat_states(new_id(), SEATS) == {}


async def test_a_status_set_on_seats_or_shows_that_do_not_exist_changes_nothing(
    inventory: InventoryRepository,
) -> None:
    show_id = await a_show(inventory)
    await inventory.set_seat_status(show_id, ["ffffffffffffffff", SEATS[1]], "reserved")
    await inventory.set_seat_status(new_id(), SEATS, "sold")
    assert await seat_counts(inventory, show_id) == {"available": 4, "blocked": 2, "reserved": 1, "sold": 0}


async def test_blocking_moves_available_seats_and_back_and_repeats_change_nothing(
    inventory: InventoryRepository,
) -> None:
    show_id = await a_show(inventory)
    assert await set_seats_blocked(inventory, show_id=show_id, seat_ids=[SEATS[0], SEATS[4], SEATS[0]],
                                   blocked=True) == [SEATS[0]]
    assert await set_seats_blocked(inventory, show_id=show_id, seat_ids=[SEATS[0]], blocked=True) == []
    assert await seat_counts(inventory, show_id) == {"available": 4, "blocked": 3, "reserved": 0, "sold": 0}
    assert await set_seats_blocked(inventory, show_id=show_id, seat_ids=[SEATS[4], SEATS[0]],
                                   blocked=False) == [SEATS[4], SEATS[0]]
    assert await inventory.seat_states(show_id, [SEATS[0], SEATS[4]]) == {
        SEATS[0]: SeatState("available", "std"), SEATS[4]: SeatState("available", "vip")}


async def test_seats_of_orders_unpriced_seats_and_unknown_seats_are_refused_and_nothing_changes(
    inventory: InventoryRepository,
) -> None:
    show_id = await a_show(inventory)
    await inventory.set_seat_status(show_id, [SEATS[1]], "reserved")
    await inventory.set_seat_status(show_id, [SEATS[2]], "sold")
    before = await seat_counts(inventory, show_id)
    with pytest.raises(SeatsNotBlockable) as taken:
        await set_seats_blocked(inventory, show_id=show_id, seat_ids=SEATS[:3], blocked=True)
    assert taken.value.extensions["conflicts"] == [{"seat_id": SEATS[1], "status": "reserved"},
                                                   {"seat_id": SEATS[2], "status": "sold"}]
    with pytest.raises(SeatsNotBlockable) as unpriced:
        await set_seats_blocked(inventory, show_id=show_id, seat_ids=[SEATS[4], UNPRICED], blocked=False)
    assert unpriced.value.extensions["conflicts"] == [{"seat_id": UNPRICED, "status": "blocked",
                                                       "reason": "no price tier"}]
    with pytest.raises(InvalidInput) as unknown:
        await set_seats_blocked(inventory, show_id=show_id, seat_ids=[SEATS[0], "ffffffffffffffff"], blocked=True)
    assert [e.path for e in unknown.value.errors] == ["/seat_ids"]
    assert await seat_counts(inventory, show_id) == before


async def test_a_show_that_never_went_on_sale_has_no_inventory_to_count_or_block(
    inventory: InventoryRepository,
) -> None:
    with pytest.raises(InventoryNotFound):
        await inventory_counts(inventory, show_id=new_id())
    with pytest.raises(InventoryNotFound):
        await set_seats_blocked(inventory, show_id=new_id(), seat_ids=SEATS[:1], blocked=True)


async def test_closing_the_sale_changes_the_terms_once(inventory: InventoryRepository) -> None:
    show_id = await a_show(inventory)
    assert await inventory.cancel(show_id) is True
    assert await inventory.cancel(show_id) is False
    assert await inventory.cancel(new_id()) is False
    assert await seat_counts(inventory, show_id) == {"available": 5, "blocked": 2, "reserved": 0, "sold": 0}
