"""The whole buying journey under a sell-out: a 2,000-seat show, 4,000 buyers competing over HTTP.

    .venv/bin/python -m benchmarks.ordering_journey                         # 2,000 seats, 4,000 buyers
    .venv/bin/python -m benchmarks.ordering_journey --seats 500 --buyers 1000 --connections 32
    .venv/bin/python -m benchmarks.ordering_journey --big --connections 16   # 10,000 seats, 20,000 buyers
    .venv/bin/python -m benchmarks.ordering_journey ... --worker-every 1.0  # worker passes ticked as in production

A throwaway world like the tests' (new database, claimed Redis index, nx-27017, localstripe), the API
served by granian in a process of its own, and the worker's passes (Stripe inbox, outbox) in another.
Each buyer: read availability, hold one free seat (retrying another on 409),
order it (asking for its PaymentIntent again, as the app does, when Stripe was not reached in time),
confirm its PaymentIntent on the Stripe emulator as the app would, and Stripe's
`payment_intent.succeeded` reaches our webhook signed with the webhook secret. Reported: orders/s,
time to sell out (first request → every seat paid), p50/p95/p99 of order creation, and the final
integrity check (sold seats = valid tickets = capacity, no seat ticketed twice, every paid order
ticketed). Nothing here fails on timing.

In the same run, before the buyers: `GET /livez` from the same load generator at the same concurrency,
the ceiling the figures compare with. From the first request to the sell-out: each process's CPU time
per paid order (benchmarks.process_accounting: the API, the worker, the run's PostgreSQL backends,
redis-server, the Stripe emulator, the load generator). With `--round-trips`, also the API's and the
worker's statements to PostgreSQL and commands to Redis per paid order, statement by statement
(benchmarks/probe), at a cost of 4-7 % of their CPU. With `--profile DIR`, py-spy records the API's
worker process and the worker meanwhile (collapsed stacks).

The buyers' HTTP client is aiohttp's (benchmarks.lean_http): httpx costs the load generator 4-5 times
as much CPU, taken from the processes under test.

With `--cancel`, the sold-out show is then cancelled as its operator would: reported are the time
until the worker has handled every order (a batch per transaction) and until every refund is
settled on the emulator, and the check that every paid order was refunded exactly once, in full,
with no valid ticket left.

With `--mail`, the SMTP sink (ops/smtp_sink.py) listens on a free port, the world's `smtp_url` points at
it and the worker also sends the messages due (the order confirmations the outbox records for each
paid order), as the worker's `notifications_send` actor does, beside its other passes. Reported after
the sell-out: emails received, messages/s (first to last received, by the sink's timestamps), the time
from the last payment (the last `payment_intent.succeeded` webhook answered) and from the sell-out (the
last ticket issued) to the last email, the worker's CPU time per email (all its work for the order
included), and the check that every paid order's buyer got exactly one email (To: against paid orders).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import hashlib
import hmac
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import uvloop
from benchmarks import statement_plans
from benchmarks.lean_http import HttpError, LeanClient
from benchmarks.process_accounting import Accounting, pgrep, probe_env
from benchmarks.served_api import ServedApi, serve_api
from benchmarks.served_api import cpu_seconds as _cpu_seconds
from benchmarks.show_on_sale import show_on_sale
from tests import services
from tests.fixtures.mail import MailSink
from tests.fixtures.ordering import TestWorker

from lml.catalog.application import manage_shows
from lml.config import Settings
from lml.container import Container, build_container
from lml.ordering.infrastructure.cancellation_report import cancellation_report
from lml.platform.domain.principal import Principal
from lml.platform.ids import new_id
from lml.platform.resources import Resources

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = 8
PROBE_PERIOD = 0.6  # the probes write their counts twice a second


@dataclass
class Tally:
    order_latencies: list[float] = field(default_factory=list)
    holds: int = 0
    hold_conflicts: int = 0
    orders: int = 0
    order_conflicts: int = 0
    paid: int = 0
    gave_up: int = 0
    payments_deferred: int = 0  # PaymentIntents asked for again (Stripe not reached when the order was placed)
    errors: list[str] = field(default_factory=list)
    first_request: float = 0.0
    last_order: float = 0.0
    last_paid_at: float = 0.0  # wall clock, as the SMTP sink's file names


def _settings(stack: ExitStack, smtp_url: str | None) -> Settings:
    work = stack.enter_context(services.workdir())
    owner, app_dsn = stack.enter_context(services.postgres_database(
        os.environ.get("LML_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")))
    redis_url = stack.enter_context(services.redis_database(
        os.environ.get("LML_TEST_REDIS_URL", "redis://127.0.0.1:6379")))
    return Settings(
        database_url=app_dsn, migrate_database_url=owner, redis_url=redis_url,
        mongo_url=stack.enter_context(services.mongo_server(work)), mongo_database="lml_bench",
        stripe_api_base=stack.enter_context(services.stripe_emulator(work)),
        stripe_secret_key="sk_test_bench", stripe_webhook_secret="whsec_bench",  # noqa: S106 - the emulator's
        log_level="error", log_format="json", db_pool_min=4, db_pool_max=30,
        # The journeys all start on this machine but stand for buyers on as many networks.
        max_held_per_address=10_000_000, rate_limit_address_burst=10_000_000, rate_limit_address_per_second=1_000_000,
        **({"smtp_url": smtp_url} if smtp_url else {}),
    )


def _env(settings: Settings) -> dict[str, str]:
    """The API and the worker read their settings from LML_* variables (the API's address apart)."""
    return {f"LML_{name.upper()}": str(value) for name, value in msgspec.to_builtins(settings).items()
            if name not in ("host", "port")}


async def _seat_ids(resources: Resources, show_id: str) -> list[str]:
    """In the availability string's order (ascending seat id)."""
    async with resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute(
            "SELECT seat_id FROM seating.show_seats WHERE show_id = %s ORDER BY seat_id", (show_id,))).fetchall()
    return [row["seat_id"] for row in rows]


