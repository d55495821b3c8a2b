import pytest

from lml.platform.domain.errors import InvalidInput
from lml.seating.application.inventory_counts import inventory_counts
from lml.seating.application.inventory_testing import InMemoryInventory
from lml.seating.application.materialize_inventory import materialize_inventory
from lml.seating.application.seat_blocking import set_seats_blocked
from lml.seating.domain.inventory import (
    InventoryNotFound,
    InventorySeat,
    InventoryZone,
    SeatsNotBlockable,
    SeatState,
    plan_block_change,
)
from tests.fixtures.seating import sale_terms

SHOW = "0190a000-0000-7000-8000-0000000000aa"
ORG = "0190a000-0000-7000-8000-000000000001"
SEATS = [InventorySeat(f"{i:016x}", "std" if i < 3 else "vip", i == 4) for i in range(5)]
ZONES = [InventoryZone("floor", "ga", 200)]


@pytest.fixture
async def inventory() -> InMemoryInventory:
    fake = InMemoryInventory()
    await materialize_inventory(fake, terms=sale_terms(SHOW, ORG), seats=SEATS, zones=ZONES)
    return fake


async def test_counts_are_per_status_and_per_tier(inventory: InMemoryInventory) -> None:
    counts = await inventory_counts(inventory, show_id=SHOW)
    assert counts.seats == {"available": 4, "blocked": 1, "reserved": 0, "sold": 0}
    assert [(t.tier_id, t.available, t.blocked, t.total) for t in counts.tiers] == [("std", 3, 0, 3),
                                                                                    ("vip", 1, 1, 2)]
    assert [(z.zone_id, z.remaining) for z in counts.zones] == [("floor", 200)]
    assert counts.sold_out is False


async def test_materializing_again_keeps_what_exists(inventory: InMemoryInventory) -> None:
    await set_seats_blocked(inventory, show_id=SHOW, seat_ids=[SEATS[0].seat_id], blocked=True)
    again = await materialize_inventory(inventory, terms=sale_terms(SHOW, ORG), seats=SEATS[:1], zones=[])
    assert (again.created, again.seats, again.zones) == (False, 5, 1)
    assert (await inventory_counts(inventory, show_id=SHOW)).seats["blocked"] == 2


async def test_an_inconsistent_inventory_is_refused_before_anything_is_written() -> None:
    fake = InMemoryInventory()
    with pytest.raises(InvalidInput) as exc:
        await materialize_inventory(fake, terms=sale_terms(SHOW, ORG), zones=[InventoryZone("pit", "ga", -1)],
                                    seats=[SEATS[0], SEATS[0], InventorySeat("00000000000000ff", None, False)])
    assert len(exc.value.errors) == 3
    assert fake.seats == {}


async def test_blocking_counts_the_seats_versions_up(inventory: InMemoryInventory) -> None:
    changed = await set_seats_blocked(inventory, show_id=SHOW, seat_ids=[SEATS[0].seat_id, SEATS[4].seat_id],
                                      blocked=True)
    assert changed == [SEATS[0].seat_id]  # seat 4 was blocked already
    assert inventory.versions == {(SHOW, SEATS[0].seat_id): 1}


async def test_blocking_a_show_without_inventory_is_not_found() -> None:
    with pytest.raises(InventoryNotFound):
        await set_seats_blocked(InMemoryInventory(), show_id=SHOW, seat_ids=["a"], blocked=True)
    with pytest.raises(InventoryNotFound):
        await inventory_counts(InMemoryInventory(), show_id=SHOW)


def test_reserved_and_sold_seats_cannot_be_blocked_and_the_conflicts_name_them() -> None:
    current = {"a": SeatState("available", "std"), "r": SeatState("reserved", "std"), "s": SeatState("sold", "std")}
    with pytest.raises(SeatsNotBlockable) as exc:
        plan_block_change(["a", "r", "s"], current, blocked=True)
    assert exc.value.extensions["conflicts"] == [{"seat_id": "r", "status": "reserved"},
                                                 {"seat_id": "s", "status": "sold"}]


def test_an_unpriced_blocked_seat_cannot_be_released() -> None:
    with pytest.raises(SeatsNotBlockable) as exc:
        plan_block_change(["b"], {"b": SeatState("blocked", None)}, blocked=False)
    assert exc.value.extensions["conflicts"][0]["reason"] == "no price tier"


def test_seats_the_show_lacks_are_invalid_input() -> None:
    with pytest.raises(InvalidInput) as exc:
        plan_block_change(["x"], {}, blocked=True)
    assert exc.value.errors[0].path == "/seat_ids"


def test_repeated_seats_change_once() -> None:
    assert plan_block_change(["a", "a"], {"a": SeatState("available", "std")}, blocked=True) == ["a"]
