"""The transactional outbox: events written with the change that caused them, relayed at least once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from lml.config import Settings
from lml.platform.db import Database, UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent, OutboxRelay, add_event, event_type_of
from lml.platform.resources import Resources


class SeatsReleased(msgspec.Struct, frozen=True):
    show_id: str
    seats: list[str]


class TicketIssued(msgspec.Struct, frozen=True):
    ticket_id: int


RELEASED = event_type_of(SeatsReleased("s", []))
ISSUED = event_type_of(TicketIssued(0))


class SteppedClock:
    """Starts a little ahead of the database's `now()` (rows are due at once) and moves only when told."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC) + timedelta(seconds=1)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def db(resources: Resources) -> Database:
    return resources.db


async def add(db: Database, *events: msgspec.Struct) -> None:
    async with db.unit_of_work() as uow:
        for event in events:
            await add_event(uow, event)
        await uow.commit()


async def rows(db: Database) -> list[dict[str, Any]]:
    async with db.unit_of_work() as uow:
        return await (await uow.conn.execute("SELECT * FROM platform.outbox ORDER BY id")).fetchall()


def recorder(into: list[OutboxEvent]) -> Handler:
    async def handle(event: OutboxEvent, uow: UnitOfWork) -> None:
        into.append(event)

    return handle


async def failing(event: OutboxEvent, uow: UnitOfWork) -> None:
    raise ConnectionError("mailer unreachable")


def test_an_event_type_names_its_context_and_class() -> None:
    assert event_type_of(SeatsReleased("s", [])) == "tests.SeatsReleased"
    # What a context's events module gives: lml.seating.events.SeatsReleased → seating.SeatsReleased
    assert event_type_of(type("SeatsReleased", (msgspec.Struct,), {"__module__": "lml.seating.events"})()) == (
        "seating.SeatsReleased"
    )


async def test_an_event_is_written_only_if_its_unit_of_work_commits(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await add_event(uow, SeatsReleased("show-1", ["A-1"]))
    assert await rows(db) == []

    await add(db, SeatsReleased("show-1", ["A-1", "A-2"]))

    (row,) = await rows(db)
    assert (row["event_type"], row["payload"], row["status"], row["attempts"]) == (
        RELEASED, {"show_id": "show-1", "seats": ["A-1", "A-2"]}, "pending", 0
    )


async def test_the_relay_delivers_to_every_handler_of_the_type_and_marks_done(
    db: Database, clock: SteppedClock
) -> None:
    first: list[OutboxEvent] = []
    second: list[OutboxEvent] = []
    relay = OutboxRelay(db, clock, {RELEASED: [recorder(first), recorder(second)]})
    await add(db, SeatsReleased("show-1", ["A-1"]), TicketIssued(7))

    assert await relay.relay_batch() == 2

    assert [e.payload for e in first] == [e.payload for e in second] == [{"show_id": "show-1", "seats": ["A-1"]}]
    assert [(r["status"], r["attempts"], r["last_error"]) for r in await rows(db)] == [
        ("done", 1, None), ("done", 1, None)  # an event nobody listens to is done too
    ]
    assert all(r["processed_at"] == clock.now() for r in await rows(db))
    assert await relay.relay_batch() == 0
    assert len(first) == 1


async def test_a_failing_handler_is_retried_with_growing_jittered_backoff_then_dead(
    db: Database, clock: SteppedClock
) -> None:
    relay = OutboxRelay(db, clock, {RELEASED: [failing]}, max_attempts=4)
    await add(db, SeatsReleased("show-1", ["A-1"]))
    delays = []

    for attempt in range(1, 5):
        assert await relay.relay_batch() == 1
        (row,) = await rows(db)
        assert row["attempts"] == attempt
        assert row["last_error"] == "ConnectionError: mailer unreachable"
        if attempt < 4:
            assert row["status"] == "pending"
            delays.append((row["next_attempt_at"] - clock.now()).total_seconds())
            # Not due before its time.
            assert await relay.relay_batch() == 0
            clock.advance(row["next_attempt_at"] - clock.now())

    (row,) = await rows(db)
    assert row["status"] == "dead"
    # Full jitter between 1 s and 2^(attempt-1) s.
    assert delays[0] == 1.0
    assert 1.0 <= delays[1] <= 2.0
    assert 1.0 <= delays[2] <= 4.0
    clock.advance(timedelta(days=1))
    assert await relay.relay_batch() == 0


async def test_a_dead_event_is_listed_and_retry_dead_requeues_it(db: Database, clock: SteppedClock) -> None:
    await add(db, SeatsReleased("show-1", ["A-1"]))
    await OutboxRelay(db, clock, {RELEASED: [failing]}, max_attempts=1).relay_batch()
    delivered: list[OutboxEvent] = []
    relay = OutboxRelay(db, clock, {RELEASED: [recorder(delivered)]}, max_attempts=1)

    (dead,) = await relay.dead_events()
    assert (dead.event_type, dead.attempts, dead.last_error) == (RELEASED, 1, "ConnectionError: mailer unreachable")
    assert await relay.retry_dead(dead.id) is True
    assert await relay.retry_dead(dead.id) is False  # no longer dead
    assert await relay.retry_dead(dead.id + 1000) is False
    assert await relay.relay_batch() == 1

    assert [e.id for e in delivered] == [dead.id]
    assert [(r["status"], r["last_error"]) for r in await rows(db)] == [("done", None)]
    assert await relay.dead_events() == []


async def test_a_failed_delivery_rolls_back_the_handlers_writes_but_not_the_other_events(
    db: Database, clock: SteppedClock
) -> None:
    async def issue_then_fail(event: OutboxEvent, uow: UnitOfWork) -> None:
        await add_event(uow, TicketIssued(event.payload["seats"].index("A-1")))
        if event.payload["show_id"] == "bad":
            raise ValueError("no such show")

    relay = OutboxRelay(db, clock, {RELEASED: [issue_then_fail]})
    await add(db, SeatsReleased("bad", ["A-1"]), SeatsReleased("good", ["A-1"]))

    assert await relay.relay_batch() == 2

    assert [(r["event_type"], r["status"], r["last_error"]) for r in await rows(db)] == [
        (RELEASED, "pending", "ValueError: no such show"),
        (RELEASED, "done", None),
        (ISSUED, "pending", None),  # written by the good delivery only
    ]


async def test_two_relays_racing_deliver_each_event_exactly_once(
    settings: Settings, db: Database, clock: SteppedClock
) -> None:
    deliveries: list[int] = []

    async def count(event: OutboxEvent, uow: UnitOfWork) -> None:
        deliveries.append(event.payload["ticket_id"])
        await asyncio.sleep(0)  # let the other relay run in between

    await add(db, *(TicketIssued(n) for n in range(300)))
    other = Database(msgspec.structs.replace(settings, db_pool_min=1, db_pool_max=2))
    await other.open()
    relays = [OutboxRelay(db, clock, {ISSUED: [count]}), OutboxRelay(other, clock, {ISSUED: [count]})]

    async def drain(relay: OutboxRelay) -> int:
        claimed = 0
        while (batch := await relay.relay_batch(limit=7)) > 0:
            claimed += batch
        return claimed

    try:
        claimed = await asyncio.gather(*(drain(relay) for relay in relays))
    finally:
        await other.close()

    assert sorted(deliveries) == list(range(300))
    assert sum(claimed) == 300
    assert all(n > 0 for n in claimed), claimed  # both really took part
    assert {r["status"] for r in await rows(db)} == {"done"}