def _signed(body: bytes, secret: str) -> str:
    t = int(time.time())
    return f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + body, hashlib.sha256).hexdigest()}"


async def _pay(stripe: LeanClient, api: LeanClient, secret: str, pi_id: str) -> None:
    """As the app (a card on the PaymentIntent, confirm), then Stripe's event to our webhook."""
    method = (await stripe.post("/v1/payment_methods", data={
        "type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034",
        "card[cvc]": "123"})).json()
    await stripe.post(f"/v1/payment_intents/{pi_id}", data={"payment_method": method["id"]})
    pi = (await stripe.post(f"/v1/payment_intents/{pi_id}/confirm")).json()
    event = {"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "created": int(time.time()),
             "type": "payment_intent.succeeded", "data": {"object": pi}, "livemode": False}
    body = json.dumps(event).encode()
    response = await api.post("/v1/payments/stripe/webhook", content=body,
                              headers={"Stripe-Signature": _signed(body, secret), "Content-Type": "application/json"})
    response.raise_for_status()


async def _deferred_payment(api: LeanClient, headers: dict[str, str], order_id: str, tally: Tally,
                            attempts: int = 10) -> dict[str, Any] | None:
    """The order stands but Stripe was not reached in time: the app asks for its PaymentIntent again,
    after the Retry-After it is given."""
    for _ in range(attempts):
        tally.payments_deferred += 1
        answer = await api.post(f"/v1/orders/{order_id}/payment", headers=headers)
        if answer.status_code == 200:
            return answer.json()["payment"]
        await asyncio.sleep(float(answer.headers.get("Retry-After", "2")))
    return None


