"""What ordering calls on seating: verify a hold, then reserve, sell, release and return its places,
PostgreSQL first (the final judge, of seats and of each buyer's limit), Redis following after commit."""

from __future__ import annotations

import asyncio

import httpx
import msgspec
import psycopg
import pytest

from lml.container import Container
from lml.platform.domain.buyer_limit import BuyerLimitExceeded, limit_key
from lml.platform.ids import new_id
from lml.platform.outbox import OutboxEvent
from lml.platform.resources import Resources
from lml.seating import facade as seating
from lml.seating.domain.availability import InventoryRows
from lml.seating.events import InventoryChanged
from lml.seating.facade import SeatingFacade
from lml.seating.infrastructure.outbox_handlers import outbox_handlers
from lml.seating.infrastructure.pg_order_inventory import PgOrderInventory
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.seating import MakeBuyer, TestBuyer, TestHold, hold_body, place_hold


async def statuses(resources: Resources, show: TestShow, seat_ids: list[str]) -> list[str]:
    async with resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute(
            "SELECT seat_id, status FROM seating.show_seats WHERE show_id = %s AND seat_id = ANY(%s)",
            (show.show_id, seat_ids))).fetchall()
    found = {r["seat_id"]: r["status"] for r in rows}
    return [found[s] for s in seat_ids]


async def zone_counts(resources: Resources, show: TestShow) -> tuple[int, int]:
    async with resources.db.unit_of_work() as uow:
        row = await (await uow.conn.execute("SELECT sold, reserved FROM seating.show_zones WHERE show_id = %s",
                                            (show.show_id,))).fetchone()
    assert row is not None
    return row["sold"], row["reserved"]


def buyer_key(buyer: TestBuyer) -> str:
    return limit_key(buyer.kind, buyer.subject, buyer.email)


async def reserve(container: Container, held: TestHold, order_id: str, *, limit: int | None = 8) -> None:
    async with container.resources.db.unit_of_work() as uow:
        await container.seating_facade.reserve_for_order(
            uow, show_id=held.show_id, order_id=order_id, seat_ids=held.seat_ids, zones=held.zones,
            hold_id=held.hold_id, buyer_key=buyer_key(held.buyer), max_per_buyer=limit)
        await uow.commit()


async def buyer_places(resources: Resources, show: TestShow, buyer: TestBuyer) -> int:
    async with resources.db.unit_of_work() as uow:
        row = await (await uow.conn.execute(
            "SELECT places FROM seating.buyer_places WHERE show_id = %s AND buyer_key = %s",
            (show.show_id, buyer_key(buyer)))).fetchone()
    return int(row["places"]) if row else 0


@pytest.fixture
def facade(container: Container) -> SeatingFacade:
    return container.seating_facade


async def ordered_in_redis(container: Container, show: TestShow, buyer: TestBuyer) -> int:
    key = container.seating.store.show_keys(show.show_id).ordered
    return int(await container.resources.redis.hget(key, f"places:{buyer_key(buyer)}") or 0)


async def test_verify_hold_gives_tiers_and_labels_only_to_the_owner_with_the_token(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    facade: SeatingFacade,
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 10})
    buyer = make_buyer()
    held = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[:2], zones={"floor": 2})
    verified = await facade.verify_hold(hold_id=held.hold_id, hold_token=held.hold_token, owner=buyer.owner)
    assert [(s.seat_id, s.tier_id) for s in verified.seats] == [(s, show.seat_tiers[s]) for s in show.seat_ids[:2]]
    assert all(s.label and "row" in s.label for s in verified.seats)
    assert [(z.zone_id, z.tier_id, z.quantity) for z in verified.zones] == [("floor", "ga", 2)]
    assert verified.expires_at == held.expires_at
    with pytest.raises(seating.HoldTokenMismatch):
        await facade.verify_hold(hold_id=held.hold_id, hold_token="nope", owner=buyer.owner)
    with pytest.raises(seating.HoldNotFound):
        await facade.verify_hold(hold_id=held.hold_id, hold_token=held.hold_token, owner="user:other")


