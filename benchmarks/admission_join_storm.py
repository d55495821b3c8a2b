"""A join storm on one show's waiting room, its line polling at the pace the API asks, and its sell-out.

    .venv/bin/python -m benchmarks.admission_join_storm                         # 50,000 buyers, 64 connections
    .venv/bin/python -m benchmarks.admission_join_storm --buyers 5000 --poll-seconds 20

A throwaway world like the tests' (benchmarks.served_api): a show of `--seats` seats on sale (8 seats per
buyer at most) with its waiting room on (`--admit-per-minute`, `--max-active`, passes of 10 minutes),
`--buyers` guest tokens signed as the API verifies them (no database rows), and `lml serve --workers N`
(granian) in a process of its own. One load generator (this process, aiohttp, at most `--connections`
connections) measures, in order:

  1. GET /livez, closed loop, `--livez-seconds`: the framework's ceiling, same app, same client;
  2. the join storm: every buyer POSTs /v1/shows/{id}/queue once, closed loop: joins/s, p50/p99;
     the commands Redis ran per join, by command (INFO commandstats: every client of the server counts);
     Redis memory per waiting buyer (used_memory before/after, and MEMORY USAGE of the room's keys);
  3. GET .../queue/me, closed loop over random buyers, `--ceiling-seconds`: what polling can take, and
     the commands Redis ran per poll, by command (as for joins: one EVALSHA per call to Redis);
  4. every buyer polling GET .../queue/me as the API tells it (`Retry-After`), one timer per buyer,
     the first poll at a random moment within the interval the back of the line is given (the last
     join's Retry-After), measured once that interval has passed, over `--poll-seconds`:
     polls/s served against the room's budget (LML_QUEUE_POLLS_PER_SECOND), p50/p99, the commands Redis
     ran per poll, and whether the load generator kept up (how late its timers fired);
  5. the sell-out, while everyone keeps polling: one admission tick lets the head of the line in, as
     many of them as the seats need take a pass and hold 8 seats each (X-Queue-Pass), then one more
     tick finds no place left and marks the room sold out: the time of that tick, and from it until
     every buyer still waiting has been told `sold_out` (bounded by the Retry-After they had).

Each tick is the worker's (`lml.admission.infrastructure.actors.admit_buyers`) in a process of its own.
CPU seconds per process (API, Redis, this load generator) for every phase, from /proc and INFO cpu.
The client address's join limit (LML_QUEUE_JOINS_PER_ADDRESS, 50 by default) is raised for the served
API: every buyer here comes from 127.0.0.1. Reports only; nothing fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import itertools
import json
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import redis
from benchmarks.served_api import ROOT, api_env, cpu_seconds, fresh_settings, redis_cpu_seconds, serve_api
from benchmarks.show_on_sale import show_on_sale

from lml.admission.application.configure_room import configure_room
from lml.admission.infrastructure.actors import admit_buyers
from lml.config import Settings
from lml.container import Container, build_container
from lml.platform.domain.principal import Principal
from lml.platform.ids import new_id

SECTIONS = 8
SEATS_PER_BUYER = 8
JOINS_PER_ADDRESS = 10_000_000  # the served API's LML_QUEUE_JOINS_PER_ADDRESS: one address stands for many


@dataclass
class Buyer:
    headers: dict[str, str]
    entry_id: str = ""
    retry_after: int = 0  # the last Retry-After the API gave
    state: str = ""
    sold_out_seen_at: float | None = None  # wall clock


@dataclass
class Tally:
    """Requests of one kind: (sent at, seconds) of each, and the answers' statuses."""

    samples: list[tuple[float, float]] = field(default_factory=list)
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    errors: list[str] = field(default_factory=list)

    def add(self, sent: float, seconds: float, status: int, body: bytes) -> None:
        self.samples.append((sent, seconds))
        self.statuses[status] += 1
        if status >= 400 and len(self.errors) < 5:
            self.errors.append(f"{status} {body[:200]!r}")

    def figures(self, start: float, end: float) -> dict[str, Any]:
        """Requests sent in [start, end): how many a second, and their latencies."""
        seconds = sorted(s for sent, s in self.samples if start <= sent < end)
        return {"requests": len(seconds), "per_second": round(len(seconds) / (end - start), 1),
                "p50_ms": _pct(seconds, 0.50), "p99_ms": _pct(seconds, 0.99),
                "max_ms": round(seconds[-1] * 1000, 1) if seconds else None}


