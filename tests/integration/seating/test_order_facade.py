"""What ordering calls on seating: verify a hold, then reserve, sell, release and return its places,
PostgreSQL first (the final judge), Redis following after commit."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from lml.platform.ids import new_id
from lml.platform.outbox import OutboxEvent
from lml.platform.resources import Resources
from lml.seating import facade as seating
from lml.seating.infrastructure.outbox_handlers import outbox_handlers
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.seating import MakeBuyer, TestHold, hold_body, place_hold


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


async def reserve(resources: Resources, held: TestHold, order_id: str) -> None:
    async with resources.db.unit_of_work() as uow:
        await seating.reserve_for_order(uow, show_id=held.show_id, order_id=order_id, seat_ids=held.seat_ids,
                                        zones=held.zones, hold_id=held.hold_id)
        await uow.commit()


async def test_verify_hold_gives_tiers_and_labels_only_to_the_owner_with_the_token(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 10})
    buyer = make_buyer()
    held = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[:2], zones={"floor": 2})
    verified = await seating.verify_hold(resources, hold_id=held.hold_id, hold_token=held.hold_token,
                                         owner=buyer.owner)
    assert [(s.seat_id, s.tier_id) for s in verified.seats] == [(s, show.seat_tiers[s]) for s in show.seat_ids[:2]]
    assert all(s.label and "row" in s.label for s in verified.seats)
    assert [(z.zone_id, z.tier_id, z.quantity) for z in verified.zones] == [("floor", "ga", 2)]
    assert verified.expires_at == held.expires_at
    with pytest.raises(seating.HoldTokenMismatch):
        await seating.verify_hold(resources, hold_id=held.hold_id, hold_token="nope", owner=buyer.owner)
    with pytest.raises(seating.HoldNotFound):
        await seating.verify_hold(resources, hold_id=held.hold_id, hold_token=held.hold_token, owner="user:other")


async def test_an_order_takes_exactly_its_seats_or_nothing(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 5}, max_seats_per_buyer=8)
    first = await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:2])
    await reserve(resources, first, new_id())
    # A second order naming one of those seats (as after a lost Redis) is refused whole.
    with pytest.raises(seating.SeatsUnavailable) as taken:
        async with resources.db.unit_of_work() as uow:
            await seating.reserve_for_order(uow, show_id=show.show_id, order_id=new_id(),
                                            seat_ids=[show.seat_ids[5], show.seat_ids[1]], zones={"floor": 6})
    assert (taken.value.seat_ids, taken.value.zones) == ([show.seat_ids[1]], {"floor": 5})
    assert await statuses(resources, show, show.seat_ids[:6]) == ["reserved"] * 2 + ["available"] * 4
    assert await zone_counts(resources, show) == (0, 0)


async def test_redis_follows_the_order_reserved_sold_released_and_returned(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 5})
    held = await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:2], zones={"floor": 3})
    order_id = new_id()
    await reserve(resources, held, order_id)
    await seating.sync_order(resources, show_id=show.show_id, order_id=order_id, hold_id=held.hold_id)
    url = f"/v1/shows/{show.show_id}/availability"
    body = (await api.get(url)).json()
    index = sorted(show.seat_ids).index
    assert [body["seats"][index(s)] for s in show.seat_ids[:2]] == ["r", "r"]
    assert body["zones"][0]["remaining"] == 2  # 3 reserved, and the hold's 3 no longer counted twice
    assert (await api.delete(f"/v1/holds/{held.hold_id}", headers=held.if_match)).status_code == 404

    async with resources.db.unit_of_work() as uow:
        await seating.mark_sold(uow, show_id=show.show_id, order_id=order_id)
        await seating.mark_sold(uow, show_id=show.show_id, order_id=order_id)  # idempotent
        await uow.commit()
    await seating.sync_order(resources, show_id=show.show_id, order_id=order_id)
    assert await statuses(resources, show, show.seat_ids[:2]) == ["sold", "sold"]
    assert await zone_counts(resources, show) == (3, 0)
    blocked = await api.post(f"/v1/shows/{show.show_id}/holds", json=hold_body(show.seat_ids[:1]),
                             headers=make_buyer().headers)
    assert blocked.status_code == 409

    async with resources.db.unit_of_work() as uow:
        await seating.return_to_sale(uow, show_id=show.show_id, order_id=order_id)
        await uow.commit()
    await seating.sync_order(resources, show_id=show.show_id, order_id=order_id)
    assert await zone_counts(resources, show) == (0, 0)
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:2], zones={"floor": 5})


async def test_the_outbox_event_alone_brings_redis_up_to_date(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources
) -> None:
    show = await make_show_on_sale(seats=10)
    held = await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:1])
    order_id = new_id()
    await reserve(resources, held, order_id)
    async with resources.db.unit_of_work() as uow:
        await seating.release_order(uow, show_id=show.show_id, order_id=order_id)
        await uow.commit()
    async with resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute(
            "SELECT id, event_type, payload, attempts FROM platform.outbox"
            " WHERE event_type = 'seating.InventoryChanged' ORDER BY id")).fetchall()
        [handler] = outbox_handlers(resources)["seating.InventoryChanged"]
        assert len(rows) == 2  # reserved, released
        for row in rows:
            await handler(msgspec.convert(row, OutboxEvent), uow)
            await handler(msgspec.convert(row, OutboxEvent), uow)  # at least once: twice changes nothing
    assert await statuses(resources, show, show.seat_ids[:1]) == ["available"]
    # The hold was dropped by the first event; the release made the seat free again.
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:1])


async def test_held_counts_are_per_tier(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 10})
    premium = [s for s in show.seat_ids if show.seat_tiers[s] == "premium"][:1]
    standard = [s for s in show.seat_ids if show.seat_tiers[s] == "standard"][:2]
    await place_hold(api, show.show_id, make_buyer(), seats=premium + standard, zones={"floor": 4})
    assert await seating.held_counts(resources, show.show_id) == {"premium": 1, "standard": 2, "ga": 4}
