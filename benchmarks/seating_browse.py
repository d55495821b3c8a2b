"""Browsing a show over HTTP, against `lml serve` (granian): the seat map and the availability, each
revalidated (`If-None-Match` → 304) and fetched whole (200), next to `/livez` in the same run.

    .venv/bin/python -m benchmarks.seating_browse                      # 20,000 seats, 2 workers, 64 connections, 10 s
    .venv/bin/python -m benchmarks.seating_browse --seats 20000 --workers 2 --connections 64 --duration 10

What it does, on a throwaway world like the tests' (new database, claimed Redis index, nx-27017):
  1. puts a show of `--seats` seats on sale and holds a tenth of them (so that the availability is
     not all one status), then starts `lml serve --workers N` (benchmarks.served_api);
  2. reads the seat map and the availability once: their ETags and body sizes;
  3. runs wrk (benchmarks/seating_hold_storm.lua, `get` mode) on GET /livez (the ceiling), then on
     each of: the seat map with its ETag (304), the availability with its ETag (304), the
     availability without (200, the show unchanged: the last body encoded per process);
  4. measures in process what answering a changed show costs: the snapshot script (Redis) and the
     body's encoding, per call, `--builds` times;
  5. prints for each run req/s, the ratio to /livez, p50/p99, API and Redis CPU per request, the
     statuses (a run counts only if every answer had the status asked for), and the load average.

Needs `wrk` (apt-get install wrk). Reports only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks.seating_hold_storm import run_wrk, wrk_is_missing
from benchmarks.served_api import cpu_seconds, fresh_settings, redis_cpu_seconds, serve_api
from benchmarks.show_on_sale import show_on_sale

from lml.config import Settings
from lml.container import build_container
from lml.seating.application.read_availability import read_availability
from lml.seating.domain.hold import Holder, HoldRequest, HoldTerms, new_hold_id


async def _show_on_sale(settings: Settings, seats: int) -> str:
    """A show on sale with every tenth seat held (ten seats a hold, as many buyers)."""
    container = build_container(settings)
    await container.open()
    try:
        await container.resources.db.pool.wait(timeout=10)
        show_id = await show_on_sale(container, seats=seats, sections=20, front_sections=4, max_seats_per_buyer=10,
                                     title="Browse")
        holding = container.seating.holding
        await holding.load_inventory(show_id)
        async with container.resources.db.unit_of_work() as uow:
            rows = await (await uow.conn.execute(
                "SELECT seat_id FROM seating.show_seats WHERE show_id = %s ORDER BY seat_id", (show_id,))).fetchall()
        seat_ids = [r["seat_id"] for r in rows]
        terms = HoldTerms(hold_ms=3_600_000, cap_ms=3_600_000, max_per_buyer=10, max_per_address=10**9)
        for first in range(0, len(seat_ids), 100):
            buyer = f"guest:{uuid.uuid4()}"
            hold_id = new_hold_id(show_id, os.urandom(12))
            holder = Holder(owner=buyer, limit_key=buyer, address="x", guest=True)
            await container.seating.store.place(show_id, hold_id, holder, "digest",
                                                HoldRequest.parse(seat_ids[first:first + 10], {}), terms)
        return show_id
    finally:
        await container.close()


async def _build_cost(settings: Settings, show_id: str, builds: int) -> dict[str, Any]:
    """What a changed show costs to answer: the snapshot script and the encoding, per build."""
    container = build_container(settings)
    await container.open()
    try:
        services = container.seating
        redis_before, api_before, wall_before = redis_cpu_seconds(settings), time.process_time(), time.perf_counter()
        size = 0
        for _ in range(builds):
            # Without a known version, as after any change: the whole snapshot, then its encoding.
            size = len(services.availability_bodies.put(await read_availability(services.holding, show_id=show_id))[1])
        return {"builds": builds, "body_bytes": size,
                "api_cpu_ms_per_build": round((time.process_time() - api_before) * 1000 / builds, 3),
                "redis_cpu_ms_per_build": round((redis_cpu_seconds(settings) - redis_before) * 1000 / builds, 3),
                "wall_ms_per_build": round((time.perf_counter() - wall_before) * 1000 / builds, 3)}
    finally:
        await container.close()


def _get(url: str) -> tuple[str, bytes]:
    """The answer's ETag and body."""
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - our own server
        return str(answer.headers["ETag"]), answer.read()


def _run(settings: Settings, base: str, args: argparse.Namespace, pids: list[int], ceiling_rps: float,
         path: str, etag: str | None, expected: int) -> dict[str, Any]:
    load = os.getloadavg()
    api_cpu, redis_cpu = cpu_seconds(pids), redis_cpu_seconds(settings)
    result = run_wrk(base, args, ["get", path, *([etag] if etag else [])])
    api_cpu, redis_cpu = cpu_seconds(pids) - api_cpu, redis_cpu_seconds(settings) - redis_cpu
    statuses = {int(k): v for k, v in result["statuses"].items()}
    requests = result["requests"]
    return {
        "rps": round(result["rps"]), "ratio_to_livez": round(result["rps"] / ceiling_rps, 3) if ceiling_rps else 1.0,
        "p50_ms": result["p50_us"] / 1000, "p99_ms": result["p99_us"] / 1000,
        "cpu_ms_per_request": {"api": round(api_cpu * 1000 / requests, 4),
                               "redis": round(redis_cpu * 1000 / requests, 4)},
        "statuses": statuses, "counts": set(statuses) == {expected} and result["socket_errors"] == 0,
        "load_average_before": [round(x, 2) for x in load],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seats", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--builds", type=int, default=200, help="changed-show answers measured in process")
    args = parser.parse_args(argv)
    if wrk_is_missing():
        return 2
    with ExitStack() as stack:
        settings = fresh_settings(stack)
        show_id = asyncio.run(_show_on_sale(settings, args.seats))
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lml-browse-")))
        with serve_api(settings, workers=args.workers, log=work / "server.log") as api:
            base = api.base
            seatmap, availability = f"/v1/shows/{show_id}/seatmap", f"/v1/shows/{show_id}/availability"
            for _ in range(4 * args.workers):  # every worker has the show's terms, map and body
                seatmap_etag, seatmap_body = _get(base + seatmap)
                etag, body = _get(base + availability)
            sizes = {"seatmap_bytes": len(seatmap_body), "availability_bytes": len(body),
                     "availability_kib": round(len(body) / 1024, 1)}
            pids = api.pids()
            ceiling = _run(settings, base, args, pids, 0, "/livez", None, 200)
            runs = {
                "livez": ceiling,
                "seatmap_304": _run(settings, base, args, pids, ceiling["rps"], seatmap, seatmap_etag, 304),
                "availability_304": _run(settings, base, args, pids, ceiling["rps"], availability, etag,
                                         304),
                "availability_200": _run(settings, base, args, pids, ceiling["rps"], availability, None, 200),
            }
        changed = asyncio.run(_build_cost(settings, show_id, args.builds))
        report = {"seats": args.seats, "workers": args.workers, "connections": args.connections,
                  "duration_s": args.duration, "sizes": sizes, **runs, "changed_show_answer": changed}
        print(json.dumps(report, indent=2))
        return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