async def _buyer(api: LeanClient, stripe: LeanClient, settings: Settings, token: str, show_id: str,
                 seat_ids: list[str], tally: Tally, attempts: int = 6) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(attempts):
        seats = (await api.get(f"/v1/shows/{show_id}/availability")).json()["seats"]
        free = [i for i, code in enumerate(seats) if code == "a"]
        if not free:
            tally.gave_up += 1
            return
        held = await api.post(f"/v1/shows/{show_id}/holds", headers=headers,
                              json={"seat_ids": [seat_ids[random.choice(free)]], "zones": {}})
        if held.status_code == 409:
            tally.hold_conflicts += 1
            continue
        if held.status_code != 201:
            tally.errors.append(f"hold {held.status_code} {held.text[:200]}")
            return
        tally.holds += 1
        body = held.json()
        started = time.perf_counter()
        placed = await api.post("/v1/orders", json={"hold_id": body["hold_id"], "hold_token": body["hold_token"]},
                                headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        tally.order_latencies.append(time.perf_counter() - started)
        if placed.status_code == 409:
            tally.order_conflicts += 1
            continue
        if placed.status_code != 201:
            tally.errors.append(f"order {placed.status_code} {placed.text[:200]}")
            return
        tally.orders += 1
        tally.last_order = time.perf_counter()
        payment = placed.json()["payment"] or await _deferred_payment(api, headers, placed.json()["order_id"], tally)
        if payment is None:
            tally.errors.append(f"order {placed.json()['order_id']}: no PaymentIntent")
            return
        await _pay(stripe, api, settings.stripe_webhook_secrets[0], payment["payment_intent_id"])
        tally.last_paid_at = time.time()
        return
    tally.gave_up += 1


async def _worker_loop(mail: bool, every: float | None) -> None:
    """What `lml worker` does for this journey (Stripe inbox, outbox; with `mail`, sending the messages
    due), in a process of its own, until SIGTERM. Its settings come from the LML_* variables the parent
    exported. Sending runs beside the other passes, as its own actor does, not between them. Each pass
    follows the last at once while it finds work (50 ms after one that found none), or with `every`,
    one pass each `every` seconds, as the production worker's ticker sends them."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    container = build_container(Settings.from_env())
    await container.open()
    worker = TestWorker(container)

    async def until_stopped(work: Callable[[], Awaitable[int]]) -> None:
        while not stop.is_set():
            started = time.monotonic()
            found = await work()
            idle = 0.0 if found else 0.05
            pause = idle if every is None else every - (time.monotonic() - started)
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)

    async def passes() -> int:
        return (await worker.process_stripe_events() + await worker.relay_outbox()
                + await worker.cancel_show_orders())

    try:
        await asyncio.gather(until_stopped(passes), *([until_stopped(worker.send_mail)] if mail else []))
    finally:
        await container.close()


async def _sold(resources: Resources, show_id: str) -> int:
    async with resources.db.unit_of_work() as uow:
        row = await (await uow.conn.execute("SELECT count(*) AS n FROM ordering.tickets"
                                            " WHERE show_id = %s AND status = 'valid'", (show_id,))).fetchone()
    return int(row["n"]) if row else 0


async def _outbox_pending(resources: Resources) -> int:
    async with resources.db.unit_of_work() as uow:
        row = await (await uow.conn.execute("SELECT count(*) AS n FROM platform.outbox"
                                            " WHERE status = 'pending'")).fetchone()
    return int(row["n"]) if row else 0


async def _integrity(resources: Resources, show_id: str, capacity: int) -> dict[str, Any]:
    async with resources.db.unit_of_work() as uow:
        async def one(sql: str) -> Any:
            row = await (await uow.conn.execute(sql, {"show": show_id})).fetchone()
            return next(iter(row.values())) if row else None

        checks = {
            "sold_seats": await one("SELECT count(*) FROM seating.show_seats WHERE show_id = %(show)s"
                                    " AND status = 'sold'"),
            "valid_tickets": await one("SELECT count(*) FROM ordering.tickets WHERE show_id = %(show)s"
                                       " AND status = 'valid'"),
            "seats_ticketed_twice": await one(
                "SELECT count(*) FROM (SELECT seat_id FROM ordering.tickets WHERE show_id = %(show)s"
                " AND status = 'valid' GROUP BY seat_id HAVING count(*) > 1) twice"),
            "paid_orders": await one("SELECT count(*) FROM ordering.orders WHERE show_id = %(show)s"
                                     " AND status = 'paid'"),
            "paid_orders_without_all_tickets": await one(
                "SELECT count(*) FROM ordering.orders o WHERE o.show_id = %(show)s AND o.status = 'paid' AND"
                " (SELECT count(*) FROM ordering.tickets t WHERE t.order_id = o.order_id AND t.status = 'valid')"
                " <> (SELECT sum(quantity) FROM ordering.order_lines l WHERE l.order_id = o.order_id)"),
            "sold_seats_without_a_paid_order": await one(
                "SELECT count(*) FROM seating.show_seats s WHERE s.show_id = %(show)s AND s.status = 'sold' AND"
                " NOT EXISTS (SELECT 1 FROM ordering.orders o WHERE o.order_id = s.order_id AND o.status = 'paid')"),
        }
    checks["ok"] = (checks["sold_seats"] == checks["valid_tickets"] == capacity and checks["seats_ticketed_twice"] == 0
                    and checks["paid_orders_without_all_tickets"] == 0
                    and checks["sold_seats_without_a_paid_order"] == 0)
    return checks


async def _cancel(container: Container, show_id: str) -> dict[str, Any]:
    """Cancel the show as its operator; time the worker's cascade; check every order's money."""
    resources = container.resources
    async with resources.db.unit_of_work() as uow:
        row = await (await uow.conn.execute(
            "SELECT organization_id::text AS org FROM seating.show_inventories WHERE show_id = %s",
            (show_id,))).fetchone()
    assert row is not None
    started = time.perf_counter()
    await manage_shows.cancel_show(container.catalog.ports, org_id=row["org"], show_id=show_id)
    handled = settled = None
    deadline = time.monotonic() + 1800
    while settled is None and time.monotonic() < deadline:
        async with resources.db.unit_of_work() as uow:
            report = await cancellation_report(uow.conn, show_id, cancelled_in_catalog=True)
        if handled is None and report.orders_finished_at is not None:
            handled = time.perf_counter() - started
        if report.state in ("done", "needs_attention"):
            settled = time.perf_counter() - started
        await asyncio.sleep(0.1)
    async with resources.db.unit_of_work() as uow:
        async def one(sql: str) -> Any:
            found = await (await uow.conn.execute(sql, {"show": show_id})).fetchone()
            return next(iter(found.values())) if found else None

        checks = {
            "orders_refunded_twice": await one(
                "SELECT count(*) FROM (SELECT r.order_id FROM payments.refunds r JOIN ordering.orders o"
                " ON o.order_id = r.order_id WHERE o.show_id = %(show)s GROUP BY r.order_id"
                " HAVING count(*) > 1) twice"),
            "paid": await one("SELECT coalesce(sum(amount_paid), 0)::bigint FROM ordering.orders"
                              " WHERE show_id = %(show)s"),
            "refunded_at_stripe": await one(
                "SELECT coalesce(sum(r.amount), 0)::bigint FROM payments.refunds r JOIN ordering.orders o"
                " ON o.order_id = r.order_id WHERE o.show_id = %(show)s AND r.status = 'succeeded'"),
            "valid_tickets": await one("SELECT count(*) FROM ordering.tickets WHERE show_id = %(show)s"
                                       " AND status = 'valid'"),
        }
    checks["ok"] = (settled is not None and checks["orders_refunded_twice"] == 0 and checks["valid_tickets"] == 0
                    and checks["paid"] == checks["refunded_at_stripe"])
    return {"orders": report.orders_to_refund, "orders_handled_s": round(handled, 1) if handled else None,
            "refunds_settled_s": round(settled, 1) if settled else None, "state": report.state, **checks}


def _mail_sink(stack: ExitStack) -> MailSink:
    """The tests' SMTP sink on a free port, writing each message to a throwaway directory."""
    directory = Path(stack.enter_context(services.workdir())) / "mail"
    directory.mkdir()
    sink = MailSink(directory, services.free_port())
    sink.start()
    stack.callback(sink.stop)
    return sink


def _arrivals(sink: MailSink) -> list[float]:
    """When each message reached the sink (wall clock, seconds), from its file's name, in order."""
    return sorted(int(path.name.split("-", 1)[0]) / 1e9 for path in sink.directory.glob("*.eml"))


async def _message_statuses(resources: Resources) -> dict[str, int]:
    async with resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute(
            "SELECT status, count(*) AS n FROM notifications.messages GROUP BY status")).fetchall()
    return {row["status"]: int(row["n"]) for row in rows}


