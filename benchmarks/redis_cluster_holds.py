"""Hold scripts on one Redis and on a three-master Redis Cluster, through the hold store as the API
calls it (the script batcher, one client per process), in the same run.

    .venv/bin/python -m benchmarks.redis_cluster_holds                      # 48 shows, 128 callers, 8 s each
    .venv/bin/python -m benchmarks.redis_cluster_holds --shows 48 --seats 2000 --callers 128 --duration 8

For each of the two: `--shows` shows of `--seats` seats loaded into Redis, then `--callers` buyers in
this process asking, closed loop, for two adjacent seats at a random place of a random show, for
`--duration` seconds. It prints the hold calls per second (placed and refused apart), this process's
CPU per call (what the client costs the API: the cluster client routes each script to its node) and
the load average; then the cluster's figures as a ratio to the one Redis's. The cluster is the tests'
(tests.services.redis_cluster: three redis-server processes on free ports); the one Redis a claimed
index of LML_TEST_REDIS_URL. Reports only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from contextlib import ExitStack
from dataclasses import dataclass

import redis
from tests import services

from lml.config import Settings
from lml.platform.ids import new_id
from lml.platform.redis import create_redis
from lml.seating.domain.availability import InventoryState, SeatRow
from lml.seating.domain.hold import Holder, HoldPlaced, HoldRequest, HoldTerms, new_hold_id
from lml.seating.infrastructure.redis_holds import RedisHoldStore

TERMS = HoldTerms(hold_ms=600_000, cap_ms=1_200_000, max_per_buyer=8, max_per_address=1_000_000)


@dataclass(frozen=True)
class Figures:
    placed: int
    refused: int
    seconds: float
    cpu_seconds: float

    @property
    def calls_per_second(self) -> float:
        return (self.placed + self.refused) / self.seconds

    @property
    def cpu_ms_per_call(self) -> float:
        return self.cpu_seconds * 1000 / max(1, self.placed + self.refused)


async def storm(settings: Settings, shows: int, seats: int, callers: int, duration: float) -> Figures:
    client = create_redis(settings)
    store = RedisHoldStore(client, settings.redis_key_prefix)
    try:
        seat_ids = [f"{i:016x}" for i in range(1, seats + 1)]
        show_ids = [new_id() for _ in range(shows)]
        for show_id in show_ids:
            await store.load(show_id, InventoryState([SeatRow(s, "available", 0) for s in seat_ids], []))
        counts = {"placed": 0, "refused": 0}
        deadline = time.monotonic() + duration

        async def caller(number: int) -> None:
            pick = random.Random(number)
            n = 0
            while time.monotonic() < deadline:
                n += 1
                show_id = pick.choice(show_ids)
                first = pick.randrange(seats - 1)
                owner = f"guest:{number}-{n}"
                holder = Holder(owner=owner, limit_key=owner, address=owner, guest=True)
                request = HoldRequest.parse(seat_ids[first : first + 2], {})
                hold_id = new_hold_id(show_id, os.urandom(12))
                outcome = await store.place(show_id, hold_id, holder, "digest", request, TERMS)
                counts["placed" if isinstance(outcome, HoldPlaced) else "refused"] += 1

        started, cpu = time.monotonic(), time.process_time()
        await asyncio.gather(*(caller(n) for n in range(callers)))
        return Figures(counts["placed"], counts["refused"], time.monotonic() - started, time.process_time() - cpu)
    finally:
        await client.aclose()


def report(name: str, figures: Figures) -> None:
    print(f"{name:>8}: {figures.calls_per_second:8.0f} hold calls/s ({figures.placed} placed,"
          f" {figures.refused} refused), {figures.cpu_ms_per_call:.3f} ms of client CPU per call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shows", type=int, default=48)
    parser.add_argument("--seats", type=int, default=2000)
    parser.add_argument("--callers", type=int, default=128)
    parser.add_argument("--duration", type=float, default=8.0)
    args = parser.parse_args()
    with ExitStack() as stack:
        work = stack.enter_context(services.workdir())
        single_url = stack.enter_context(services.redis_database(os.environ.get("LML_TEST_REDIS_URL",
                                                                                "redis://127.0.0.1:6379")))
        cluster_url = stack.enter_context(services.redis_cluster(work)).url
        single = asyncio.run(storm(Settings(redis_url=single_url), args.shows, args.seats, args.callers,
                                   args.duration))
        cluster = asyncio.run(storm(Settings(redis_url=cluster_url, redis_cluster=True, broker_url=single_url),
                                    args.shows, args.seats, args.callers, args.duration))
        with redis.Redis.from_url(single_url) as leftovers:
            leftovers.flushdb()  # the claimed index goes back empty
    report("one", single)
    report("cluster", cluster)
    print(f"cluster / one: {cluster.calls_per_second / single.calls_per_second:.2f}x the calls/s,"
          f" {cluster.cpu_ms_per_call / single.cpu_ms_per_call:.2f}x the client CPU per call")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