async def test_an_order_takes_exactly_its_seats_or_nothing(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    facade: SeatingFacade, container: Container,
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 5}, max_seats_per_buyer=8)
    first = await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:2])
    await reserve(container, first, new_id())
    # A second order naming one of those seats (as after a lost Redis) is refused whole.
    with pytest.raises(seating.SeatsUnavailable) as taken:
        async with resources.db.unit_of_work() as uow:
            await facade.reserve_for_order(uow, show_id=show.show_id, order_id=new_id(),
                                           seat_ids=[show.seat_ids[5], show.seat_ids[1]], zones={"floor": 6},
                                           hold_id="h", buyer_key="user:other", max_per_buyer=None)
    assert (taken.value.seat_ids, taken.value.zones) == ([show.seat_ids[1]], {"floor": 5})
    assert await statuses(resources, show, show.seat_ids[:6]) == ["reserved"] * 2 + ["available"] * 4
    assert await zone_counts(resources, show) == (0, 0)


async def test_redis_follows_the_order_reserved_sold_released_and_returned(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    facade: SeatingFacade, container: Container,
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 5})
    held = await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:2], zones={"floor": 3})
    order_id = new_id()
    await reserve(container, held, order_id)
    await facade.sync_order(show_id=show.show_id, order_id=order_id, hold_id=held.hold_id)
    url = f"/v1/shows/{show.show_id}/availability"
    body = (await api.get(url)).json()
    index = sorted(show.seat_ids).index
    assert [body["seats"][index(s)] for s in show.seat_ids[:2]] == ["r", "r"]
    assert body["zones"][0]["remaining"] == 2  # 3 reserved, and the hold's 3 no longer counted twice
    assert (await api.delete(f"/v1/holds/{held.hold_id}", headers=held.if_match)).status_code == 404

    async with resources.db.unit_of_work() as uow:
        await facade.mark_sold(uow, show_id=show.show_id, order_id=order_id)
        await facade.mark_sold(uow, show_id=show.show_id, order_id=order_id)  # idempotent
        await uow.commit()
    await facade.sync_order(show_id=show.show_id, order_id=order_id)
    assert await statuses(resources, show, show.seat_ids[:2]) == ["sold", "sold"]
    assert await zone_counts(resources, show) == (3, 0)
    blocked = await api.post(f"/v1/shows/{show.show_id}/holds", json=hold_body(show.seat_ids[:1]),
                             headers=make_buyer().headers)
    assert blocked.status_code == 409

    async with resources.db.unit_of_work() as uow:
        await facade.return_to_sale(uow, show_id=show.show_id, order_id=order_id)
        await uow.commit()
    await facade.sync_order(show_id=show.show_id, order_id=order_id)
    assert await zone_counts(resources, show) == (0, 0)
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:2], zones={"floor": 5})


async def test_the_outbox_event_alone_brings_redis_up_to_date(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    container: Container, facade: SeatingFacade,
) -> None:
    show = await make_show_on_sale(seats=10)
    held = await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:1])
    order_id = new_id()
    await reserve(container, held, order_id)
    async with resources.db.unit_of_work() as uow:
        await facade.release_order(uow, show_id=show.show_id, order_id=order_id)
        await uow.commit()
    async with resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute(
            "SELECT id, event_type, payload, attempts FROM platform.outbox"
            " WHERE event_type = 'seating.InventoryChanged' ORDER BY id")).fetchall()
        [handler] = outbox_handlers(container.seating)["seating.InventoryChanged"]
        assert len(rows) == 2  # reserved, released
        for row in rows:
            await handler(msgspec.convert(row, OutboxEvent), uow)
            await handler(msgspec.convert(row, OutboxEvent), uow)  # at least once: twice changes nothing
    assert await statuses(resources, show, show.seat_ids[:1]) == ["available"]
    # The hold was dropped by the first event; the release made the seat free again.
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:1])


async def carried_and_read_back(
    resources: Resources, show: TestShow, order_id: str
) -> tuple[InventoryRows, InventoryRows]:
    """What the order's last InventoryChanged carries, and what PostgreSQL says of its rows now."""
    async with resources.db.unit_of_work() as uow:
        row = await (await uow.conn.execute(
            "SELECT payload FROM platform.outbox WHERE event_type = 'seating.InventoryChanged'"
            " AND payload->>'order_id' = %s ORDER BY id DESC LIMIT 1", (order_id,))).fetchone()
        read_back = await PgOrderInventory(uow.conn).order_rows(show.show_id, order_id)
    assert row is not None
    carried = msgspec.convert(row["payload"], InventoryChanged).rows
    assert carried is not None
    return carried, read_back