async def _confirmations(resources: Resources, sink: MailSink, show_id: str, tally: Tally, sold_out_at: float,
                         worker_pid: int, worker_cpu_at_start: float) -> dict[str, Any]:
    """Wait until the sink holds an email per paid order and nothing is left to send (at most 5 minutes);
    time them against the last payment and the sell-out (wall clock, as the sink's file names), and check
    that each paid order's buyer got exactly one."""
    async with resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute("SELECT buyer_email FROM ordering.orders WHERE show_id = %s"
                                             " AND status = 'paid'", (show_id,))).fetchall()
    buyers = collections.Counter(str(row["buyer_email"]).lower() for row in rows)
    paid = buyers.total()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        statuses = await _message_statuses(resources)
        if len(_arrivals(sink)) >= paid and statuses.get("queued", 0) + statuses.get("failed", 0) == 0:
            break
        await asyncio.sleep(0.1)
    cpu_now = _cpu_seconds([worker_pid])
    arrivals = _arrivals(sink)
    recipients = collections.Counter(str(message["To"]).lower() for message in sink.messages())
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    # To: addresses against paid orders' buyers, one email owed per paid order.
    checks = {"paid_orders": paid, "paid_orders_without_email": (buyers - recipients).total(),
              "emails_beyond_one_per_paid_order": (recipients - buyers).total()}
    checks["ok"] = (len(arrivals) == paid and checks["paid_orders_without_email"] == 0
                    and checks["emails_beyond_one_per_paid_order"] == 0)
    return {
        "emails": len(arrivals), "message_statuses": await _message_statuses(resources),
        "messages_per_second": round((len(arrivals) - 1) / span, 1) if span else None,
        "first_to_last_email_s": round(span, 1),
        "emails_after_last_payment": sum(1 for at in arrivals if at > tally.last_paid_at),
        "last_payment_to_last_email_s": round(arrivals[-1] - tally.last_paid_at, 1) if arrivals else None,
        # The worker pays the orders behind the webhooks: from the last ticket issued, the mail's own lag.
        "sell_out_to_last_email_s": round(arrivals[-1] - sold_out_at, 1) if arrivals else None,
        # The worker's whole work per order, first request to last email: the Stripe event, the order
        # paid (seats sold, tickets issued), the outbox (the message recorded), the email rendered and sent.
        "worker_cpu_ms_per_email": round((cpu_now - worker_cpu_at_start) * 1000 / len(arrivals), 1)
        if arrivals else None,
        **checks,
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


async def _livez_ceiling(client: LeanClient, connections: int, api_pids: Callable[[], list[int]],
                         requests: int = 3_000) -> dict[str, float]:
    """`GET /livez` from the same load generator, at the same concurrency: what the machine, the server
    and the client do for a request that does nothing, the ceiling the journey's figures compare with."""
    latencies: list[float] = []
    gate = asyncio.Semaphore(connections)

    async def one() -> None:
        async with gate:
            started = time.perf_counter()
            (await client.get("/livez")).raise_for_status()
            latencies.append(time.perf_counter() - started)

    cpu, started = _cpu_seconds(api_pids()), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(requests)))
    elapsed = time.perf_counter() - started
    return {"requests_per_second": round(requests / elapsed, 1), "ms_p50": round(_pct(latencies, 0.50), 1),
            "ms_p95": round(_pct(latencies, 0.95), 1),
            "api_cpu_ms_per_request": round((_cpu_seconds(api_pids()) - cpu) * 1000 / requests, 2)}


