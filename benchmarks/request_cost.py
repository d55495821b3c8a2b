"""What one request costs the API's own process, route by route: the served app driven in process
(ASGI, no server, no network), so that the figure is our code and the framework's alone.

    .venv/bin/python -m benchmarks.request_cost                        # every route, 4,000 requests each
    .venv/bin/python -m benchmarks.request_cost --routes hold --profile 40
    .venv/bin/python -m benchmarks.request_cost --instructions --requests 400 --seats 2000 --buyers 2000
    .venv/bin/python -m benchmarks.request_cost --routes hold --requests 2000 --seats 4000 --buyers 8000 \
        --redis-instructions

On a throwaway world like the tests' (new database, claimed Redis index, nx-27017, the Stripe
emulator): a 20,000-seat show on sale, 20,000 guest tokens (each request a random buyer, as in a
storm: most tokens are seen for the first time), `--concurrency` requests in flight, on libuv's loop
as `lml serve` runs the app. Routes:

- `livez`: `GET /livez`, the framework's floor;
- `hold`: `POST /v1/shows/{id}/holds` for two adjacent seats at a random place (201s, then 409s as
  the show fills);
- `best`: `POST /v1/shows/{id}/holds` for the best two seats together (best available; after `hold`,
  on what its holds left free);
- `seatmap304` / `availability304`: `GET .../seatmap` and `GET .../availability` with the ETag in
  `If-None-Match`;
- `order`: `POST /v1/orders` for a hold of one seat, each by its own buyer with an Idempotency-Key
  (the holds placed beforehand, not counted), its PaymentIntent created at the Stripe emulator;
- `webhook`: `POST /v1/payments/stripe/webhook`, a signed `payment_intent.succeeded` for one of
  those orders (the worker that would apply it does not run).

Prints one JSON line per route: process CPU (and the kernel's part of it) and wall time per request,
statuses. With `--profile N`, cProfile's top N functions by own time and by cumulative time for each
route (slower: read shares, not absolutes). With `--instructions`, the script runs itself under
valgrind's callgrind and also prints the instructions the process ran per request: a count that does
not move with the machine's load, for comparing code (its CPU figures are then valgrind's). Redis,
PostgreSQL and the Stripe emulator run in processes of their own: their work is not counted in the
process' figures; the Redis server's CPU per request is printed beside them (the whole server's, as INFO
tells it: other clients of a shared server count too). The CPU figures move with the machine's load
(printed): compare within one run. With `--redis-instructions`, the stores' Redis is one of the run's own
under callgrind, and each route also prints the instructions it ran per request (its network handling
included: how many calls share a batch moves it by about 1 %) and its misses of a last-level cache the
size of this machine's L2 (callgrind's simulation, `redis_ll_misses_per_request`): fewer instructions
that keep more data at hand can cost more time than they save, which the count alone does not show.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import uvloop
from benchmarks.ordering_journey import _signed
from benchmarks.seating_hold_storm import _show_on_sale
from benchmarks.served_api import fresh_settings, redis_cpu_seconds
from tests import services

from lml.app import create_app
from lml.config import Settings
from lml.container import build_container
from lml.platform.domain.principal import Principal
from lml.platform.tokens import TokenCodec

# Where the callgrind run of `--instructions` writes its counts; set once this script runs under it.
_CALLGRIND_DIR = "LML_BENCH_CALLGRIND_DIR"
ROUTES = ("livez", "hold", "best", "seatmap304", "availability304", "order", "webhook")
Call = Callable[[], Awaitable[int]]


class InProcess:
    """The ASGI app called directly: one request, its body at once, the answer's status."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
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
        body = b"".join(message.get("body", b"") for message in sent[1:])
        return start["status"], {k.decode(): v.decode() for k, v in start.get("headers", [])}, body


class _Callgrind:
    """Counts the instructions a process run under valgrind's callgrind runs between `start` and `stop`
    (this script with `--instructions`, Redis with `--redis-instructions`), its dumps in `directory`: the
    same count for the same code and inputs, whatever else the machine does."""

    def __init__(self, directory: str, pid: int) -> None:
        self._directory = Path(directory)
        self._pid = pid

    def _control(self, *args: str) -> None:
        subprocess.run(["callgrind_control", *args, str(self._pid)], capture_output=True, check=True)

    def start(self) -> None:
        self._control("--zero")
        self._control("--instr=on")

    def stop(self, route: str) -> dict[str, int]:
        """The counts since `start` by callgrind's event: `Ir` the instructions, and where the caches are
        simulated, their misses (`ILmr`, `DLmr`, `DLmw` those of the last level)."""
        self._control("--instr=off")
        self._control(f"--dump={route}")
        dump = max(self._directory.glob("callgrind.out.*"), key=lambda path: int(path.suffix[1:]))
        lines = dump.read_text().splitlines()
        events = next(line for line in lines if line.startswith("events:")).split()[1:]
        totals = next(line for line in lines if line.startswith("totals:")).split()[1:]
        return dict(zip(events, map(int, totals), strict=True))


