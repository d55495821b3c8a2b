"""`GET /v1/events` throughput: the app in process (ASGI, no network), concurrent buyers paging the
listing, with the answer in Redis (hit) and without the cache (every request reads PostgreSQL).

    .venv/bin/python -m benchmarks.catalog_events --fresh                 # a throwaway world, like the tests'
    .venv/bin/python -m benchmarks.catalog_events --events 1000 --concurrency 32
    .venv/bin/python -m benchmarks.catalog_events --fresh --events 10000 --concurrency 1 --explain

Client and server share one process and one event loop, so the figures are a floor for one API
process. Nothing here fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from unittest.mock import patch

import httpx
import msgspec
import psycopg
from benchmarks.catalog_stores import bench_container
from tests.fixtures.http import api_client
from tests.fixtures.venues import layout_json

from lml.app import create_app
from lml.catalog.application import manage_events, manage_shows
from lml.catalog.domain.event import EventDraft
from lml.catalog.domain.show import ShowDraft
from lml.catalog.infrastructure.public_cache import Cached, Fresh, PublicCache
from lml.catalog.infrastructure.public_queries import LIST_SQL, EventFilters, list_params
from lml.container import Container
from lml.venues.application.edit_layouts import create_layout
from lml.venues.application.manage_venues import create_venue
from lml.venues.application.publish_layout import publish_layout
from lml.venues.domain.layout import LayoutDraft
from lml.venues.domain.venue import VenueDraft

CITIES = ("London", "Paris", "Berlin", "Madrid", "Rome")
CATEGORIES = ("concert", "theatre", "comedy", "jazz", "opera")
# Each query: its label, the request's parameters, and the same as the listing's filters (for EXPLAIN).
QUERIES = (
    ("first page, 20", {"limit": "20"}, EventFilters()),
    ("city + category", {"city": "paris", "category": "jazz"}, EventFilters(city="paris", category="jazz")),
    ("text", {"q": "live search"}, EventFilters(text="live search")),
)


async def seed(container: Container, events: int) -> None:
    org_id = str(uuid.uuid4())
    stores = container.venues.stores
    ports = container.catalog.ports
    layouts = []
    for city in CITIES:
        venue = await create_venue(stores, org_id=org_id, draft=VenueDraft(name=f"Hall {city} {org_id[:6]}",
                                                                           city=city, timezone="UTC"))
        created = await create_layout(stores, org_id=org_id, venue_id=venue.venue_id,
                                      draft=msgspec.convert(layout_json(20), LayoutDraft))
        published = await publish_layout(stores, org_id=org_id, venue_id=venue.venue_id,
                                         layout_id=created.record.layout_id)
        layouts.append((venue.venue_id, published.layout_id))
    now = container.clock.now()
    for i in range(events):
        venue_id, layout_id = layouts[i % len(layouts)]
        event = await manage_events.create_event(ports, org_id=org_id, draft=EventDraft(
            venue_id=venue_id, title=f"Event {i} live", category=CATEGORIES[i % len(CATEGORIES)],
            description="Benchmark event with a few words to search"))
        for n in range(1 + i % 3):
            draft = msgspec.convert({
                "starts_at": now + timedelta(days=1 + (i * 7 + n) % 90, hours=n), "layout_id": layout_id,
                "price_tiers": [{"tier_id": "std", "name": "Standard", "price": 5000}],
                "pricing": [{"section": "A", "tier_id": "std"}]}, ShowDraft)
            await manage_shows.create_show(ports, org_id=org_id, event_id=event.event_id, draft=draft)
        await manage_events.publish_event(ports, org_id=org_id, user_id=None, event_id=event.event_id)


async def uncached_read(depends_on: Sequence[str], name: str,
                        load: Callable[[], Awaitable[Fresh | None]]) -> Cached | None:
    """`PublicCache.read` where every read loads: what each request costs when the answer is not in Redis."""
    fresh = await load()
    return Cached(fresh.body, fresh.seconds) if fresh else None


async def run(client: httpx.AsyncClient, cache: PublicCache, *, requests: int, concurrency: int, cached: bool,
              params: dict[str, str]) -> dict[str, float]:
    latencies: list[float] = []
    queue = iter(range(requests))

    async def buyer() -> None:
        for _ in queue:
            started = time.perf_counter()
            response = await client.get("/v1/events", params=params)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text

    await client.get("/v1/events", params=params)  # warm the cache (and the pool)
    with contextlib.nullcontext() if cached else patch.object(cache, "read", uncached_read):
        started = time.perf_counter()
        await asyncio.gather(*[buyer() for _ in range(concurrency)])
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"rps": requests / elapsed, "p50": statistics.median(latencies) * 1000,
            "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000}


async def analyze(container: Container) -> None:
    """Statistics on the seeded tables, as autovacuum gathers them within a minute or so of such a load
    (the application's role may not ANALYZE: the tables' owner does)."""
    async with await psycopg.AsyncConnection.connect(container.settings.migrate_database_url,
                                                     autocommit=True) as conn:
        await conn.execute("ANALYZE catalog.events, catalog.shows, catalog.listed_shows")


async def explain(container: Container, label: str, filters: EventFilters) -> None:
    """The first page's plan, run as a buyer's (acting as no organization, row-level security on)."""
    async with container.resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS) " + LIST_SQL, list_params(filters, None, container.clock.now(), 20),
        )).fetchall()
    print(f"--- {label}")
    print("\n".join(str(next(iter(row.values()))) for row in rows))


async def main(argv: list[str]) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", action="store_true", help="run on a throwaway database, Redis index and MongoDB")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--explain", action="store_true", help="print each query's EXPLAIN (ANALYZE, BUFFERS) first")
    args = parser.parse_args(argv)
    async with bench_container(args.fresh) as container:
        started = time.perf_counter()
        await seed(container, args.events)
        print(f"seeded {args.events} published events in {time.perf_counter() - started:.1f}s")
        if args.explain:
            for label, _, filters in QUERIES:
                await explain(container, f"{label}, no statistics yet", filters)
        await analyze(container)
        if args.explain:
            for label, _, filters in QUERIES:
                await explain(container, label, filters)
        # On this event loop, with the container's open stores (the app's lifespan does not run).
        async with api_client(create_app(container=container)) as client:
            print("query | cache | req/s | p50 (ms) | p95 (ms)")
            print("------|-------|-------|----------|---------")
            for label, params, _ in QUERIES:
                for cached in (True, False):
                    figures = await run(client, container.catalog.public_cache, requests=args.requests,
                                        concurrency=args.concurrency, cached=cached, params=params)
                    print(f"{label} | {'hit' if cached else 'miss'} | {figures['rps']:.0f} | {figures['p50']:.1f} | "
                          f"{figures['p95']:.1f}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
