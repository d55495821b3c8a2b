"""Best available as a show fills: Redis time per request, without HTTP.

    .venv/bin/python -m benchmarks.seating_best_available_fill                  # 20,000 seats, 0/50/90 % full
    .venv/bin/python -m benchmarks.seating_best_available_fill --seats 20000 --fill 0 50 90 --requests 200

What it does, on a Redis server of its own (so that Redis' own per-call figures count this run only):
  1. loads a show laid out as the hold storm's (`benchmarks.seating_hold_storm`: sections of rows of ten,
     two price tiers) into the hold store, ranked as putting it on sale ranks it;
  2. for each `--fill` level, fills a new show to that share of its seats: random rows holding half of
     what stays free are kept free, the other rows take explicit holds of two adjacent free seats at
     random places (single seats once no pair is left), as the storm's explicit buyers do: that strands
     odd seats everywhere but in the kept rows, the seats the best-available chooser has to skip;
  3. then runs `--requests` best-available requests that nothing fits (11 seats together in rows of ten:
     a 409 `not-enough-seats` with its figures), without a tier and with the tier `front`, then as many
     best-available holds (2 seats together, the single-seat rule on), without a tier and with `front`,
     then as many explicit holds of two random free seats side by side, one request at a time;
  4. prints for each level and each kind Redis' own time per FCALL (INFO commandstats, reset before
     each window), the client's round trip per request, and how many requests were answered as the kind
     means (`as_asked`: placed, or refused for want of seats).
Reports only; it never fails on timing."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from tests.fixtures.venues import layout_json
from tests.services import background, free_port

from lml.seating.domain.availability import InventoryState, SeatRow
from lml.seating.domain.best_available import BestAvailable
from lml.seating.domain.hold import Holder, HoldPlaced, HoldRefused, HoldRequest, HoldTerms, PlaceOutcome, new_hold_id
from lml.seating.domain.seat_quality import PlacedSeat, SeatGeometry, VenueGeometry, rank_seats
from lml.seating.infrastructure.redis_holds import RedisHoldStore

SECTIONS = 20
FRONT_SECTIONS = 4
TERMS = HoldTerms(hold_ms=3_600_000, cap_ms=3_600_000, max_per_buyer=8, max_per_address=10_000_000)
BEST = HoldRequest((), (), BestAvailable(quantity=2))
BEST_FRONT = HoldRequest((), (), BestAvailable(quantity=2, tier_id="front"))
TOO_MANY = HoldRequest((), (), BestAvailable(quantity=11))
TOO_MANY_FRONT = HoldRequest((), (), BestAvailable(quantity=11, tier_id="front"))
# Room for a request of 11 within the buyer's limit: the refusal is the chooser's, not the limit's.
REFUSAL_TERMS = HoldTerms(hold_ms=3_600_000, cap_ms=3_600_000, max_per_buyer=100, max_per_address=10_000_000)


def front_or_rest(section: int) -> str:
    return "front" if section < FRONT_SECTIONS else "rest"


def show_state(seats: int, tier_of: Callable[[int], str] = front_or_rest) -> tuple[InventoryState, list[list[str]]]:
    """The storm's layout as inventory, and its rows' seat ids left to right; `tier_of` gives a section's
    price tier by its index."""
    body = layout_json(seats, sections=SECTIONS)
    geometry: list[SeatGeometry] = []
    tiers: dict[str, str] = {}
    for s_index, section in enumerate(body["sections"]):
        for row in section["rows"]:
            for seat in row["seats"]:
                key = f"bench_{section['label']}_{row['label']}_{seat['number']}"
                seat_id = hashlib.sha256(key.encode()).hexdigest()[:16]
                geometry.append(SeatGeometry(seat_id, section["label"], row["label"], seat["x"], seat["y"]))
                tiers[seat_id] = tier_of(s_index)
    plan = rank_seats(geometry, VenueGeometry(focal_point=(0.5, 0.0), viewport=(1.0, 1.0)))
    places = [PlacedSeat(p.seat_id, p.rank, p.row_no, p.row_pos, tiers[p.seat_id]) for p in plan.places]
    rows: list[list[str]] = [[] for _ in plan.rows]
    for place in sorted(plan.places, key=lambda p: (p.row_no, p.row_pos)):
        rows[place.row_no].append(place.seat_id)
    state = InventoryState(seats=[SeatRow(seat_id, "available", 1) for seat_id in tiers], zones=[], places=places,
                           rows=plan.rows)
    return state, rows


class Show:
    def __init__(self, store: RedisHoldStore, rows: list[list[str]]) -> None:
        self.store = store
        self.show_id = str(uuid.uuid4())
        self.rows = rows
        self.free = {seat for row in rows for seat in row}
        self.total = len(self.free)

    async def place(self, request: HoldRequest, terms: HoldTerms = TERMS) -> PlaceOutcome:
        name = uuid.uuid4().hex
        return await self.store.place(self.show_id, new_hold_id(self.show_id, random.randbytes(12)),
                                      Holder(owner=name, limit_key=name, address=name, guest=True), "t", request,
                                      terms)

    async def refused(self, request: HoldRequest) -> bool:
        outcome = await self.place(request, REFUSAL_TERMS)
        return isinstance(outcome, HoldRefused) and outcome.reason == "not_enough"

    async def hold(self, request: HoldRequest) -> HoldPlaced | None:
        outcome = await self.place(request)
        if not isinstance(outcome, HoldPlaced):
            return None
        self.free -= set(outcome.chosen or request.seat_ids)
        return outcome

    def random_pair(self, rng: random.Random, rows: list[list[str]] | None = None) -> tuple[str, str] | None:
        """Two free seats side by side at a random place in `rows` (all rows by default)."""
        rows = rows or self.rows
        for _ in range(50):
            row = rng.choice(rows)
            i = rng.randrange(len(row) - 1) if len(row) > 1 else 0
            if len(row) > 1 and row[i] in self.free and row[i + 1] in self.free:
                return row[i], row[i + 1]
        pairs = [(row[i], row[i + 1]) for row in rows for i in range(len(row) - 1)
                 if row[i] in self.free and row[i + 1] in self.free]
        return rng.choice(pairs) if pairs else None

    async def fill_to(self, share: float, rng: random.Random) -> None:
        """Random rows holding (1 - share) / 2 of the seats are kept free; the others take random pairs,
        then random single seats, until `share` of the show is held."""
        kept: set[int] = set()
        order = list(range(len(self.rows)))
        rng.shuffle(order)
        for r in order:
            if sum(len(self.rows[k]) for k in kept) >= (1 - share) / 2 * self.total:
                break
            kept.add(r)
        others = [row for r, row in enumerate(self.rows) if r not in kept]
        while self.total - len(self.free) < share * self.total:
            pair = self.random_pair(rng, others)
            if pair is None:
                pair = (rng.choice(sorted(seat for row in others for seat in row if seat in self.free)),)
            await self.hold(HoldRequest(pair, ()))


async def window(client: aioredis.Redis, requests: int, step: Any) -> dict[str, float]:
    await client.config_resetstat()
    started = time.perf_counter()
    done = 0
    for _ in range(requests):
        if await step():
            done += 1
    elapsed = time.perf_counter() - started
    stats = await client.info("commandstats")
    fcall = stats.get("cmdstat_fcall", {"calls": 0, "usec": 0})  # the seating scripts are functions
    return {"requests": requests, "as_asked": done,
            "redis_ms_per_request": round(fcall["usec"] / 1000 / max(fcall["calls"], 1), 3),
            "round_trip_ms": round(elapsed * 1000 / requests, 3)}


async def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    state, rows = show_state(args.seats)
    client = aioredis.Redis.from_url(url)
    rng = random.Random(args.seed)
    report: dict[str, Any] = {"seats": args.seats, "requests": args.requests, "levels": []}
    try:
        store = RedisHoldStore(client, "bench")
        for level in args.fill:
            show = Show(store, rows)
            await store.load(show.show_id, state)
            await show.fill_to(level / 100, rng)
            held_before = show.total - len(show.free)

            async def best(show: Show = show) -> bool:
                return await show.hold(BEST) is not None

            async def best_front(show: Show = show) -> bool:
                return await show.hold(BEST_FRONT) is not None

            async def refusal(show: Show = show) -> bool:
                return await show.refused(TOO_MANY)

            async def refusal_front(show: Show = show) -> bool:
                return await show.refused(TOO_MANY_FRONT)

            async def explicit(show: Show = show) -> bool:
                pair = show.random_pair(rng)
                return pair is not None and await show.hold(HoldRequest(pair, ())) is not None

            report["levels"].append({
                "fill_percent": level, "held_before": held_before,
                "refusal": await window(client, args.requests, refusal),
                "refusal_front": await window(client, args.requests, refusal_front),
                "best_available": await window(client, args.requests, best),
                "best_available_front": await window(client, args.requests, best_front),
                "explicit": await window(client, args.requests, explicit),
            })
    finally:
        await client.aclose()
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seats", type=int, default=20_000)
    parser.add_argument("--fill", type=int, nargs="+", default=[0, 50, 90], help="percent of seats held first")
    parser.add_argument("--requests", type=int, default=200, help="requests measured per level and kind")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    return report_on_own_redis("lml-fill-", lambda url: run(args, url))


def report_on_own_redis(prefix: str, measure: Callable[[str], Awaitable[dict[str, Any]]]) -> int:
    """`measure` run against a Redis server of its own (its CPU and commands are the run's alone), its
    report printed as JSON."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=prefix) as work, \
            background(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"], port, "redis",
                       work):
        report = asyncio.run(measure(f"redis://127.0.0.1:{port}/0"))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