def in_any_order(rows: InventoryRows) -> tuple[set[object], ...]:
    return set(rows.seats), set(rows.zones), set(rows.buyers), set(rows.holds)


async def test_an_order_reserved_or_sold_carries_its_rows_as_they_committed(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    facade: SeatingFacade, container: Container,
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 5}, max_seats_per_buyer=8)
    buyer = make_buyer()
    first = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[:1])
    await reserve(container, first, new_id())
    second = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[1:3], zones={"floor": 2})
    order_id = new_id()
    await reserve(container, second, order_id)

    carried, read_back = await carried_and_read_back(resources, show, order_id)
    assert in_any_order(carried) == in_any_order(read_back)
    # The buyer's count takes in both orders, so both their holds are dropped with it.
    assert set(carried.holds) == {first.hold_id, second.hold_id}
    assert carried.buyers[0].places == 5

    async with resources.db.unit_of_work() as uow:
        await facade.mark_sold(uow, show_id=show.show_id, order_id=order_id)
        await uow.commit()
    carried, read_back = await carried_and_read_back(resources, show, order_id)
    assert in_any_order(carried) == in_any_order(read_back)
    assert {seat.status for seat in carried.seats} == {"sold"}


async def test_held_counts_are_per_tier(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    facade: SeatingFacade,
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 10})
    premium = [s for s in show.seat_ids if show.seat_tiers[s] == "premium"][:1]
    standard = [s for s in show.seat_ids if show.seat_tiers[s] == "standard"][:2]
    await place_hold(api, show.show_id, make_buyer(), seats=premium + standard, zones={"floor": 4})
    assert await facade.held_counts(show.show_id) == {"premium": 1, "standard": 2, "ga": 4}


async def test_an_order_past_the_buyers_limit_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    facade: SeatingFacade, container: Container,
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 5}, max_seats_per_buyer=4)
    buyer = make_buyer()
    first = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[:2], zones={"floor": 1})
    await reserve(container, first, new_id(), limit=4)
    assert await buyer_places(resources, show, buyer) == 3
    second = await place_hold(api, show.show_id, buyer, seats=[show.seat_ids[2]])
    # A second order of the same buyer that would pass the limit (Redis had lost count, say).
    with pytest.raises(BuyerLimitExceeded) as refused:
        async with resources.db.unit_of_work() as uow:
            await facade.reserve_for_order(uow, show_id=show.show_id, order_id=new_id(),
                                           seat_ids=show.seat_ids[2:4], zones={}, hold_id=second.hold_id,
                                           buyer_key=buyer_key(buyer), max_per_buyer=4)
    assert (refused.value.extensions["ordered"], refused.value.extensions["requested"]) == (3, 2)
    assert await statuses(resources, show, show.seat_ids[2:4]) == ["available", "available"]
    assert await buyer_places(resources, show, buyer) == 3
    await reserve(container, second, new_id(), limit=4)
    assert await buyer_places(resources, show, buyer) == 4


async def test_concurrent_orders_of_one_buyer_never_pass_the_limit_in_postgresql(
    make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources, service_urls: dict[str, str],
    facade: SeatingFacade,
) -> None:
    show = await make_show_on_sale(seats=40, max_seats_per_buyer=4)
    key = buyer_key(make_buyer())

    async def order(seats: list[str]) -> int:
        try:
            async with resources.db.unit_of_work() as uow:
                await facade.reserve_for_order(uow, show_id=show.show_id, order_id=new_id(), seat_ids=seats,
                                               zones={}, hold_id=new_id(), buyer_key=key, max_per_buyer=4)
                await uow.commit()
        except BuyerLimitExceeded:
            return 0
        return len(seats)

    asks = [show.seat_ids[2 * i : 2 * i + 1 + i % 2] for i in range(20)]
    reserved = sum(await asyncio.gather(*(order(seats) for seats in asks)))
    assert 3 <= reserved <= 4
    with psycopg.connect(service_urls["owner_dsn"]) as owner:
        seats = owner.execute("SELECT count(*) FROM seating.show_seats WHERE show_id = %s AND status = 'reserved'",
                              (show.show_id,)).fetchone()
        counted = owner.execute("SELECT places FROM seating.buyer_places WHERE show_id = %s AND buyer_key = %s",
                                (show.show_id, key)).fetchone()
    assert seats is not None and counted is not None
    assert seats[0] == counted[0] == reserved


