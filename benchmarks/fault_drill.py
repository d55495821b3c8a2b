"""The fault drill: a sell-out while the machinery under it fails, and what buyers saw.

    .venv/bin/python -m benchmarks.fault_drill                      # 2,000 seats, 4,000 buyers, full timeline
    .venv/bin/python -m benchmarks.fault_drill --seats 100 --buyers 160 --arrivals-per-second 12 --scale 0.1 \
        --outbox-claim-lease 5 --retry-cap 1                        # the short form the e2e test runs

On this machine, as in production but smaller: two API processes (`lml serve`, buyers spread over both),
two workers (`lml worker`, their queues on a plain Redis), a Redis Cluster of three masters (a master
is declared failed after `--node-timeout-ms`, and the others keep serving their slots meanwhile),
PostgreSQL reached through PgBouncer in transaction pooling mode, and the Stripe emulator. A show goes
on sale and many buyers, arriving at `--arrivals-per-second`, each hold a seat, order it and pay
(benchmarks/drill_buyers.py). Meanwhile,
seconds after the sale opened (each time multiplied by `--scale`):

- `--kill-node-at`: the master serving the show's slot is killed (SIGKILL), and `--node-down-for`
  seconds later started again on its port, empty (nothing is saved), with its nodes.conf (so it keeps
  its slots); the show's holds are gone with it, and its state is rebuilt from PostgreSQL;
- `--kill-worker-at`: one worker is killed with SIGKILL, and started again `--worker-restart-after`
  seconds later, as systemd's `Restart=always` would;
- `--restart-pgbouncer-at`: PgBouncer is restarted on its port (stopped, started).

Then the drill waits until the show is sold out and nothing is left pending in the outbox or the Stripe
event inbox. Reported (JSON): what buyers saw, per phase and per second (status counts per route), the
answers in the 5xx range other than 503 (must be none) and the 503s without `Retry-After` (must be
none), the recovery times, and the integrity of the sale (sold = valid tickets = paid buyers =
capacity, no seat twice, no paid order short of tickets, no outbox event or Stripe event undelivered
or dead). Exits non-zero when a check fails. The outbox's claim lease is the production default unless
`--outbox-claim-lease` says otherwise: events claimed by the killed worker wait for it to run out.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import redis
import redis.asyncio as aioredis
from benchmarks.drill_buyers import Answer, Buyer, Sale, Stuck
from benchmarks.show_on_sale import show_on_sale
from tests import services
from tests.fixtures.processes import process, serving

from lml.config import Settings
from lml.container import build_container
from lml.platform.db import Database
from lml.platform.domain.principal import Principal
from lml.platform.ids import new_id

SECTIONS = 8
API_PROCESSES = 2
WORKERS = 2
# Server connections PgBouncer keeps to PostgreSQL for all the processes' clients.
PGBOUNCER_POOL = 20


@dataclass(frozen=True)
class World:
    settings: Settings  # the processes': PostgreSQL through PgBouncer, Redis Cluster, broker on a plain Redis
    direct: Settings  # the drill's own reads: PostgreSQL straight, so that they see through the restart
    cluster: services.RedisClusterNodes
    pgbouncer: services.ServerProcess
    logs: Path


@contextmanager
def world(args: argparse.Namespace) -> Iterator[World]:
    with ExitStack() as stack:
        work = stack.enter_context(services.workdir())
        owner, app_dsn = stack.enter_context(services.postgres_database(
            os.environ.get("LML_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")))
        pooled, bouncer = stack.enter_context(services.pgbouncer_server(app_dsn, work, pool_size=PGBOUNCER_POOL))
        cluster = stack.enter_context(services.redis_cluster(work, node_timeout_ms=args.node_timeout_ms,
                                                             full_coverage=False))
        broker = stack.enter_context(services.redis_database(
            os.environ.get("LML_TEST_REDIS_URL", "redis://127.0.0.1:6379")))
        settings = Settings(
            database_url=pooled, migrate_database_url=owner, db_prepared_statements=False,
            redis_url=cluster.url, redis_cluster=True, broker_url=broker,
            mongo_url=stack.enter_context(services.mongo_server(work)), mongo_database="lml_drill",
            stripe_api_base=stack.enter_context(services.stripe_emulator(work)),
            stripe_secret_key="sk_test_drill", stripe_webhook_secret="whsec_drill",  # noqa: S106 - the emulator's
            log_level="warning", log_format="json", db_pool_min=1, db_pool_max=10,
            outbox_claim_lease_seconds=args.outbox_claim_lease,
            # The buyers all start on this machine but stand for buyers on as many networks.
            max_held_per_address=10_000_000, rate_limit_address_burst=10_000_000,
            rate_limit_address_per_second=1_000_000,
        )
        direct = msgspec.structs.replace(settings, database_url=app_dsn, db_prepared_statements=True)
        try:
            yield World(settings, direct, cluster, bouncer, Path(work))
        finally:
            if args.logs:
                shutil.copytree(work, args.logs, ignore=lambda _, names: [n for n in names if not n.endswith(".log")],
                                dirs_exist_ok=True)


def node_of_show(cluster: services.RedisClusterNodes, show_id: str) -> int:
    """The port of the master serving the show's hash tag's slot."""
    client = redis.Redis.from_url(cluster.url)
    try:
        slot = int(client.execute_command("CLUSTER", "KEYSLOT", f"{{{show_id}}}"))  # type: ignore[no-untyped-call]
        for start, end, primary, *_ in client.execute_command("CLUSTER", "SLOTS"):  # type: ignore[no-untyped-call]
            if int(start) <= slot <= int(end):
                return int(primary[1])
    finally:
        client.close()
    raise RuntimeError(f"no master serves slot {slot}")


class Drill:
    """The sale, the faults on their timeline, and what is watched meanwhile."""

    def __init__(self, world: World, args: argparse.Namespace, db: Database, sale: Sale, node: int) -> None:
        self.world, self.args, self.db, self.sale, self.node = world, args, db, sale, node
        self.marks: dict[str, float] = {}
        self.backlog_at_kill: tuple[int, int] = (0, 0)

    def mark(self, what: str) -> None:
        self.marks[what] = round(self.sale.now(), 2)

    async def until(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at * self.args.scale - self.sale.now()))

    async def faults(self, workers: list[subprocess.Popen[bytes]], processes: AsyncExitStack) -> None:
        args, cluster = self.args, self.world.cluster
        await self.until(args.kill_node_at)
        cluster.nodes[self.node].kill()
        self.mark("node_killed")
        await self.until(args.kill_node_at + args.node_down_for)
        await asyncio.to_thread(cluster.restart_empty, self.node)
        self.mark("node_restarted")
        await self.until(args.kill_worker_at)
        self.backlog_at_kill = await self._newest_events()
        os.killpg(workers[0].pid, signal.SIGKILL)
        self.mark("worker_killed")
        await asyncio.sleep(args.worker_restart_after * args.scale)
        workers.append(processes.enter_context(process(["worker", "--threads", "4"], self.world.settings,
                                                       self.world.logs / "worker-restarted.log")))
        self.mark("worker_restarted")
        await self.until(args.restart_pgbouncer_at)
        self.mark("pgbouncer_stopped")
        await asyncio.to_thread(self.world.pgbouncer.stop)
        await asyncio.to_thread(self.world.pgbouncer.start)
        self.mark("pgbouncer_restarted")

    async def watch(self, show_id: str) -> None:
        """The show's keys back on the restarted node; the backlog of the killed worker's time drained."""
        loaded = f"{self.world.settings.redis_key_prefix}:seating:loaded:{{{show_id}}}"
        node = aioredis.Redis(port=self.node, socket_connect_timeout=1, socket_timeout=1)
        try:
            while "backlog_drained" not in self.marks or "keys_back" not in self.marks:
                if "node_restarted" in self.marks and "keys_back" not in self.marks:
                    try:
                        if await node.exists(loaded):
                            self.mark("keys_back")
                    except redis.RedisError:
                        pass
                if ("worker_killed" in self.marks and "backlog_drained" not in self.marks
                        and await self._undelivered(*self.backlog_at_kill) == 0):
                    self.mark("backlog_drained")
                await asyncio.sleep(0.05)
        finally:
            await node.aclose()

    async def _newest_events(self) -> tuple[int, int]:
        async with self.db.unit_of_work() as uow:
            row = await (await uow.conn.execute(
                "SELECT (SELECT coalesce(max(id), 0) FROM platform.outbox) AS outbox,"
                " (SELECT coalesce(max(seq), 0) FROM payments.stripe_events) AS inbox")).fetchone()
        return (int(row["outbox"]), int(row["inbox"])) if row else (0, 0)

    async def _undelivered(self, outbox_upto: int | None = None, inbox_upto: int | None = None) -> int:
        """Outbox events and Stripe events still pending (those up to the ids given)."""
        async with self.db.unit_of_work() as uow:
            row = await (await uow.conn.execute(
                "SELECT (SELECT count(*) FROM platform.outbox WHERE status = 'pending'"
                "        AND (%(outbox)s::bigint IS NULL OR id <= %(outbox)s))"
                "     + (SELECT count(*) FROM payments.stripe_events WHERE status = 'pending'"
                "        AND (%(inbox)s::bigint IS NULL OR seq <= %(inbox)s)) AS n",
                {"outbox": outbox_upto, "inbox": inbox_upto})).fetchone()
        return int(row["n"]) if row else 0

    async def settle(self, show_id: str, capacity: int) -> None:
        """Until every seat has a valid ticket and nothing is pending in the outbox or the inbox."""
        deadline = time.monotonic() + self.args.settle_timeout
        while time.monotonic() < deadline:
            if "sold_out" not in self.marks and await _count(
                    self.db, "SELECT count(*) FROM ordering.tickets WHERE show_id = %(show)s AND status = 'valid'",
                    show_id) >= capacity:
                self.mark("sold_out")
            if "sold_out" in self.marks and await self._undelivered() == 0:
                self.mark("settled")
                return
            await asyncio.sleep(0.2)


async def _count(db: Database, sql: str, show_id: str) -> int:
    async with db.unit_of_work() as uow:
        row = await (await uow.conn.execute(sql, {"show": show_id})).fetchone()
    return int(next(iter(row.values()))) if row else 0


INTEGRITY = {
    "sold_seats": "SELECT count(*) FROM seating.show_seats WHERE show_id = %(show)s AND status = 'sold'",
    "valid_tickets": "SELECT count(*) FROM ordering.tickets WHERE show_id = %(show)s AND status = 'valid'",
    "paid_orders": "SELECT count(*) FROM ordering.orders WHERE show_id = %(show)s AND status = 'paid'",
    "seats_ticketed_twice": "SELECT count(*) FROM (SELECT seat_id FROM ordering.tickets WHERE show_id = %(show)s"
                            " AND status = 'valid' GROUP BY seat_id HAVING count(*) > 1) twice",
    "paid_orders_without_all_tickets": (
        "SELECT count(*) FROM ordering.orders o WHERE o.show_id = %(show)s AND o.status = 'paid' AND"
        " (SELECT count(*) FROM ordering.tickets t WHERE t.order_id = o.order_id AND t.status = 'valid')"
        " <> (SELECT sum(quantity) FROM ordering.order_lines l WHERE l.order_id = o.order_id)"),
    "sold_seats_without_a_paid_order": (
        "SELECT count(*) FROM seating.show_seats s WHERE s.show_id = %(show)s AND s.status = 'sold' AND"
        " NOT EXISTS (SELECT 1 FROM ordering.orders o WHERE o.order_id = s.order_id AND o.status = 'paid')"),
    "outbox_undelivered": "SELECT count(*) FROM platform.outbox WHERE status = 'pending'",
    "outbox_dead": "SELECT count(*) FROM platform.outbox WHERE status = 'dead'",
    "stripe_events_received": "SELECT count(*) FROM payments.stripe_events"
                              " WHERE event_type = 'payment_intent.succeeded'",
    "stripe_events_unprocessed": "SELECT count(*) FROM payments.stripe_events WHERE status = 'pending'",
    "stripe_events_dead": "SELECT count(*) FROM payments.stripe_events WHERE status = 'dead'",
}


async def integrity(db: Database, show_id: str, capacity: int, sale: Sale) -> dict[str, Any]:
    checks: dict[str, Any] = {name: await _count(db, sql, show_id) for name, sql in INTEGRITY.items()}
    checks["webhooks_acknowledged"] = sale.paid
    checks["ok"] = (
        checks["sold_seats"] == checks["valid_tickets"] == checks["paid_orders"] == sale.paid == capacity
        and checks["stripe_events_received"] >= sale.paid
        and all(checks[name] == 0 for name in (
            "seats_ticketed_twice", "paid_orders_without_all_tickets", "sold_seats_without_a_paid_order",
            "outbox_undelivered", "outbox_dead", "stripe_events_unprocessed", "stripe_events_dead"))
    )
    return checks


def _phases(marks: dict[str, float]) -> list[tuple[str, float]]:
    """The sale cut at each fault: (the phase's name, when it began)."""
    starts = [("sale_opened", 0.0)] + [(name, marks[name]) for name in (
        "node_killed", "node_restarted", "worker_killed", "pgbouncer_stopped", "pgbouncer_restarted") if name in marks]
    return sorted(starts, key=lambda phase: phase[1])


def what_buyers_saw(answers: list[Answer], marks: dict[str, float]) -> dict[str, Any]:
    phases = _phases(marks)
    by_phase: dict[str, dict[str, collections.Counter[int]]] = {
        name: collections.defaultdict(collections.Counter) for name, _ in phases}
    by_second: dict[int, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    for answer in answers:
        phase = next(name for name, start in reversed(phases) if answer.at >= start)
        by_phase[phase][answer.kind][answer.status] += 1
        by_second[int(answer.at)][answer.status] += 1
    return {
        "answers": len(answers),
        "server_errors": sum(1 for a in answers if a.status >= 500 and a.status != 503),
        "unavailable": sum(1 for a in answers if a.status == 503),
        "unavailable_without_retry_after": sum(1 for a in answers if a.status == 503 and not a.retry_after),
        # How long a buyer waited for a 503 (a call on a dead node is retried inside the API first).
        "unavailable_took_s": _spread([a.took for a in answers if a.status == 503]),
        "no_answer": sum(1 for a in answers if a.status == 0),
        "per_phase": {name: {"from_s": start, **{kind: dict(sorted(counts.items()))
                                                  for kind, counts in sorted(by_phase[name].items())}}
                      for name, start in phases},
        "per_second": {second: dict(sorted(counts.items())) for second, counts in sorted(by_second.items())},
    }


def _spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {"p50": round(ordered[len(ordered) // 2], 2), "p95": round(ordered[int(len(ordered) * 0.95)], 2),
            "max": round(ordered[-1], 2)}


def recovery(answers: list[Answer], marks: dict[str, float]) -> dict[str, float | None]:
    def first(kinds: tuple[str, ...], after: str) -> float | None:
        if after not in marks:
            return None
        return next((a.at for a in sorted(answers) if a.kind in kinds and 200 <= a.status < 300
                     and a.at >= marks[after]), None)

    def since(start: str, end: float | None) -> float | None:
        return round(end - marks[start], 2) if end is not None and start in marks else None

    return {
        "node_killed_to_first_hold_after_restart_s": since("node_killed", first(("hold",), "node_restarted")),
        "node_restarted_to_show_keys_back_s": since("node_restarted", marks.get("keys_back")),
        "pgbouncer_stopped_to_first_order_or_payment_s": since(
            "pgbouncer_stopped", first(("order", "webhook", "orders", "payment"), "pgbouncer_restarted")),
        "worker_killed_to_backlog_drained_s": since("worker_killed", marks.get("backlog_drained")),
        "sale_opened_to_sold_out_s": marks.get("sold_out"),
        "sale_opened_to_settled_s": marks.get("settled"),
    }


async def run(world: World, args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    container = build_container(world.direct)
    await container.open()
    try:
        show_id = await show_on_sale(container, seats=args.seats, sections=SECTIONS, front_sections=2,
                                     max_seats_per_buyer=4, title="The Fault Drill")
        async with container.resources.db.unit_of_work() as uow:
            rows = await (await uow.conn.execute(
                "SELECT seat_id FROM seating.show_seats WHERE show_id = %s ORDER BY seat_id", (show_id,))).fetchall()
        now = datetime.now(UTC)
        tokens = [container.resources.tokens.issue(Principal(
            subject=new_id(), kind="guest", scopes=frozenset({"buyer"}), email=f"buyer{i}@drill.test"), now, 3600)
            for i in range(args.buyers)]
        node = node_of_show(world.cluster, show_id)
        async with AsyncExitStack() as processes:
            workers = [processes.enter_context(process(["worker", "--threads", "4"], world.settings,
                                                       world.logs / f"worker-{i}.log")) for i in range(WORKERS)]
            apis = [serving(world.settings, world.logs / f"serve-{i}.log") for i in range(API_PROCESSES)]
            ports = await asyncio.gather(*(processes.enter_async_context(api) for api in apis))
            limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=args.connections)
            clients = [await processes.enter_async_context(httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60)) for port in ports]
            stripe = await processes.enter_async_context(httpx.AsyncClient(
                base_url=world.settings.stripe_api_base, auth=(world.settings.stripe_secret_key, ""), limits=limits,
                timeout=60))
            sale = Sale(show_id, [row["seat_id"] for row in rows], world.settings.stripe_webhook_secrets[0],
                        retry_cap=args.retry_cap)
            drill = Drill(world, args, container.resources.db, sale, node)
            gate = asyncio.Semaphore(args.connections)
            set_up = time.monotonic() - started

            async def buyer(i: int, token: str) -> None:
                await asyncio.sleep(max(0.0, i / args.arrivals_per_second - sale.now()))
                async with gate:
                    try:
                        await Buyer(sale, clients[i % len(clients)], stripe, token).buy()
                    except (Stuck, httpx.HTTPError) as exc:
                        sale.stuck.append(str(exc))

            faults = asyncio.create_task(drill.faults(workers, processes))
            watch = asyncio.create_task(drill.watch(show_id))
            await asyncio.gather(*(buyer(i, token) for i, token in enumerate(tokens)))
            drill.mark("buyers_done")
            await faults
            await drill.settle(show_id, args.seats)
            await asyncio.wait([watch], timeout=5)
            watch.cancel()
        checks = await integrity(container.resources.db, show_id, args.seats, sale)
    finally:
        await container.close()
    return {
        "seats": args.seats, "buyers": args.buyers, "connections": args.connections,
        "arrivals_per_second": args.arrivals_per_second, "scale": args.scale,
        "outbox_claim_lease_s": args.outbox_claim_lease, "load_average": os.getloadavg(),
        "show_and_processes_set_up_s": round(set_up, 1),
        "timeline_s": drill.marks, "recovery": recovery(sale.answers, drill.marks),
        "buyers_paid": sale.paid, "buyers_gave_up": sale.gave_up, "buyers_stuck": len(sale.stuck),
        "first_stuck": sale.stuck[:5], "what_buyers_saw": what_buyers_saw(sale.answers, drill.marks),
        "integrity": checks,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seats", type=int, default=2_000)
    parser.add_argument("--buyers", type=int, default=4_000)
    parser.add_argument("--connections", type=int, default=32, help="buyers in flight at once")
    # Paced, so that however fast the machine sells, the show cannot sell out before the last fault:
    # by then at most (time * rate) buyers have come.
    parser.add_argument("--arrivals-per-second", type=float, default=25.0, help="buyers arriving a second")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every time of the timeline")
    parser.add_argument("--kill-node-at", type=float, default=20.0)
    parser.add_argument("--node-down-for", type=float, default=15.0)
    parser.add_argument("--kill-worker-at", type=float, default=45.0)
    parser.add_argument("--worker-restart-after", type=float, default=2.0)
    parser.add_argument("--restart-pgbouncer-at", type=float, default=60.0)
    parser.add_argument("--node-timeout-ms", type=int, default=2_000, help="the cluster's cluster-node-timeout")
    parser.add_argument("--retry-cap", type=float, default=2.0, help="longest wait a buyer takes on Retry-After")
    parser.add_argument("--outbox-claim-lease", type=int, default=Settings().outbox_claim_lease_seconds,
                        help="LML_OUTBOX_CLAIM_LEASE_SECONDS of the workers")
    parser.add_argument("--settle-timeout", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--logs", help="copy the processes' logs to this folder")
    return parser.parse_args(argv)


def passed(report: dict[str, Any]) -> bool:
    """The sale's integrity held, no answer was an error of ours, and every 503 said when to come back."""
    saw = report["what_buyers_saw"]
    return bool(report["integrity"]["ok"] and saw["server_errors"] == 0 and saw["unavailable_without_retry_after"] == 0)


def main() -> None:
    args = parse_args()
    random.seed(args.seed)
    with world(args) as drill_world:
        report = asyncio.run(run(drill_world, args))
    print(json.dumps(report, indent=2))
    sys.exit(0 if passed(report) else 1)


if __name__ == "__main__":
    main()
