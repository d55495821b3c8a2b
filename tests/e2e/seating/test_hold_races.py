"""Many buyers race for the same seats and GA places of one show.

The 500 clients run concurrently in process (httpx's ASGI transport on the test's event loop): every
request goes through the whole app, middleware and all, and reaches Redis on its own connection, so
the scripts really interleave; without sockets the race takes a couple of seconds. Each buyer comes
from an address of their own, as a crowd does (one address may hold only so many places at once).

500 requests in flight at once need a Redis pool that waits (`crowd_resources`)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import psycopg
import pytest

from lml.config import Settings
from lml.container import Container
from lml.platform.resources import Resources
from lml.seating.domain.availability import HELD
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.seating import CLIENTS, ApiFrom, MakeBuyer, crowd, crowd_resources, hold_body


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    async with crowd_resources(settings) as res:
        yield res


async def test_overlapping_holds_give_every_seat_to_at_most_one_buyer(
    api_from: ApiFrom, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    container: Container,
) -> None:
    show = await make_show_on_sale(seats=60)
    rng = random.Random(5)
    asks = [rng.sample(show.seat_ids, rng.randint(1, 4)) for _ in range(CLIENTS)]
    buyers = [make_buyer() for _ in range(CLIENTS)]
    url = f"/v1/shows/{show.show_id}/holds"
    answers = await asyncio.gather(*(client.post(url, json=hold_body(ask), headers=buyer.headers)
                                     for ask, buyer, client in zip(asks, buyers, crowd(api_from), strict=True)))
    assert {a.status_code for a in answers} <= {201, 409}, {a.status_code: a.text for a in answers}
    held: dict[str, str] = {}
    for ask, answer in zip(asks, answers, strict=True):
        if answer.status_code == 201:
            body = answer.json()
            assert body["seats"] == ask
            for seat in ask:
                assert seat not in held, f"seat {seat} held twice"
                held[seat] = body["hold_id"]
    for ask, answer in zip(asks, answers, strict=True):
        if answer.status_code == 409:
            conflicts = answer.json()["conflicts"]
            assert conflicts, answer.text
            assert set(conflicts) <= set(ask)
            assert set(conflicts) <= set(held), "a 409 named a seat nobody held"
    assert sum(a.status_code == 201 for a in answers) > 10
    # What Redis says at the end is what the 201s said: the held seats, each by its own hold.
    store = container.seating.store
    availability = await store.availability(show.show_id)
    assert not isinstance(availability, str | None)
    statuses = dict(zip(sorted(show.seat_ids), availability.seats, strict=True))
    assert {s for s, code in statuses.items() if code == HELD} == set(held)
    for hold_id in set(held.values()):
        hold = await store.get(show.show_id, hold_id)
        assert hold is not None
        assert all(held[seat] == hold_id for seat in hold.seat_ids)


async def test_a_ga_zone_never_holds_more_than_capacity_minus_sold(
    api_from: ApiFrom, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    service_urls: dict[str, str], container: Container,
) -> None:
    show = await make_show_on_sale(seats=2, zones={"floor": 200})
    with psycopg.connect(service_urls["owner_dsn"], autocommit=True) as owner:
        owner.execute("UPDATE seating.show_zones SET sold = 50, version = version + 1 WHERE show_id = %s",
                      (show.show_id,))
    rng = random.Random(7)
    asks = [rng.randint(1, 3) for _ in range(CLIENTS)]
    url = f"/v1/shows/{show.show_id}/holds"
    answers = await asyncio.gather(*(client.post(url, json=hold_body(zones={"floor": qty}),
                                                 headers=make_buyer().headers)
                                     for qty, client in zip(asks, crowd(api_from), strict=True)))
    assert {a.status_code for a in answers} <= {201, 409}
    granted = sum(qty for qty, a in zip(asks, answers, strict=True) if a.status_code == 201)
    assert granted <= 150
    assert granted >= 150 - 2, "refused while places were left"
    for qty, answer in zip(asks, answers, strict=True):
        if answer.status_code == 409:
            [short] = answer.json()["zone_conflicts"]
            assert short["requested"] == qty and short["remaining"] < qty
    availability = await container.seating.store.availability(show.show_id)
    assert not isinstance(availability, str | None)
    assert [(z.zone_id, z.remaining) for z in availability.zones] == [("floor", 150 - granted)]