async def test_the_buyers_count_follows_the_order_and_its_hold_is_counted_once(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    container: Container, facade: SeatingFacade,
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 5}, max_seats_per_buyer=6)
    buyer = make_buyer()
    held = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[:2], zones={"floor": 2})
    order_id = new_id()
    await reserve(container, held, order_id)
    # Before Redis follows, the places count as held; after, as ordered: never both, never neither.
    refused = await api.post(f"/v1/shows/{show.show_id}/holds", json=hold_body(show.seat_ids[2:5]),
                             headers=buyer.headers)
    assert (refused.json()["held"], refused.json()["ordered"]) == (4, 0)
    await facade.sync_order(show_id=show.show_id, order_id=order_id, hold_id=held.hold_id)
    assert await ordered_in_redis(container, show, buyer) == 4
    refused = await api.post(f"/v1/shows/{show.show_id}/holds", json=hold_body(show.seat_ids[2:5]),
                             headers=buyer.headers)
    assert (refused.json()["held"], refused.json()["ordered"]) == (0, 4)

    async with resources.db.unit_of_work() as uow:
        await facade.mark_sold(uow, show_id=show.show_id, order_id=order_id)
        await uow.commit()
    await facade.sync_order(show_id=show.show_id, order_id=order_id)
    assert await buyer_places(resources, show, buyer) == await ordered_in_redis(container, show, buyer) == 4

    async with resources.db.unit_of_work() as uow:
        await facade.return_to_sale(uow, show_id=show.show_id, order_id=order_id)
        await facade.return_to_sale(uow, show_id=show.show_id, order_id=order_id)  # idempotent
        await uow.commit()
    await facade.sync_order(show_id=show.show_id, order_id=order_id)
    assert await buyer_places(resources, show, buyer) == await ordered_in_redis(container, show, buyer) == 0
    await place_hold(api, show.show_id, buyer, seats=show.seat_ids[2:8])


async def test_any_later_event_of_the_order_drops_its_hold_when_the_first_came_late(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    container: Container, facade: SeatingFacade,
) -> None:
    show = await make_show_on_sale(seats=20, max_seats_per_buyer=4)
    buyer = make_buyer()
    held = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[:3])
    order_id = new_id()
    await reserve(container, held, order_id)
    # Redis missed the reservation (the sync after commit failed, its outbox event waits for a retry);
    # the sale's event arrives first, and names no hold.
    async with resources.db.unit_of_work() as uow:
        await facade.mark_sold(uow, show_id=show.show_id, order_id=order_id)
        await uow.commit()
    await facade.sync_order(show_id=show.show_id, order_id=order_id)
    assert await container.seating.store.get(show.show_id, held.hold_id) is None
    refused = await api.post(f"/v1/shows/{show.show_id}/holds", json=hold_body(show.seat_ids[3:5]),
                             headers=buyer.headers)
    assert (refused.json()["held"], refused.json()["ordered"]) == (0, 3)
    await place_hold(api, show.show_id, buyer, seats=show.seat_ids[3:4])


async def test_a_rebuilt_redis_knows_what_each_buyer_ordered(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    container: Container,
) -> None:
    show = await make_show_on_sale(seats=20, max_seats_per_buyer=4)
    buyer = make_buyer()
    held = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[:3])
    await reserve(container, held, new_id())
    await resources.redis.flushdb()
    refused = await api.post(f"/v1/shows/{show.show_id}/holds", json=hold_body(show.seat_ids[3:5]),
                             headers=buyer.headers)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["held"], refused.json()["ordered"]) == (0, 3)