class GcPauses:
    """This process's cyclic garbage collections (a full one over 50,000 pollers stops the load)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._began = 0.0
        gc.callbacks.append(self._track)

    def _track(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._began))

    def figures(self) -> dict[str, Any]:
        full = [seconds for generation, seconds in self.pauses if generation == 2]
        return {"collections": len(self.pauses), "full_collections": len(full),
                "longest_ms": round(max((s for _, s in self.pauses), default=0) * 1000, 1)}


def _pct(ordered: list[float], q: float) -> float | None:
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if ordered else None


@dataclass
class Spent:
    """CPU seconds of each process between two moments."""

    api_pids: list[int]
    settings: Settings
    wall: float = 0.0
    api: float = 0.0
    redis: float = 0.0
    load: float = 0.0

    def start(self) -> Spent:
        self.wall, self.api = time.perf_counter(), cpu_seconds(self.api_pids)
        self.redis, self.load = redis_cpu_seconds(self.settings), cpu_seconds([os.getpid()])
        return self

    def stop(self, requests: int) -> dict[str, Any]:
        wall = time.perf_counter() - self.wall
        spent = {"api": cpu_seconds(self.api_pids) - self.api, "redis": redis_cpu_seconds(self.settings) - self.redis,
                 "load_generator": cpu_seconds([os.getpid()]) - self.load}
        return {"wall_s": round(wall, 1),
                **{f"{name}_cpu_s": round(value, 2) for name, value in spent.items()},
                **{f"{name}_cores": round(value / wall, 2) for name, value in spent.items()},
                **({f"{name}_cpu_ms_per_request": round(value * 1000 / requests, 3) for name, value in spent.items()}
                   if requests else {})}


async def _send(session: aiohttp.ClientSession, method: str, path: str, tally: Tally,
                headers: dict[str, str] | None = None, json_body: Any = None) -> tuple[int, Any, bytes]:
    sent = time.perf_counter()
    async with session.request(method, path, headers=headers, json=json_body) as answer:
        body = await answer.read()
    tally.add(sent, time.perf_counter() - sent, answer.status, body)
    return answer.status, answer.headers, body


async def _closed_loop(connections: int, jobs: Iterable[Any], do: Callable[[Any], Awaitable[None]],
                       seconds: float | None = None) -> float:
    """`connections` lanes taking the next job as soon as their last is answered; the elapsed seconds."""
    started = time.perf_counter()
    until = started + seconds if seconds else math.inf
    work = iter(jobs)

    async def lane() -> None:
        for job in work:
            if time.perf_counter() >= until:
                return
            await do(job)

    await asyncio.gather(*(lane() for _ in range(connections)))
    return time.perf_counter() - started


def _memory(settings: Settings) -> dict[str, int]:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        return {"used_memory": int(client.info("memory")["used_memory"]), "keys": int(client.dbsize())}
    finally:
        client.close()


def _commands(settings: Settings) -> collections.Counter[str]:
    """The commands the Redis server has run so far, by name (INFO commandstats)."""
    client = redis.Redis.from_url(settings.redis_url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return collections.Counter({name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()})


def _per_request(before: collections.Counter[str], after: collections.Counter[str], requests: int) -> dict[str, Any]:
    """Commands run between two `_commands`, per request: in all and by command."""
    ran = after - before
    return {"per_request": round(sum(ran.values()) / requests, 2) if requests else None,
            "by_command": {name: round(calls / requests, 2) for name, calls in ran.most_common()} if requests else {}}


def _key_memory(settings: Settings, keys: list[str]) -> dict[str, int]:
    """MEMORY USAGE of each key, every element counted (SAMPLES 0)."""
    client = redis.Redis.from_url(settings.redis_url)
    try:
        return {key.split(":")[-2]: int(client.memory_usage(key, samples=0) or 0) for key in keys}
    finally:
        client.close()


class Pollers:
    """One timer per buyer: poll, wait the Retry-After the answer gave, poll again; a buyer told
    `sold_out` stops."""

    def __init__(self, session: aiohttp.ClientSession, path: str, buyers: list[Buyer]) -> None:
        self.session, self.path, self.buyers = session, path, buyers
        self.tally = Tally()
        self.lateness: list[tuple[float, float]] = []  # (due, seconds late)
        self.in_flight = self.max_in_flight = 0
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, first_due: Callable[[Buyer], float]) -> None:
        self.tasks = [asyncio.create_task(self._poll(buyer, first_due(buyer))) for buyer in self.buyers]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _poll(self, buyer: Buyer, due: float) -> None:
        while True:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.lateness.append((due, time.perf_counter() - due))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                status, headers, body = await _send(self.session, "GET", self.path, self.tally, buyer.headers)
            finally:
                self.in_flight -= 1
            answered = time.perf_counter()
            buyer.retry_after = int(headers.get("Retry-After", "5"))
            if status == 200:
                buyer.state = msgspec.json.decode(body)["state"]
                if buyer.state == "sold_out":
                    buyer.sold_out_seen_at = time.time()
                    return
            due = answered + buyer.retry_after

    def kept_up(self, start: float, end: float) -> dict[str, Any]:
        late = sorted(s for due, s in self.lateness if start <= due < end)
        return {"timer_late_p50_ms": _pct(late, 0.5), "timer_late_p99_ms": _pct(late, 0.99),
                "timer_late_max_ms": round(late[-1] * 1000, 1) if late else None,
                "max_polls_in_flight": self.max_in_flight}


def _offered(buyers: Iterable[Buyer]) -> dict[str, Any]:
    """The polls a second the buyers' last Retry-After values ask for, whole and by interval."""
    by_interval: collections.Counter[str] = collections.Counter()
    rate: collections.Counter[str] = collections.Counter()
    for buyer in buyers:
        band = ("1 s" if buyer.retry_after <= 1 else "2-9 s" if buyer.retry_after < 10
                else "10-49 s" if buyer.retry_after < 50 else "50-60 s")
        by_interval[band] += 1
        rate[band] += 1 / max(buyer.retry_after, 1)
    return {"polls_per_second": round(sum(rate.values()), 1),
            "by_retry_after": {band: {"buyers": by_interval[band], "polls_per_second": round(rate[band], 1)}
                               for band in ("1 s", "2-9 s", "10-49 s", "50-60 s")}}