@contextmanager
def _profiles(directory: Path | None, pids: dict[str, list[int]]) -> Iterator[None]:
    """py-spy records each process in `pids` (role -> pids) into `directory` while the block runs: the
    samples where Python holds the GIL, i.e. runs Python code (not waiting on a socket or for the GIL)."""
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    spies = [subprocess.Popen([str(ROOT / ".venv/bin/py-spy"), "record", "--nonblocking", "--rate", "50", "--gil",
                               "--format", "raw", "--output", str(directory / f"{role}-{pid}.txt"),
                               "--pid", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for role, role_pids in pids.items() for pid in role_pids]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
        for spy in spies:
            spy.wait(timeout=60)


async def run(settings: Settings, api: ServedApi, args: argparse.Namespace, worker_pid: int,
              sink: MailSink | None, accounting: Accounting) -> dict[str, Any]:
    container = build_container(settings)
    resources = container.resources
    await container.open()
    await resources.db.pool.wait(timeout=10)
    try:
        show_id = await show_on_sale(container, seats=args.seats, sections=SECTIONS, front_sections=2,
                                     max_seats_per_buyer=4, title="The Big Sell-out")
        seat_ids = await _seat_ids(resources, show_id)
        now = datetime.now(UTC)
        tokens = [resources.tokens.issue(Principal(subject=new_id(), kind="guest", scopes=frozenset({"buyer"}),
                                                   email=f"buyer{i}@bench.test"), now, 3600)
                  for i in range(args.buyers)]
        tally = Tally()
        gate = asyncio.Semaphore(args.connections)
        async with (
            LeanClient(api.base, connections=args.connections) as client,
            LeanClient(settings.stripe_api_base, connections=args.connections,
                       auth=(settings.stripe_secret_key, "")) as stripe,
        ):
            async def one(token: str) -> None:
                async with gate:
                    try:
                        await _buyer(client, stripe, settings, token, show_id, seat_ids, tally)
                    except HttpError as exc:
                        tally.errors.append(f"{type(exc).__name__}: {exc}")

            ceiling = await _livez_ceiling(client, args.connections, api.pids)
            await asyncio.sleep(PROBE_PERIOD)
            before = accounting.snapshot()
            worker_cpu_at_start = before.cpu["worker"]
            with _profiles(args.profile, {"api": api.pids()[1:], "worker": [worker_pid]}):
                tally.first_request = time.perf_counter()
                await asyncio.gather(*(one(t) for t in tokens))
                buying_done = time.perf_counter()
                deadline = time.monotonic() + 300 + args.seats / 10  # the worker's backlog, at 10 orders/s
                while await _sold(resources, show_id) < args.seats and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
                sold_out, sold_out_at = time.perf_counter(), time.time()
                # The order's work includes what its events cause (inventory sync, the confirmation recorded).
                while await _outbox_pending(resources) and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
            await asyncio.sleep(PROBE_PERIOD)
            after = accounting.snapshot()
        integrity = await _integrity(resources, show_id, args.seats)
        mail = await _confirmations(resources, sink, show_id, tally, sold_out_at, worker_pid,
                                           worker_cpu_at_start) if sink else None
        cancellation = await _cancel(container, show_id) if args.cancel else None
    finally:
        await container.close()
    order_phase = max(tally.last_order - tally.first_request, 1e-9)
    latencies = tally.order_latencies
    return {
        "seats": args.seats, "buyers": args.buyers, "connections": args.connections,
        "api_workers": args.api_workers,
        "holds": tally.holds, "hold_conflicts": tally.hold_conflicts, "orders": tally.orders,
        "order_conflicts": tally.order_conflicts, "gave_up": tally.gave_up,
        "payments_deferred": tally.payments_deferred, "errors": len(tally.errors),
        "first_errors": tally.errors[:5],
        "orders_per_second": round(tally.orders / order_phase, 1),
        "order_ms_mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
        "order_ms_p50": round(_pct(latencies, 0.50), 1),
        "order_ms_p95": round(_pct(latencies, 0.95), 1),
        "order_ms_p99": round(_pct(latencies, 0.99), 1),
        "buyers_done_s": round(buying_done - tally.first_request, 1),
        "sell_out_s": round(sold_out - tally.first_request, 1),
        "livez": ceiling,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "integrity": integrity,
        **accounting.report(before, after, integrity["paid_orders"]),
        **({"mail": mail} if mail else {}),
        **({"cancellation": cancellation} if cancellation else {}),
    }


@contextmanager
def _worker_process(mail: bool, every: float | None, env: dict[str, str]) -> Iterator[int]:
    """The worker's process; yields its pid."""
    process = subprocess.Popen([sys.executable, "-m", "benchmarks.ordering_journey", "--worker-loop",
                                *(["--mail"] if mail else []), *(["--worker-every", str(every)] if every else [])],
                               cwd=ROOT, env={**os.environ, **env})
    try:
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seats", type=int, default=2_000)
    parser.add_argument("--buyers", type=int, default=4_000)
    parser.add_argument("--big", action="store_true", help="a 10,000-seat show and 20,000 buyers (--seats, --buyers)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--api-workers", type=int, default=1)
    parser.add_argument("--cancel", action="store_true", help="then cancel the show and time its refunds")
    parser.add_argument("--mail", action="store_true",
                        help="the worker also sends the order confirmations to a local SMTP sink; time and check them")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="py-spy records the API's workers and the worker into DIR (raw, collapsed stacks)")
    parser.add_argument("--explain", action="store_true",
                        help="then print the plans PostgreSQL ran (EXPLAIN ANALYZE, BUFFERS via auto_explain)"
                             " for the run's statements; slows every statement: for the plans, not the figures")
    parser.add_argument("--worker-every", type=float, metavar="SECONDS",
                        help="the worker's passes once each SECONDS, as production's ticker sends them (1.0),"
                             " rather than one after the other while they find work")
    parser.add_argument("--round-trips", action="store_true",
                        help="also count the API's and the worker's statements to PostgreSQL and commands to Redis"
                             " per paid order; the counting costs them 4-7 %% of their CPU: for the counts, not the"
                             " CPU figures")
    parser.add_argument("--worker-loop", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big:
        args.seats, args.buyers = 10_000, 20_000
    if args.worker_loop:
        uvloop.run(_worker_loop(args.mail, args.worker_every))  # libuv's loop, as `lml worker` runs it
        return
    with ExitStack() as stack:
        sink = _mail_sink(stack) if args.mail else None
        settings = _settings(stack, sink.url if sink else None)
        if args.explain:
            statement_plans.log_plans(settings.migrate_database_url)
            log_from = statement_plans.log_offset()
        work = Path(stack.enter_context(services.workdir()))
        probes = {"api": work / "probe-api", "worker": work / "probe-worker"} if args.round_trips else {}

        def env(role: str) -> dict[str, str]:
            return {**_env(settings), **(probe_env(probes[role]) if role in probes else {})}

        # The API in a process of its own, as in production: the load and the worker stay here.
        api = stack.enter_context(serve_api(settings, workers=args.api_workers, log=work / "lml-serve.log",
                                            extra_env=env("api")))
        worker_pid = stack.enter_context(_worker_process(args.mail, args.worker_every, env("worker")))
        emulator_port = settings.stripe_api_base.rsplit(":", 1)[1]
        accounting = Accounting(settings, {
            "api": api.pids, "worker": lambda: [worker_pid],
            "stripe emulator": lambda: pgrep(f"localstripe_in_memory.py --port {emulator_port}"),
            "load generator": lambda: [os.getpid()]}, probes)
        result = asyncio.run(run(settings, api, args, worker_pid, sink, accounting))
        if args.explain:
            result["plans"] = [msgspec.to_builtins(plan) for plan in
                               statement_plans.plans(settings.migrate_database_url, log_from)]
    print(json.dumps(result, indent=2))
    sys.exit(0 if all(result.get(part, {"ok": True})["ok"] for part in ("integrity", "mail", "cancellation")) else 1)


if __name__ == "__main__":
    main()
