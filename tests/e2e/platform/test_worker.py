"""The worker: Dramatiq on Redis, whose periodic tick relays the outbox to the registered handlers."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import msgspec
import uvloop

from lml.config import Settings
from lml.platform.db import UnitOfWork
from lml.platform.outbox import OutboxEvent, add_event, event_type_of
from lml.platform.resources import Resources
from lml.worker import Worker
from tests.fixtures.processes import running
from tests.timing import eventually


class DoorsOpened(msgspec.Struct, frozen=True):
    show_id: str


DOORS_OPENED = event_type_of(DoorsOpened(""))


async def status_of(resources: Resources, event_id: int) -> str:
    async with resources.db.unit_of_work() as uow:
        row = await (await uow.conn.execute("SELECT status FROM platform.outbox WHERE id = %s", (event_id,))).fetchone()
    assert row is not None
    return str(row["status"])


async def publish(resources: Resources, event: msgspec.Struct) -> int:
    async with resources.db.unit_of_work() as uow:
        await add_event(uow, event)
        await uow.commit()
        # The event is written with the commit.
        row = await (await uow.conn.execute("SELECT max(id) AS id FROM platform.outbox")).fetchone()
    assert row is not None
    return int(row["id"])


async def test_a_committed_event_is_delivered_by_the_workers_periodic_relay(
    settings: Settings, resources: Resources
) -> None:
    delivered: list[dict[str, Any]] = []
    loops: list[asyncio.AbstractEventLoop] = []

    async def on_doors_opened(event: OutboxEvent, uow: UnitOfWork) -> None:
        delivered.append(event.payload)
        loops.append(asyncio.get_running_loop())

    with running(Worker(settings, threads=2, handlers={DOORS_OPENED: [on_doors_opened]})) as worker:
        event_id = await publish(resources, DoorsOpened("show-42"))

        async def done() -> bool:
            return await status_of(resources, event_id) == "done"

        await eventually(done)

    assert delivered == [{"show_id": "show-42"}]
    assert isinstance(loops[0], uvloop.Loop)  # libuv's loop, as the API's
    assert ("relay_outbox", 1.0) in worker.periodic


async def test_a_message_in_flight_finishes_before_the_worker_stops(settings: Settings) -> None:
    started = threading.Event()
    finished: list[str] = []

    worker = Worker(settings, threads=2, handlers={})

    async def slow_job(order_id: str) -> None:
        started.set()
        await asyncio.sleep(0.5)  # slow work, under way when the stop is asked for
        async with worker.resources.db.unit_of_work() as uow:  # connections are still open
            await uow.conn.execute("SELECT 1")
        finished.append(order_id)

    slow = worker.actor("test_slow_job", slow_job)
    with running(worker):
        slow.send("order-7")

        async def job_started() -> bool:
            return started.is_set()

        await eventually(job_started)
        worker.request_stop()
        assert finished == []
    # `running` has joined the worker: the stop waited for the job, then closed the connections.

    assert finished == ["order-7"]


async def test_messages_waiting_when_the_worker_starts_find_its_connections_open(settings: Settings) -> None:
    # Dramatiq starts its worker threads before its `after_worker_boot` hooks: connections opened
    # there came too late for the messages already queued, which failed ("the pool is not open yet").
    worker = Worker(settings, threads=4, handlers={})
    pool_closed: list[bool] = []

    async def probe() -> None:
        pool_closed.append(worker.resources.db.pool.closed)

    probe_actor = worker.actor("test_boot_probe", probe)
    for _ in range(20):
        probe_actor.send()
    with running(worker):
        async def all_processed() -> bool:
            return len(pool_closed) >= 20

        await eventually(all_processed)

    assert pool_closed == [False] * 20