def _l2_cache() -> str:
    """This machine's level-2 cache per core as valgrind's `--LL` takes it (size,associativity,line size):
    what a process keeps close to its core. Its last level, L3, is shared with the machine's other
    processes (and, on a VM, with other machines): what spills L2 is what the cores fight over."""
    folder = Path("/sys/devices/system/cpu/cpu0/cache/index2")
    size = (folder / "size").read_text().strip()
    size_bytes = int(size[:-1]) * 1024 if size.endswith("K") else int(size)
    return (f"{size_bytes},{(folder / 'ways_of_associativity').read_text().strip()},"
            f"{(folder / 'coherency_line_size').read_text().strip()}")


def _redis_under_callgrind(stack: ExitStack) -> tuple[str, _Callgrind]:
    """A Redis of its own under callgrind, counting only while a route is measured; its URL."""
    directory = stack.enter_context(services.workdir())
    port = services.free_port()
    server = stack.enter_context(services.background([
        "valgrind", "--tool=callgrind", "--instr-atstart=no", "--cache-sim=yes", f"--LL={_l2_cache()}",
        f"--log-file={directory}/valgrind.log", f"--callgrind-out-file={directory}/callgrind.out",
        "redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", directory,
    ], port, "redis-under-callgrind", directory))
    assert server.process is not None  # started by `background`
    return f"redis://127.0.0.1:{port}", _Callgrind(directory, server.process.pid)


