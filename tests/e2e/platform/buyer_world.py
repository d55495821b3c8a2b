"""Real things for generated requests to name (a show on sale, an order, a live hold), so that they
get past "not found" too: shared by the property tests that draw requests against the whole API."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.seating import MakeBuyer, TestBuyer, TestHold, place_hold


@dataclass(frozen=True)
class BuyerWorld:
    show: TestShow
    buyer: TestBuyer
    order_id: str  # two seats ordered, awaiting payment
    hold: TestHold  # a third seat held


async def buyer_world(api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, *,
                      seats: int) -> BuyerWorld:
    show = await make_show_on_sale(seats=seats, zones={"floor": 50})
    buyer = make_buyer()
    held = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[:2])
    placed = await api.post("/v1/orders", json={"hold_id": held.hold_id, "hold_token": held.hold_token},
                            headers=buyer.headers)
    assert placed.status_code == 201, placed.text
    other = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[2:3])
    return BuyerWorld(show=show, buyer=buyer, order_id=placed.json()["order_id"], hold=other)
