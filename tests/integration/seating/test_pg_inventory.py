"""Seating's inventory on PostgreSQL, through the facade, with row-level security as the app sees it."""

import psycopg
import pytest

from lml.container import Container
from lml.platform.domain.errors import InvalidInput
from lml.platform.ids import new_id
from lml.platform.resources import Resources
from lml.seating import facade as seating
from lml.seating.facade import SeatingFacade
from tests.fixtures.seating import sale_terms

ORG = "0190a000-0000-7000-8000-000000000001"
OTHER_ORG = "0190a000-0000-7000-8000-000000000002"


def seats(n: int, *, blocked: int = 0) -> list[seating.InventorySeat]:
    return [seating.InventorySeat(f"{i:016x}", "std" if i % 2 else "vip", i < blocked) for i in range(n)]


@pytest.fixture
def inventory(container: Container) -> SeatingFacade:
    return container.seating_facade


async def materialize(
    resources: Resources, inventory: SeatingFacade, show_id: str, n: int = 10, **kw: int
) -> seating.MaterializeResult:
    async with resources.db.unit_of_work(org_id=ORG) as uow:
        result = await inventory.materialize_inventory(uow, sale_terms(show_id, ORG), seats(n, **kw),
                                                       [seating.InventoryZone("floor", "ga", 300)])
        await uow.commit()
    return result


async def test_materialized_rows_match_what_was_asked(resources: Resources, inventory: SeatingFacade) -> None:
    show_id = new_id()
    result = await materialize(resources, inventory, show_id, 1000, blocked=10)
    assert (result.created, result.seats, result.zones) == (True, 1000, 1)
    async with resources.db.unit_of_work(org_id=ORG) as uow:
        counts = await inventory.inventory_counts(uow, show_id)
    assert counts.seats == {"available": 990, "blocked": 10, "reserved": 0, "sold": 0}
    assert {t.tier_id: t.total for t in counts.tiers} == {"std": 500, "vip": 500}
    assert [(z.zone_id, z.capacity, z.remaining) for z in counts.zones] == [("floor", 300, 300)]


async def test_materializing_again_leaves_the_inventory_as_it_is(
    resources: Resources, inventory: SeatingFacade
) -> None:
    show_id = new_id()
    await materialize(resources, inventory, show_id, 10)
    async with resources.db.unit_of_work(org_id=ORG) as uow:
        await inventory.set_seats_blocked(uow, show_id, [f"{0:016x}"], True)
        await uow.commit()
    again = await materialize(resources, inventory, show_id, 20)
    assert (again.created, again.seats, again.zones) == (False, 10, 1)
    async with resources.db.unit_of_work(org_id=ORG) as uow:
        assert (await inventory.inventory_counts(uow, show_id)).seats["blocked"] == 1


async def test_an_operator_sees_only_its_own_inventory_and_buyers_flows_see_all(
    resources: Resources, inventory: SeatingFacade
) -> None:
    show_id = new_id()
    await materialize(resources, inventory, show_id, 5)
    async with resources.db.unit_of_work(org_id=OTHER_ORG) as uow:
        with pytest.raises(seating.InventoryNotFound):
            await inventory.inventory_counts(uow, show_id)
        with pytest.raises(seating.InventoryNotFound):
            await inventory.set_seats_blocked(uow, show_id, [f"{0:016x}"], True)
    async with resources.db.unit_of_work() as uow:
        assert (await inventory.inventory_counts(uow, show_id)).seat_total == 5


async def test_only_an_operator_acting_as_the_organization_creates_inventory(
    resources: Resources, inventory: SeatingFacade
) -> None:
    for acting_as in (None, OTHER_ORG):
        async with resources.db.unit_of_work(org_id=acting_as) as uow:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                await inventory.materialize_inventory(uow, sale_terms(new_id(), ORG), seats(2), [])


async def test_the_application_cannot_delete_inventory_nor_move_it_to_another_show(
    resources: Resources, inventory: SeatingFacade
) -> None:
    show_id = new_id()
    await materialize(resources, inventory, show_id, 2)
    async with resources.db.unit_of_work(org_id=ORG) as uow:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await uow.conn.execute("DELETE FROM seating.show_seats WHERE show_id = %s", (show_id,))
    async with resources.db.unit_of_work() as uow:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await uow.conn.execute("UPDATE seating.show_seats SET show_id = %s WHERE show_id = %s", (new_id(), show_id))


async def test_reserved_and_sold_seats_cannot_be_blocked_and_nothing_changes(
    resources: Resources, service_urls: dict[str, str], inventory: SeatingFacade
) -> None:
    show_id = new_id()
    await materialize(resources, inventory, show_id, 4)
    with psycopg.connect(service_urls["owner_dsn"], autocommit=True) as owner:
        owner.execute("UPDATE seating.show_seats SET status = 'sold', order_id = %s"
                      " WHERE show_id = %s AND seat_id = %s", (new_id(), show_id, f"{1:016x}"))
    async with resources.db.unit_of_work() as uow:
        with pytest.raises(seating.SeatsNotBlockable) as exc:
            await inventory.set_seats_blocked(uow, show_id, [f"{0:016x}", f"{1:016x}"], True)
        assert exc.value.extensions["conflicts"] == [{"seat_id": f"{1:016x}", "status": "sold"}]
    async with resources.db.unit_of_work() as uow:
        assert (await inventory.inventory_counts(uow, show_id)).seats == {"available": 3, "blocked": 0, "reserved": 0,
                                                                        "sold": 1}


