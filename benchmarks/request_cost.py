"""What one request costs the API's own process, route by route: the served app driven in process
(ASGI, no server, no network), so that the figure is our code and the framework's alone.

    .venv/bin/python -m benchmarks.request_cost                        # every route, 4,000 requests each
    .venv/bin/python -m benchmarks.request_cost --routes hold --profile 40

On a throwaway world like the tests' (new database, claimed Redis index, nx-27017): a 20,000-seat
show on sale, 20,000 guest tokens (each request a random buyer, as in a storm: most tokens are seen
for the first time), `--concurrency` requests in flight. Routes:

- `livez`: `GET /livez`, the framework's floor;
- `hold`: `POST /v1/shows/{id}/holds` for two adjacent seats at a random place (201s, then 409s as
  the show fills);
- `seatmap304` / `availability304`: `GET .../seatmap` and `GET .../availability` with the ETag in
  `If-None-Match`.

Prints one JSON line per route: process CPU and wall time per request, statuses; with `--profile N`,
cProfile's top N functions by own time and by cumulative time for each route (slower: read shares,
not absolutes). Redis and PostgreSQL run in processes of their own: their work is not counted.
Reports only; figures move with the machine's load (printed), compare within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import msgspec
from benchmarks.seating_hold_storm import _show_on_sale
from benchmarks.served_api import fresh_settings

from lml.app import create_app
from lml.container import build_container
from lml.platform.domain.principal import Principal
from lml.platform.tokens import TokenCodec

ROUTES = ("livez", "hold", "seatmap304", "availability304")
Call = Callable[[], Awaitable[int]]


class InProcess:
    """The ASGI app called directly: one request, its body at once, the answer's status."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str]]:
        sent: list[dict[str, Any]] = []
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
                 "client": ("10.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
        await self.app(scope, receive, send)
        start = sent[0]
        return start["status"], {k.decode(): v.decode() for k, v in start.get("headers", [])}


async def _measure(route: str, call: Call, requests: int, concurrency: int, profile: int) -> None:
    async def client(count: int) -> Counter[int]:
        return Counter([await call() for _ in range(count)])

    await call()  # warm: caches, the script loaded
    per_client = max(1, requests // concurrency)
    profiler = cProfile.Profile() if profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    counts = await asyncio.gather(*(client(per_client) for _ in range(concurrency)))
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = per_client * concurrency
    statuses: Counter[int] = sum(counts, Counter())
    print(json.dumps({"route": route, "requests": done, "concurrency": concurrency,
                      "cpu_us_per_request": round(cpu / done * 1e6, 1),
                      "wall_us_per_request": round(wall / done * 1e6, 1),
                      "statuses": {str(k): v for k, v in sorted(statuses.items())},
                      "profiled": bool(profiler), "load_average": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(profile)
        stats.sort_stats("cumulative").print_stats(profile)


async def _lifespan(app: Any) -> Callable[[], Awaitable[None]]:
    """The app started as a server starts it; the returned call stops it."""
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    running = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                      inbox.get, outbox.put))
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {started}")

    async def stop() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await running

    return stop


async def _run(args: argparse.Namespace) -> None:
    with ExitStack() as stack:
        settings = fresh_settings(stack)
        show_id, seats = await _show_on_sale(settings, args.seats)
        # One process stands for buyers on many networks: no cap per client address.
        settings = msgspec.structs.replace(settings, rate_limit_address_burst=10_000_000,
                                           rate_limit_address_per_second=1_000_000, max_held_per_address=10_000_000)
        app = InProcess(create_app(container=build_container(settings)))
        stop = await _lifespan(app.app)
        try:
            codec = TokenCodec(settings)
            now = datetime.now(UTC)
            tokens = [f"Bearer {codec.issue(Principal(str(uuid.uuid4()), 'guest', frozenset({'buyer'})), now, 3600)}"
                      for _ in range(args.buyers)]
            seatmap, availability = f"/v1/shows/{show_id}/seatmap", f"/v1/shows/{show_id}/availability"
            seatmap_etag = (await app("GET", seatmap, {}))[1]["etag"]

            async def livez() -> int:
                return (await app("GET", "/livez", {}))[0]

            async def hold() -> int:
                first = random.randrange(len(seats) - 1)
                body = msgspec.json.encode({"seat_ids": seats[first:first + 2]})
                return (await app("POST", f"/v1/shows/{show_id}/holds", {
                    "authorization": random.choice(tokens), "content-type": "application/json",
                    "content-length": str(len(body))}, body))[0]

            async def seatmap304() -> int:
                return (await app("GET", seatmap, {"if-none-match": seatmap_etag}))[0]

            async def availability304() -> int:
                if not availability_etag:  # the ETag of the moment: the holds placed before change it
                    availability_etag.append((await app("GET", availability, {}))[1]["etag"])
                return (await app("GET", availability, {"if-none-match": availability_etag[0]}))[0]

            availability_etag: list[str] = []
            calls: dict[str, Call] = {"livez": livez, "hold": hold, "seatmap304": seatmap304,
                                      "availability304": availability304}
            for route in args.routes:
                await _measure(route, calls[route], args.requests, args.concurrency, args.profile)
        finally:
            await stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", nargs="+", choices=ROUTES, default=list(ROUTES))
    parser.add_argument("--requests", type=int, default=4000, help="per route")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seats", type=int, default=20_000)
    parser.add_argument("--buyers", type=int, default=20_000)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile's top N functions per route")
    asyncio.run(_run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