async def _tick(env: dict[str, str]) -> dict[str, Any]:
    """One admission tick, as the worker's, in a process of its own."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "benchmarks.admission_join_storm",
                                                   "--tick", env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the tick's process exited with {process.returncode}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def _one_tick() -> None:
    container = build_container(Settings.from_env())
    await container.open()
    try:
        await container.resources.db.pool.wait(timeout=10)
        started_at, started = time.time(), time.perf_counter()
        admitted = await admit_buyers(container.admission)
        print(json.dumps({"started_at": started_at, "seconds": time.perf_counter() - started, "admitted": admitted}))
    finally:
        await container.close()


async def _world(container: Container, args: argparse.Namespace) -> tuple[str, list[str]]:
    """The show on sale with its waiting room on, as its operator sets it; its seat ids."""
    show_id = await show_on_sale(container, seats=args.seats, sections=SECTIONS, front_sections=2,
                                 max_seats_per_buyer=SEATS_PER_BUYER, title="Join storm")
    admission = container.admission
    sale = await admission.shows.sale(show_id)
    if sale is None:
        raise RuntimeError(f"show {show_id} is not for sale")
    await configure_room(admission.as_organization(sale.organization_id), admission.shows, admission.line,
                         admission.clock, show_id=show_id, organization_id=sale.organization_id, enabled=True,
                         opens_at=container.clock.now() - timedelta(minutes=1),
                         admit_per_minute=args.admit_per_minute, max_active=args.max_active, pass_seconds=600)
    async with container.resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute(
            "SELECT seat_id FROM seating.show_seats WHERE show_id = %s ORDER BY seat_id", (show_id,))).fetchall()
    return show_id, [row["seat_id"] for row in rows]


async def _sell_out(container: Container, session: aiohttp.ClientSession, env: dict[str, str], show_id: str,
                    seat_ids: list[str], by_entry: dict[str, Buyer]) -> dict[str, Any]:
    """Ticks until enough buyers are in, then each holds 8 seats with its pass, until no place is left."""
    tally, ticks, needed = Tally(), [], math.ceil(len(seat_ids) / SEATS_PER_BUYER)
    while len(await container.admission_facade.admissions(show_id)) < needed and len(ticks) < 20:
        ticks.append(await _tick(env))
        await asyncio.sleep(1)
    admitted = [by_entry[a.entry_id] for a in await container.admission_facade.admissions(show_id)]
    for i, buyer in enumerate(admitted[:needed]):
        _, _, body = await _send(session, "GET", f"/v1/shows/{show_id}/queue/me", tally, buyer.headers)
        entry = msgspec.json.decode(body)
        await _send(session, "POST", f"/v1/shows/{show_id}/holds", tally,
                    {**buyer.headers, "X-Queue-Pass": entry["pass_token"] or ""},
                    {"seat_ids": seat_ids[i * SEATS_PER_BUYER:(i + 1) * SEATS_PER_BUYER]})
    return {"admitting_ticks": ticks, "admitted": len(admitted), "holders": min(needed, len(admitted)),
            "statuses": dict(tally.statuses), "errors": tally.errors,
            "places_left": await container.seating_facade.places_left(show_id)}


async def run(settings: Settings, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    container = build_container(settings)
    await container.open()
    try:
        await container.resources.db.pool.wait(timeout=10)
        show_id, seat_ids = await _world(container, args)
        now = datetime.now(UTC)
        buyers = []
        for _ in range(args.buyers):  # as tests/fixtures/seating.py's make_buyer: guests, no rows
            subject = new_id()
            token = container.resources.tokens.issue(
                Principal(subject, "guest", frozenset({"buyer"}), f"guest-{subject[-12:]}@bench.test"), now, 7200)
            buyers.append(Buyer(headers={"Authorization": f"Bearer {token}"}))
        extra = {"LML_QUEUE_JOINS_PER_ADDRESS": str(JOINS_PER_ADDRESS)}
        # The world and the tokens are built: out of the collector's sight, as each API process does
        # with its start-up heap; and no full collection during the run (one over 50,000 pollers
        # stopped this process for up to 1.8 s), young garbage is still collected.
        gc.freeze()
        gc.set_threshold(50_000, 50, 1_000_000)
        with serve_api(settings, workers=args.workers, log=work / "server.log", extra_env=extra) as api:
            return await _measure(container, settings, api.base, api.pids(),
                                  api_env(settings, int(api.base.rsplit(":", 1)[1]), extra), args,
                                  show_id, seat_ids, buyers)
    finally:
        await container.close()


async def _measure(container: Container, settings: Settings, base: str, api_pids: list[int], env: dict[str, str],
                   args: argparse.Namespace, show_id: str, seat_ids: list[str], buyers: list[Buyer]
                   ) -> dict[str, Any]:
    gc_pauses = GcPauses()
    connector = aiohttp.TCPConnector(limit=args.connections)
    timeout = aiohttp.ClientTimeout(total=120)
    me = f"/v1/shows/{show_id}/queue/me"
    async with aiohttp.ClientSession(base_url=base, connector=connector, timeout=timeout) as session:
        # 1. The ceiling: /livez, the same client, the same connections.
        livez = Tally()

        async def ping(_: object) -> None:
            await _send(session, "GET", "/livez", livez)

        await _closed_loop(args.connections, itertools.repeat(None, 2 * args.connections), ping)  # warm-up
        livez = Tally()
        spent = Spent(api_pids, settings).start()
        start = time.perf_counter()
        end = start + await _closed_loop(args.connections, itertools.repeat(None), ping, args.livez_seconds)
        ceiling = {**livez.figures(start, end), "statuses": dict(livez.statuses),
                   "cpu": spent.stop(len(livez.samples))}

        # 2. The join storm.
        memory_before = _memory(settings)
        joins = Tally()

        async def join(buyer: Buyer) -> None:
            status, headers, body = await _send(session, "POST", f"/v1/shows/{show_id}/queue", joins, buyer.headers)
            if status in (200, 201):
                buyer.entry_id = msgspec.json.decode(body)["entry_id"]
                buyer.retry_after = int(headers["Retry-After"])

        load_before = os.getloadavg()
        commands_before = _commands(settings)
        spent = Spent(api_pids, settings).start()
        start = time.perf_counter()
        end = start + await _closed_loop(args.connections, buyers, join)
        storm = {**joins.figures(start, end), "statuses": dict(joins.statuses), "errors": joins.errors,
                 "cpu": spent.stop(len(joins.samples)),
                 "redis_commands": _per_request(commands_before, _commands(settings), len(joins.samples))}
        memory_after = _memory(settings)
        key_memory = _key_memory(settings, container.admission.line.keys(show_id))
        waiting = [b for b in buyers if b.entry_id]
        by_entry = {b.entry_id: b for b in waiting}

        # 3. Polling, closed loop: what the API can answer.
        capacity = Tally()

        async def poll_someone(_: object) -> None:
            await _send(session, "GET", me, capacity, random.choice(waiting).headers)

        commands_before = _commands(settings)
        spent = Spent(api_pids, settings).start()
        start = time.perf_counter()
        end = start + await _closed_loop(args.connections, itertools.repeat(None), poll_someone, args.ceiling_seconds)
        poll_ceiling = {**capacity.figures(start, end), "statuses": dict(capacity.statuses),
                        "errors": capacity.errors, "cpu": spent.stop(len(capacity.samples)),
                        "redis_commands": _per_request(commands_before, _commands(settings), len(capacity.samples))}

        # 4. Everyone polls at the Retry-After they are given.
        pollers = Pollers(session, me, waiting)
        try:
            # Those who joined early were told to ask again soon, when the line was short: a buyer's
            # first poll is at a random moment within the interval the back of the line has now (the
            # last join's Retry-After), and the window opens once that interval has passed, when every
            # buyer polls at the pace its own answers set.
            warm_up = max((b.retry_after for b in waiting), default=0)
            started = time.perf_counter()
            pollers.start(lambda _: started + random.uniform(0, warm_up))
            gc.freeze()  # the pollers too
            await asyncio.sleep(warm_up)
            commands_before = _commands(settings)
            spent = Spent(api_pids, settings).start()
            poll_start = time.perf_counter()
            await asyncio.sleep(args.poll_seconds)
            poll_end = time.perf_counter()
            polled = pollers.tally.figures(poll_start, poll_end)
            commands = _per_request(commands_before, _commands(settings), polled["requests"])
            polling = {**polled, "statuses": dict(pollers.tally.statuses), "errors": pollers.tally.errors,
                       "budget_per_second": settings.queue_polls_per_second,
                       "within_budget": polled["per_second"] <= settings.queue_polls_per_second,
                       "asked_by_retry_after": _offered(waiting), **pollers.kept_up(poll_start, poll_end),
                       "cpu": spent.stop(polled["requests"]), "redis_commands": commands}
            memory_polling = _memory(settings)

            # 5. The sell-out, everyone still polling.
            sell_out = await _sell_out(container, session, env, show_id, seat_ids, by_entry)
            admitted = {a.entry_id for a in await container.admission_facade.admissions(show_id)}
            still_waiting = [b for b in waiting if b.entry_id not in admitted]
            retry_after_before = max((b.retry_after for b in still_waiting), default=0)
            spent = Spent(api_pids, settings).start()
            polls_before = len(pollers.tally.samples)
            tick = await _tick(env)
            deadline = time.monotonic() + retry_after_before + 120
            while any(b.sold_out_seen_at is None for b in still_waiting) and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            told = sorted(b.sold_out_seen_at - tick["started_at"] for b in still_waiting
                          if b.sold_out_seen_at is not None)
            learning_cpu = spent.stop(len(pollers.tally.samples) - polls_before)
            poll_statuses = dict(pollers.tally.statuses)
        finally:
            await pollers.stop()
    return {
        "machine": {"cores": os.cpu_count(), "load_average_before_joins": [round(x, 2) for x in load_before],
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "setup": {"buyers": args.buyers, "connections": args.connections, "api_workers": args.workers,
                  "seats": args.seats, "admit_per_minute": args.admit_per_minute, "max_active": args.max_active,
                  "LML_QUEUE_JOINS_PER_ADDRESS": JOINS_PER_ADDRESS,
                  "LML_QUEUE_POLLS_PER_SECOND": settings.queue_polls_per_second},
        "load_generator_gc": gc_pauses.figures(),
        "livez": ceiling,
        "joins": {**storm, "ratio_to_livez_rps": round(storm["per_second"] / ceiling["per_second"], 3),
                  "ratio_to_livez_p99": _ratio(storm["p99_ms"], ceiling["p99_ms"])},
        "redis_memory": {
            "used_memory_before": memory_before["used_memory"], "used_memory_after": memory_after["used_memory"],
            "used_memory_bytes_per_buyer": round((memory_after["used_memory"] - memory_before["used_memory"])
                                                 / args.buyers, 1),
            "room_keys_bytes": key_memory,
            "room_keys_bytes_per_buyer": round(sum(key_memory.values()) / args.buyers, 1),
            "keys_in_db_before_after_joins": [memory_before["keys"], memory_after["keys"]],
            "after_polling": memory_polling},
        "poll_ceiling": {**poll_ceiling, "ratio_to_livez_rps": round(poll_ceiling["per_second"]
                                                                     / ceiling["per_second"], 3),
                         "ratio_to_livez_p99": _ratio(poll_ceiling["p99_ms"], ceiling["p99_ms"])},
        "polling": {**polling, "seconds": args.poll_seconds, "warm_up_s": warm_up,
                    "ratio_to_livez_rps": round(polled["per_second"] / ceiling["per_second"], 3),
                    "ratio_to_livez_p99": _ratio(polled["p99_ms"], ceiling["p99_ms"])},
        "sell_out": {
            **sell_out, "sold_out_tick": tick, "waiting_buyers": len(still_waiting),
            "told_sold_out": len(told), "largest_retry_after_before_s": retry_after_before,
            "seconds_to_learn": {"p50": _seconds(told, 0.5), "p90": _seconds(told, 0.9), "p99": _seconds(told, 0.99),
                                 "max": round(told[-1], 2) if told else None},
            "poll_statuses_whole_run": poll_statuses, "cpu_tick_to_all_told": learning_cpu},
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def _seconds(ordered: list[float], q: float) -> float | None:
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=50_000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--seats", type=int, default=2_000)
    parser.add_argument("--admit-per-minute", type=int, default=6_000)
    parser.add_argument("--max-active", type=int, default=1_000_000)
    parser.add_argument("--livez-seconds", type=float, default=10)
    parser.add_argument("--ceiling-seconds", type=float, default=10)
    parser.add_argument("--poll-seconds", type=float, default=60)
    parser.add_argument("--tick", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tick:
        asyncio.run(_one_tick())
        return 0
    with ExitStack() as stack:
        settings = fresh_settings(stack, db_pool_max=20)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lml-admission-")))
        report = asyncio.run(run(settings, args, work))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