async def test_unknown_seats_are_invalid_input(resources: Resources, inventory: SeatingFacade) -> None:
    show_id = new_id()
    await materialize(resources, inventory, show_id, 2)
    async with resources.db.unit_of_work(org_id=ORG) as uow:
        with pytest.raises(InvalidInput):
            await inventory.set_seats_blocked(uow, show_id, ["ffffffffffffffff"], True)


async def test_blocking_counts_versions_up(resources: Resources, inventory: SeatingFacade) -> None:
    show_id = new_id()
    await materialize(resources, inventory, show_id, 2)
    async with resources.db.unit_of_work(org_id=ORG) as uow:
        assert await inventory.set_seats_blocked(uow, show_id, [f"{0:016x}"], True) == [f"{0:016x}"]
        assert await inventory.set_seats_blocked(uow, show_id, [f"{0:016x}"], False) == [f"{0:016x}"]
        row = await (await uow.conn.execute(
            "SELECT status, version FROM seating.show_seats WHERE show_id = %s AND seat_id = %s",
            (show_id, f"{0:016x}"))).fetchone()
    assert row == {"status": "available", "version": 2}


async def test_a_zone_never_sells_past_its_capacity(resources: Resources, inventory: SeatingFacade) -> None:
    show_id = new_id()
    await materialize(resources, inventory, show_id, 0)
    async with resources.db.unit_of_work() as uow:
        with pytest.raises(psycopg.errors.CheckViolation):
            await uow.conn.execute("UPDATE seating.show_zones SET sold = 200, reserved = 101 WHERE show_id = %s",
                                   (show_id,))


async def test_a_blocked_seat_may_have_no_tier_until_it_is_released(
    resources: Resources, inventory: SeatingFacade
) -> None:
    show_id = new_id()
    unpriced = seating.InventorySeat("00000000000000aa", None, True)
    async with resources.db.unit_of_work(org_id=ORG) as uow:
        await inventory.materialize_inventory(uow, sale_terms(show_id, ORG), [*seats(2), unpriced], [])
        await uow.commit()
    async with resources.db.unit_of_work(org_id=ORG) as uow:
        counts = await inventory.inventory_counts(uow, show_id)
        assert [(t.tier_id, t.blocked) for t in counts.tiers if t.tier_id is None] == [(None, 1)]
        with pytest.raises(seating.SeatsNotBlockable):
            await inventory.set_seats_blocked(uow, show_id, [unpriced.seat_id], False)


async def test_a_block_is_recorded_for_the_holds_store_to_follow(
    resources: Resources, service_urls: dict[str, str], inventory: SeatingFacade
) -> None:
    show_id = new_id()
    await materialize(resources, inventory, show_id, 3)
    async with resources.db.unit_of_work(org_id=ORG) as uow:
        await inventory.set_seats_blocked(uow, show_id, [f"{0:016x}", f"{1:016x}"], True)
        await inventory.set_seats_blocked(uow, show_id, [f"{0:016x}"], True)  # no change: nothing recorded
        await uow.commit()
    with psycopg.connect(service_urls["owner_dsn"]) as owner:
        rows = owner.execute("SELECT payload FROM platform.outbox WHERE event_type = 'seating.InventoryChanged'"
                             ).fetchall()
    assert [r[0] for r in rows] == [{"show_id": show_id, "order_id": None, "seat_ids": [f"{0:016x}", f"{1:016x}"],
                                     "zone_ids": [], "hold_id": None, "rows": None}]


async def test_closing_the_sale_cancels_the_terms_once_and_is_recorded_for_the_holds_store(
    resources: Resources, inventory: SeatingFacade, service_urls: dict[str, str]
) -> None:
    show_id = new_id()
    await materialize(resources, inventory, show_id, 3)
    async with resources.db.unit_of_work(org_id=ORG) as uow:
        await inventory.close_sale(uow, show_id)
        await inventory.close_sale(uow, show_id)  # already closed: nothing more recorded
        await inventory.close_sale(uow, new_id())  # never went on sale: nothing to close
        await uow.commit()
    with psycopg.connect(service_urls["owner_dsn"]) as owner:
        [cancelled] = owner.execute("SELECT cancelled FROM seating.show_terms WHERE show_id = %s", (show_id,)
                                    ).fetchone() or (None,)
        rows = owner.execute("SELECT payload FROM platform.outbox WHERE event_type = 'seating.SaleClosed'").fetchall()
    assert cancelled is True
    assert [r[0] for r in rows] == [{"show_id": show_id}]
