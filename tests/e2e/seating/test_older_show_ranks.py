"""A show that went on sale before seats were ranked gets its ranks the first time its inventory is
loaded into the fast store: from its pinned layout, the same ranks putting it on sale gives today, kept
in PostgreSQL; best available then works for it. A show whose layout cannot be read still sells."""

from __future__ import annotations

import asyncio

import httpx
import psycopg
import redis.asyncio as aioredis

from lml.config import Settings
from lml.container import Container
from lml.seating.domain.seat_quality import rank_seats
from tests.e2e.seating.test_best_available_http import best
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.seating import MakeBuyer, seat_places


async def as_before_ranks(settings: Settings, show_id: str, *, layout_hash: str | None = None) -> None:
    """The show as it was when it went on sale before ranks existed (no ranks, no rows) and not yet in
    the fast store; `layout_hash`: its terms pin another version of the layout than the stored one."""
    async with await psycopg.AsyncConnection.connect(settings.migrate_database_url) as conn:
        await conn.execute("UPDATE seating.show_seats SET rank = NULL, row_no = NULL, row_pos = NULL"
                           " WHERE show_id = %s", (show_id,))
        await conn.execute("UPDATE seating.show_inventories SET rows = '[]' WHERE show_id = %s", (show_id,))
        if layout_hash is not None:
            await conn.execute("UPDATE seating.show_terms SET layout_hash = %s WHERE show_id = %s",
                               (layout_hash, show_id))
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"*{{{show_id}}}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_an_older_show_is_ranked_on_load_as_it_would_be_today(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, settings: Settings,
) -> None:
    show = await make_show_on_sale(seats=40)
    ranked_on_sale = await seat_places(settings, show.show_id)
    await as_before_ranks(settings, show.show_id)
    assert {place[0] for place in (await seat_places(settings, show.show_id)).values()} == {None}

    response = await best(api, show.show_id, make_buyer(), quantity=3)
    assert response.status_code == 201, response.text
    assert min(ranked_on_sale[s][0] for s in response.json()["seats"]) == 1
    assert await seat_places(settings, show.show_id) == ranked_on_sale


async def test_an_older_show_whose_layout_cannot_be_read_sells_without_best_available(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, settings: Settings,
) -> None:
    show = await make_show_on_sale(seats=10)
    await as_before_ranks(settings, show.show_id, layout_hash="0" * 64)

    response = await best(api, show.show_id, make_buyer(), quantity=2)
    assert response.status_code == 409
    assert (response.json()["together"], response.json()["apart"]) == (0, 0)
    held = await api.post(f"/v1/shows/{show.show_id}/holds", json={"seat_ids": show.seat_ids[:2]},
                          headers=make_buyer().headers)
    assert held.status_code == 201, held.text
    assert {place[0] for place in (await seat_places(settings, show.show_id)).values()} == {None}


async def test_of_two_processes_ranking_a_show_at_once_the_first_ones_ranks_stay(
    container: Container, make_show_on_sale: MakeShowOnSale, settings: Settings,
) -> None:
    show = await make_show_on_sale(seats=20)
    await as_before_ranks(settings, show.show_id)
    ranking = container.seating.holding.ranking
    pinned = await ranking.pinned_geometry(show.show_id)
    assert pinned is not None
    geometry, venue = pinned
    plans = [rank_seats(geometry, venue), rank_seats(geometry[::-1], venue)]  # the second numbers rows otherwise
    await asyncio.gather(*(ranking.save(show.show_id, plan) for plan in plans * 4))
    places = await seat_places(settings, show.show_id)
    assert places in [{p.seat_id: (p.rank, p.row_no, p.row_pos) for p in plan.places} for plan in plans]
