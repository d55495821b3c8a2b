"""Putting a show on sale vs its size: the whole use case (read the pinned layout, resolve every
seat's tier, create the inventory, commit) and the inventory insert alone.

    .venv/bin/python -m benchmarks.catalog_materialize --fresh            # a throwaway world, like the tests'
    .venv/bin/python -m benchmarks.catalog_materialize                    # the LML_* settings' stores

Without `--fresh` it needs a migrated database and a MongoDB, and writes under a throwaway
organization. Figures are medians of `--repeat` runs; nothing here fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from datetime import timedelta

import msgspec
from benchmarks.catalog_stores import bench_container
from tests.fixtures.venues import layout_json

from lml.catalog.application import manage_events, manage_shows
from lml.catalog.application.put_on_sale import put_show_on_sale
from lml.catalog.domain.event import EventDraft
from lml.catalog.domain.show import ShowDraft
from lml.container import Container
from lml.platform.ids import new_id
from lml.seating.facade import InventorySeat, InventoryZone
from lml.venues.application.edit_layouts import create_layout
from lml.venues.application.manage_venues import create_venue
from lml.venues.application.publish_layout import publish_layout
from lml.venues.domain.layout import LayoutDraft
from lml.venues.domain.venue import VenueDraft

SIZES = (20_000, 100_000)
SECTIONS = 20


async def _published_layout(container: Container, org_id: str, venue_id: str, seats: int) -> str:
    stores = container.venues.stores
    draft = msgspec.convert(layout_json(seats, sections=SECTIONS, name=f"Bench {seats}"), LayoutDraft)
    created = await create_layout(stores, org_id=org_id, venue_id=venue_id, draft=draft)
    published = await publish_layout(stores, org_id=org_id, venue_id=venue_id, layout_id=created.record.layout_id)
    return published.layout_id


async def _on_sale_seconds(container: Container, org_id: str, event_id: str, layout_id: str,
                           seats: int) -> tuple[float, str]:
    ports = container.catalog.ports
    sections = [chr(ord("A") + i) for i in range(SECTIONS)]
    draft = msgspec.convert({
        "starts_at": container.clock.now() + timedelta(days=30), "layout_id": layout_id,
        "price_tiers": [{"tier_id": "front", "name": "Front", "price": 9900},
                        {"tier_id": "rest", "name": "Rest", "price": 4900}],
        "pricing": [{"section": s, "tier_id": "front" if i < 4 else "rest"} for i, s in enumerate(sections)],
    }, ShowDraft)
    show = await manage_shows.create_show(ports, org_id=org_id, event_id=event_id, draft=draft)
    started = time.perf_counter()
    result = await put_show_on_sale(ports, org_id=org_id, show_id=show.show_id)
    elapsed = time.perf_counter() - started
    assert result.inventory.created and result.inventory.seats == seats
    return elapsed, show.show_id


async def _parts_seconds(container: Container, org_id: str, show_id: str) -> tuple[float, float]:
    """The on-sale's first two steps alone: reading the pinned layout, and resolving every seat's tier."""
    ports = container.catalog.ports
    show = await manage_shows.get_show(ports, org_id=org_id, show_id=show_id)
    started = time.perf_counter()
    layout = await ports.venues.pinned_layout(org_id, show.layout)
    read = time.perf_counter() - started
    started = time.perf_counter()
    show.plan_inventory(layout)
    return read, time.perf_counter() - started


async def _insert_seconds(container: Container, org_id: str, on_sale_id: str, seats: int) -> float:
    """Seating's inventory for a new show id, with the terms of sale of the show `on_sale_id` (seating
    stores them alongside; nothing reads them here)."""
    rows = [InventorySeat(f"{i:016x}", "front" if i % 5 == 0 else "rest", False) for i in range(seats)]
    zones = [InventoryZone("floor", "ga", 5000)]
    terms = msgspec.structs.replace(await container.seating.terms.terms(on_sale_id), show_id=new_id())
    started = time.perf_counter()
    async with container.resources.db.unit_of_work(org_id=org_id) as uow:
        await container.seating_facade.materialize_inventory(uow, terms, rows, zones)
        await uow.commit()
    return time.perf_counter() - started


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", action="store_true", help="run on a throwaway database, Redis index and MongoDB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = parser.parse_args(argv)
    async with bench_container(args.fresh) as container:
        org_id = str(uuid.uuid4())
        venue = await create_venue(container.venues.stores, org_id=org_id, draft=VenueDraft(
            name=f"Bench arena {org_id[:8]}", city="Benchville", timezone="UTC"))
        ports = container.catalog.ports
        event = await manage_events.create_event(ports, org_id=org_id, draft=EventDraft(
            venue_id=venue.venue_id, title="Benchmark", category="bench"))
        await manage_events.publish_event(ports, org_id=org_id, user_id=None, event_id=event.event_id)
        columns = ["seats", "on-sale (s)", "seats/s", "layout read (s)", "pricing (s)", "insert alone (s)", "rows/s"]
        print(" | ".join(columns))
        print("|".join("-" * (len(c) + 2) for c in columns))
        for seats in args.sizes:
            layout_id = await _published_layout(container, org_id, venue.venue_id, seats)
            runs = [await _on_sale_seconds(container, org_id, event.event_id, layout_id, seats)
                    for _ in range(args.repeat)]
            whole = statistics.median(r[0] for r in runs)
            parts = [await _parts_seconds(container, org_id, runs[0][1]) for _ in range(args.repeat)]
            read, pricing = statistics.median(p[0] for p in parts), statistics.median(p[1] for p in parts)
            insert = statistics.median([await _insert_seconds(container, org_id, runs[0][1], seats)
                                        for _ in range(args.repeat)])
            print(f"{seats} | {whole:.3f} | {seats / whole:.0f} | {read:.3f} | {pricing:.3f} | {insert:.3f} | "
                  f"{seats / insert:.0f}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
