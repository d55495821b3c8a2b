"""Best available with a tier whose free seats are left only in runs one seat too long for the block asked:
Redis time per request, without HTTP, and the Redis memory of the show.

    .venv/bin/python -m benchmarks.seating_best_available_tier                # 20,000 seats, 200 requests a kind
    .venv/bin/python -m benchmarks.seating_best_available_tier --seats 20000 --requests 200

What it does, on a Redis server of its own (so that Redis' own per-call figures count this run only):
  1. loads a show laid out as the fill benchmark's (`benchmarks.seating_best_available_fill`: 20 sections
     of rows of ten, ranked as putting it on sale ranks it) with three price tiers by section: `front`
     (the first 4), `back` (the last 4) and `rest`; prints the MEMORY USAGE of the show's keys (`runs`
     apart, and all of them);
  2. holds seats of every `back` row (explicit holds: seats 4, 8, 9 and 10 of a row of ten), so that
     `back` keeps its free seats in runs of 3 only; every other row stays free;
  3. runs `--requests` requests of each kind, one at a time, the single-seat rule on, and prints for each
     Redis' own time per FCALL (INFO commandstats, reset before each window), the client's round trip
     per request, and how many requests were answered as the kind means (`as_asked`):
       - `refused_in_tier`: 2 together in `back`: refused (409 `not-enough-seats`), as a block of 2 would
         leave a seat alone in every run of 3;
       - `served_in_tier`: 3 together in `back`: placed, in the best run of 3 left;
       - `best_available`: 2 together, no tier: placed;
       - `best_available_front`: 2 together in `front`: placed.
Reports only; it never fails on timing."""

from __future__ import annotations

import argparse
import random
import sys
from typing import Any

import redis.asyncio as aioredis
from benchmarks.seating_best_available_fill import (
    FRONT_SECTIONS,
    SECTIONS,
    Show,
    report_on_own_redis,
    show_state,
    window,
)

from lml.seating.domain.best_available import BestAvailable
from lml.seating.domain.hold import HoldRequest
from lml.seating.infrastructure.redis_holds import RedisHoldStore

BACK_SECTIONS = 4
PREFIX = "bench"
KINDS = {
    "refused_in_tier": HoldRequest((), (), BestAvailable(quantity=2, tier_id="back")),
    "served_in_tier": HoldRequest((), (), BestAvailable(quantity=3, tier_id="back")),
    "best_available": HoldRequest((), (), BestAvailable(quantity=2)),
    "best_available_front": HoldRequest((), (), BestAvailable(quantity=2, tier_id="front")),
}


def three_tiers(section: int) -> str:
    if section < FRONT_SECTIONS:
        return "front"
    return "back" if section >= SECTIONS - BACK_SECTIONS else "rest"


def runs_of_three_taken(length: int) -> list[int]:
    """The positions of a row to hold so that its free seats stand in runs of exactly 3: every fourth seat,
    and the tail too short for a run of 3."""
    return [pos for pos in range(length) if pos % 4 == 3 or pos >= length - length % 4]


async def memory(client: aioredis.Redis, show_id: str) -> dict[str, int]:
    """MEMORY USAGE (every element counted) of the show's keys: `runs`, and all of them."""
    sizes: dict[str, int] = {}
    async for key in client.scan_iter(match=f"{PREFIX}:seating:*:{{{show_id}}}", count=1000):
        sizes[key.decode().split(":")[2]] = await client.memory_usage(key, samples=0) or 0
    return {"runs": sizes.get("runs", 0), "all_keys": sum(sizes.values())}


async def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    state, rows = show_state(args.seats, three_tiers)
    tier_of_seat = {place.seat_id: place.tier_id for place in state.places}
    client = aioredis.Redis.from_url(url)
    random.seed(args.seed)
    try:
        show = Show(RedisHoldStore(client, PREFIX), rows)
        await show.store.load(show.show_id, state)
        loaded = await memory(client, show.show_id)
        for row in rows:
            if tier_of_seat[row[0]] == "back":
                await show.hold(HoldRequest(tuple(row[pos] for pos in runs_of_three_taken(len(row))), ()))
        report: dict[str, Any] = {"seats": args.seats, "requests": args.requests, "memory_loaded": loaded,
                                  "memory_back_in_runs_of_3": await memory(client, show.show_id)}
        for kind, request in KINDS.items():
            async def step(request: HoldRequest = request, refusal: bool = kind.startswith("refused")) -> bool:
                return await show.refused(request) if refusal else await show.hold(request) is not None

            report[kind] = await window(client, args.requests, step)
        return report
    finally:
        await client.aclose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seats", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200, help="requests measured per kind")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    return report_on_own_redis("lml-tier-", lambda url: run(args, url))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
