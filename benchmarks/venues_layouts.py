"""Layout sizes vs time: decode, validate, hash, create + publish, and the export's size.

    .venv/bin/python -m benchmarks.venues_layouts                      # in memory: the CPU work only
    .venv/bin/python -m benchmarks.venues_layouts --stores real        # PostgreSQL + MongoDB from LML_* settings

`--stores real` needs a migrated database (`lml migrate`) and a MongoDB; it writes venues under a
throwaway organization id. Figures are medians of `--repeat` runs; nothing here fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import sys
import time
import uuid
from typing import Any

import msgspec

from lml.config import Settings
from lml.container import Container, build_container
from lml.platform.clock import SystemClock
from lml.venues.application.edit_layouts import create_layout
from lml.venues.application.manage_venues import create_venue
from lml.venues.application.ports import Stores
from lml.venues.application.publish_layout import publish_layout
from lml.venues.application.read_layouts import export_layout
from lml.venues.application.testing import fake_stores
from lml.venues.domain.canonical import content_hash
from lml.venues.domain.layout import LayoutDraft
from lml.venues.domain.layout_rules import build_layout
from lml.venues.domain.venue import VenueDraft

SIZES = (1_000, 20_000, 100_000)


def arena(seats: int) -> dict[str, Any]:
    """A bowl: 40 sections around the floor, rows of 25 seats, coordinates with six decimals."""
    sections: list[dict[str, Any]] = []
    per_section = -(-seats // 40)
    left = seats
    for s in range(40):
        rows = []
        count = min(per_section, left)
        left -= count
        for r in range(-(-count // 25)):
            in_row = min(25, count - r * 25)
            rows.append({"label": str(r + 1), "seats": [
                {"number": n + 1, "x": round((s * 25 + n) / 1000 % 1, 6), "y": round(0.05 + 0.9 * r / 200, 6),
                 **({"accessible": True} if r == 0 and n < 2 else {}),
                 **({"category": "premium"} if r < 3 else {})}
                for n in range(in_row)
            ]})
        if rows:
            sections.append({"label": f"S{s + 1:02d}", "name": f"Section {s + 1}", "rows": rows})
    return {"name": f"Arena {seats}", "layout_type": "hybrid",
            "viewport": {"width": 2000, "height": 1500, "unit": "px"}, "sections": sections,
            "zones": [{"zone_id": "floor", "name": "Floor", "capacity": 5000,
                       "bounds": {"x": 0.3, "y": 0.3, "width": 0.4, "height": 0.4}}],
            "shapes": [{"kind": "stage", "text": "Stage",
                        "bounds": {"x": 0.4, "y": 0.2, "width": 0.2, "height": 0.08}}]}


class Stopwatch:
    """Accumulates named laps: `lap(name)` records the time since the previous lap."""

    def __init__(self) -> None:
        self.laps: dict[str, list[float]] = {}
        self._last = time.perf_counter()

    def start(self) -> None:
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.setdefault(name, []).append(now - self._last)
        self._last = now


async def measure(stores: Stores, org_id: str, venue_id: str, seats: int, repeat: int) -> dict[str, Any]:
    body = msgspec.json.encode(arena(seats))
    watch = Stopwatch()
    export = b""
    for _ in range(repeat):
        watch.start()
        draft = msgspec.json.decode(body, type=LayoutDraft)
        watch.lap("decode")
        content = build_layout(str(uuid.uuid4()), 1, draft)
        watch.lap("validate")
        content_hash(content)
        watch.lap("hash")
        view = await create_layout(stores, org_id=org_id, venue_id=venue_id, draft=draft)
        watch.lap("create")
        layout_id = view.record.layout_id
        await publish_layout(stores, org_id=org_id, venue_id=venue_id, layout_id=layout_id)
        watch.lap("publish")
        export = (await export_layout(stores, org_id=org_id, venue_id=venue_id, layout_id=layout_id)).body
        watch.lap("export")
    return {
        "seats": seats,
        "body_bytes": len(body),
        **{name: statistics.median(values) for name, values in watch.laps.items()},
        "export_bytes": len(export),
        "export_gzip_bytes": len(gzip.compress(export, 6)),
    }


def _report(rows: list[dict[str, Any]], stores: str) -> None:
    print(f"stores: {stores}; times are medians in milliseconds; validate+publish = validate + create + publish")
    header = ("seats", "body KiB", "decode", "validate", "hash", "create", "publish", "validate+publish",
              "export read", "export KiB", "export gz KiB")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for row in rows:
        ms = {k: row[k] * 1000 for k in ("decode", "validate", "hash", "create", "publish", "export")}
        print(" | ".join([
            f"{row['seats']:,}", f"{row['body_bytes'] / 1024:,.0f}", f"{ms['decode']:.1f}", f"{ms['validate']:.1f}",
            f"{ms['hash']:.1f}", f"{ms['create']:.1f}", f"{ms['publish']:.1f}",
            f"{ms['validate'] + ms['create'] + ms['publish']:.1f}", f"{ms['export']:.1f}",
            f"{row['export_bytes'] / 1024:,.0f}",
            f"{row['export_gzip_bytes'] / 1024:,.0f}",
        ]))


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", choices=["memory", "real"], default="memory")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = parser.parse_args(argv)
    org_id = str(uuid.uuid4())
    container: Container | None = None
    if args.stores == "real":
        container = build_container(Settings.from_env())
        await container.open()
        await container.resources.db.pool.wait(timeout=10)
        stores = container.venues.stores
    else:
        stores = fake_stores(SystemClock())[0]
    try:
        venue = await create_venue(stores, org_id=org_id,
                                   draft=VenueDraft(name=f"Bench {org_id[:8]}", city="Bench", timezone="UTC"))
        rows = [await measure(stores, org_id, venue.venue_id, seats, args.repeat) for seats in args.sizes]
    finally:
        if container is not None:
            await container.close()
    _report(rows, args.stores)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