async def _measure(route: str, call: Call, requests: int, concurrency: int, profile: int,
                   callgrinds: dict[str, _Callgrind], settings: Settings) -> None:
    async def client(count: int) -> Counter[int]:
        return Counter([await call() for _ in range(count)])

    await call()  # warm: caches, the script loaded
    per_client = max(1, requests // concurrency)
    profiler = cProfile.Profile() if profile else None
    wall, before, redis_before = time.perf_counter(), os.times(), redis_cpu_seconds(settings)
    if profiler:
        profiler.enable()
    for callgrind in callgrinds.values():
        callgrind.start()
    counts = await asyncio.gather(*(client(per_client) for _ in range(concurrency)))
    counted = {name: callgrind.stop(route) for name, callgrind in callgrinds.items()}
    if profiler:
        profiler.disable()
    wall, after = time.perf_counter() - wall, os.times()
    redis_cpu = redis_cpu_seconds(settings) - redis_before
    user, system = after.user - before.user, after.system - before.system
    done = per_client * concurrency
    statuses: Counter[int] = sum(counts, Counter())
    print(json.dumps({"route": route, "requests": done, "concurrency": concurrency,
                      **_per_request(counted, done),
                      "cpu_us_per_request": round((user + system) / done * 1e6, 1),
                      "of_which_system_us": round(system / done * 1e6, 1),
                      "wall_us_per_request": round(wall / done * 1e6, 1),
                      "redis_server_cpu_us_per_request": round(redis_cpu / done * 1e6, 1),
                      "statuses": {str(k): v for k, v in sorted(statuses.items())},
                      "profiled": bool(profiler), "load_average": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(profile)
        stats.sort_stats("cumulative").print_stats(profile)


def _per_request(counted: dict[str, dict[str, int]], done: int) -> dict[str, float]:
    """Each process's instructions per request, and its last-level cache misses where they were simulated."""
    figures: dict[str, float] = {}
    for process, events in counted.items():
        figures[f"{process}instructions_per_request"] = round(events["Ir"] / done)
        if "DLmr" in events:
            figures[f"{process}ll_misses_per_request"] = round(
                (events["ILmr"] + events["DLmr"] + events["DLmw"]) / done, 1)
    return figures


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


_BEST_AVAILABLE_PAIR = msgspec.json.encode({"best_available": {"quantity": 2}})


def _json_request(token: str, body: bytes, **headers: str) -> dict[str, str]:
    return {"authorization": token, "content-type": "application/json", "content-length": str(len(body)), **headers}


async def _held(app: InProcess, show_id: str, seats: list[str], tokens: list[str]) -> list[tuple[str, bytes]]:
    """A hold of each seat, each by its own buyer (`tokens`, one a seat): the buyer's token and the body of
    its order."""
    orders = []
    for seat, token in zip(seats, tokens, strict=True):
        body = msgspec.json.encode({"seat_ids": [seat]})
        status, _, answer = await app("POST", f"/v1/shows/{show_id}/holds", _json_request(token, body), body)
        if status != 201:
            raise RuntimeError(f"hold {status}: {answer[:200]!r}")
        hold = msgspec.json.decode(answer)
        orders.append((token, msgspec.json.encode({"hold_id": hold["hold_id"], "hold_token": hold["hold_token"]})))
    return orders


async def _placed(app: InProcess, held: list[tuple[str, bytes]]) -> list[str]:
    """An order for each hold; their PaymentIntents' ids."""
    intents = []
    for token, body in held:
        status, _, answer = await app("POST", "/v1/orders", _json_request(token, body), body)
        if status != 201:
            raise RuntimeError(f"order {status}: {answer[:200]!r}")
        intents.append(msgspec.json.decode(answer)["payment"]["payment_intent_id"])
    return intents


async def _succeeded_events(settings: Settings, intents: list[str]) -> list[tuple[bytes, str]]:
    """Stripe's `payment_intent.succeeded` for each PaymentIntent as the emulator holds it, signed as Stripe
    signs it: the body and its `Stripe-Signature`."""
    secret = settings.stripe_webhook_secrets[0]
    events = []
    async with httpx.AsyncClient(base_url=settings.stripe_api_base, auth=(settings.stripe_secret_key, "")) as stripe:
        for intent in intents:
            pi = (await stripe.get(f"/v1/payment_intents/{intent}")).json() | {"status": "succeeded"}
            body = msgspec.json.encode({"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
                                        "created": int(time.time()), "type": "payment_intent.succeeded",
                                        "data": {"object": pi}, "livemode": False})
            events.append((body, _signed(body, secret)))
    return events


async def _run(args: argparse.Namespace, callgrinds: dict[str, _Callgrind]) -> None:
    random.seed(14)  # the same seats asked for in the same order, run after run
    with ExitStack() as stack:
        if args.redis_instructions:
            os.environ["LML_TEST_REDIS_URL"], callgrinds["redis_"] = \
                _redis_under_callgrind(stack)
        emulator = stack.enter_context(services.stripe_emulator(stack.enter_context(services.workdir())))
        settings = fresh_settings(stack, stripe_api_base=emulator, stripe_secret_key="sk_test_bench",  # noqa: S106
                                  stripe_webhook_secret="whsec_bench")  # noqa: S106 - the emulator's keys
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

            async def best() -> int:
                return (await app("POST", f"/v1/shows/{show_id}/holds", _json_request(
                    random.choice(tokens), _BEST_AVAILABLE_PAIR), _BEST_AVAILABLE_PAIR))[0]

            async def seatmap304() -> int:
                return (await app("GET", seatmap, {"if-none-match": seatmap_etag}))[0]

            async def availability304() -> int:
                if not availability_etag:  # the ETag of the moment: the holds placed before change it
                    availability_etag.append((await app("GET", availability, {}))[1]["etag"])
                return (await app("GET", availability, {"if-none-match": availability_etag[0]}))[0]

            availability_etag: list[str] = []
            # The orders' seats and buyers (and the warming call's), kept apart from those the holds pick from.
            ordering = {"order", "webhook"} & set(args.routes)
            count = args.requests + 1 if ordering else 0
            order_seats, order_tokens = seats[len(seats) - count:], tokens[len(tokens) - count:]
            seats, tokens = seats[:len(seats) - count], tokens[:len(tokens) - count]
            to_order: list[tuple[str, bytes]] = []
            intents: list[str] = []
            events: list[tuple[bytes, str]] = []

            async def order() -> int:
                token, body = to_order.pop()
                status, _, answer = await app("POST", "/v1/orders", _json_request(
                    token, body, **{"idempotency-key": uuid.uuid4().hex}), body)
                if status == 201:
                    intents.append(msgspec.json.decode(answer)["payment"]["payment_intent_id"])
                return status

            async def webhook() -> int:
                body, signature = events.pop()
                return (await app("POST", "/v1/payments/stripe/webhook", {
                    "stripe-signature": signature, "content-type": "application/json",
                    "content-length": str(len(body))}, body))[0]

            calls: dict[str, Call] = {"livez": livez, "hold": hold, "best": best, "seatmap304": seatmap304,
                                      "availability304": availability304, "order": order, "webhook": webhook}
            for route in args.routes:
                if route == "order":
                    to_order = await _held(app, show_id, order_seats, order_tokens)
                if route == "webhook":
                    if not intents:
                        intents = await _placed(app, await _held(app, show_id, order_seats, order_tokens))
                    events = await _succeeded_events(settings, intents)
                await _measure(route, calls[route], args.requests, args.concurrency, args.profile, callgrinds,
                               settings)
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
    parser.add_argument("--instructions", action="store_true",
                        help="also count the instructions per request (under valgrind: about 50 times slower)")
    parser.add_argument("--redis-instructions", action="store_true",
                        help="also count the instructions Redis runs per request: a Redis of its own under valgrind"
                             " (keep --seats small enough that loading the show stays under Redis' 5 s script limit)")
    args = parser.parse_args(argv)
    if args.instructions and _CALLGRIND_DIR not in os.environ:
        directory = tempfile.mkdtemp(prefix="lml-callgrind-")
        # Python's own allocator confuses valgrind's; the children (stores, emulator) run natively.
        os.execvpe("valgrind", [  # noqa: S606 - this very script, under valgrind
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--log-file={directory}/valgrind.log",
            f"--callgrind-out-file={directory}/callgrind.out", sys.executable, "-m", "benchmarks.request_cost", *argv,
        ], {**os.environ, "PYTHONMALLOC": "malloc", _CALLGRIND_DIR: directory})
    callgrinds = {"": _Callgrind(os.environ[_CALLGRIND_DIR], os.getpid())
                  } if args.instructions else {}
    # libuv's loop, as `lml serve` runs the app.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_run(args, callgrinds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
