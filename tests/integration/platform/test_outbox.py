"""The transactional outbox: events written with the change that caused them, relayed at least once."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import psycopg
import pytest

from lml.config import Settings
from lml.platform.db import Database, UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent, OutboxRelay, OutsideTransaction, add_event, event_type_of
from lml.platform.resources import Resources
from tests.timing import TestClock, eventually, waiting_for_a_lock


class SeatsReleased(msgspec.Struct, frozen=True):
    show_id: str
    seats: list[str]


class TicketIssued(msgspec.Struct, frozen=True):
    ticket_id: int


class Slow(msgspec.Struct, frozen=True):
    pass


RELEASED = event_type_of(SeatsReleased("s", []))
ISSUED = event_type_of(TicketIssued(0))
SLOW = event_type_of(Slow())


@pytest.fixture
def clock() -> TestClock:
    """A little ahead of the database's `now()` (rows are due at once), moving only when told."""
    return TestClock(start=datetime.now(UTC) + timedelta(seconds=1))


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
    db: Database, clock: TestClock
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
    db: Database, clock: TestClock
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


async def test_a_dead_event_is_listed_and_retry_dead_requeues_it(db: Database, clock: TestClock) -> None:
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
    db: Database, clock: TestClock
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
    settings: Settings, db: Database, clock: TestClock
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


async def test_an_event_delivered_stays_delivered_when_a_later_one_of_the_batch_dies(
    settings: Settings, clock: TestClock
) -> None:
    """Each event commits on its own: a handler that outlives the session's idle-in-transaction limit
    loses only its own delivery, never those before or after it in the same batch."""
    impatient = Database(msgspec.structs.replace(settings, db_idle_in_transaction_timeout_ms=300))
    await impatient.open()
    deliveries: list[int] = []
    slow = {1}

    async def deliver(event: OutboxEvent, uow: UnitOfWork) -> None:
        deliveries.append(event.payload["ticket_id"])
        if event.payload["ticket_id"] in slow:
            slow.clear()
            await asyncio.sleep(0.8)  # a remote call that takes too long, while the transaction waits
            await uow.conn.execute("SELECT 1")

    try:
        await add(impatient, TicketIssued(0), TicketIssued(1), TicketIssued(2))
        relay = OutboxRelay(impatient, clock, {ISSUED: [deliver]})
        assert await relay.relay_batch() == 3
        states = {r["payload"]["ticket_id"]: (r["status"], r["attempts"]) for r in await rows(impatient)}
        assert states == {0: ("done", 1), 1: ("pending", 1), 2: ("done", 1)}
        clock.advance(timedelta(minutes=5))
        assert await relay.relay_batch() == 1
        assert sorted(deliveries) == [0, 1, 1, 2]
        assert {r["status"] for r in await rows(impatient)} == {"done"}
    finally:
        await impatient.close()


async def test_no_lock_taken_by_a_delivery_is_held_while_the_next_event_is_delivered(
    db: Database, clock: TestClock
) -> None:
    """A handler locks what it changes (an order, say); that lock must be gone before the relay
    moves on to another event, whose handler may wait on a remote service for seconds."""
    await add(db, SeatsReleased("show-1", ["A-1"]))
    (locked_row,) = await rows(db)
    second_started, finish_second = asyncio.Event(), asyncio.Event()

    async def lock_something(event: OutboxEvent, uow: UnitOfWork) -> None:
        await uow.conn.execute("SELECT 1 FROM platform.outbox WHERE id = %s FOR UPDATE", (locked_row["id"],))

    async def call_remote_service(event: OutboxEvent, uow: UnitOfWork) -> None:
        second_started.set()
        await finish_second.wait()

    relay = OutboxRelay(db, clock, {ISSUED: [lock_something], SLOW: [call_remote_service]})
    async with db.unit_of_work() as uow:
        await uow.conn.execute("UPDATE platform.outbox SET status = 'done' WHERE id = %s", (locked_row["id"],))
        await add_event(uow, TicketIssued(1))
        await add_event(uow, Slow())
        await uow.commit()
    relaying = asyncio.create_task(relay.relay_batch())
    await asyncio.wait_for(second_started.wait(), timeout=10)
    try:
        async with db.unit_of_work() as uow:
            await uow.conn.execute("SET LOCAL lock_timeout = '200ms'")
            await uow.conn.execute("SELECT 1 FROM platform.outbox WHERE id = %s FOR UPDATE", (locked_row["id"],))
    finally:
        finish_second.set()
        assert await relaying == 2


async def test_a_claimed_event_whose_row_another_relay_is_looking_at_is_still_delivered_at_once(
    settings: Settings, db: Database, resources: Resources, clock: TestClock
) -> None:
    # Another relay's claim locks the rows it scans for a moment, this one's claimed rows included (it
    # then finds them leased and leaves them). A delivery that meets that lock must wait for it, not
    # take the row for someone else's: the event would wait out its two-minute lease undelivered.
    delivered: list[OutboxEvent] = []
    await add(db, TicketIssued(1))
    relay = OutboxRelay(db, clock, {ISSUED: [recorder(delivered)]})
    [(event, lease)] = await relay._claim(1)

    blocker = await psycopg.AsyncConnection.connect(settings.database_url)
    try:
        await blocker.execute("SELECT 1 FROM platform.outbox WHERE id = %s FOR UPDATE", (event.id,))
        delivery = asyncio.create_task(relay._deliver(event, lease))
        await eventually(lambda: waiting_for_a_lock(resources, "transactionid"), what="the delivery waiting")
        await blocker.rollback()
        await delivery
    finally:
        await blocker.close()

    assert [e.id for e in delivered] == [event.id]
    assert {r["status"] for r in await rows(db)} == {"done"}


async def killed_while_delivering(relay: OutboxRelay, delivering: asyncio.Event) -> None:
    """`relay` runs a batch until a handler sets `delivering`, and is then killed (its worker ended)."""
    dying = asyncio.create_task(relay.relay_batch())
    await asyncio.wait_for(delivering.wait(), timeout=10)
    dying.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await dying


async def claimed_before_and_after_the_lease(relay: OutboxRelay, clock: TestClock, lease: timedelta) -> tuple[int, int]:
    """What `relay` claims a second before a claim made now runs out, and a second after."""
    clock.advance(lease - timedelta(seconds=1))
    before = await relay.relay_batch()
    clock.advance(seconds=2)
    return before, await relay.relay_batch()


async def test_events_claimed_by_a_relay_that_died_are_delivered_by_another_once_its_claim_lease_ran_out(
    db: Database, clock: TestClock
) -> None:
    lease = timedelta(seconds=10)
    await add(db, TicketIssued(1), TicketIssued(2))
    delivering, never = asyncio.Event(), asyncio.Event()

    async def hang(event: OutboxEvent, uow: UnitOfWork) -> None:
        delivering.set()
        await never.wait()

    # The first relay claims both and dies delivering the first (a worker killed: its transaction
    # rolls back, its claim stays).
    await killed_while_delivering(OutboxRelay(db, clock, {ISSUED: [hang]}, claim_lease=lease), delivering)
    delivered: list[OutboxEvent] = []
    other = OutboxRelay(db, clock, {ISSUED: [recorder(delivered)]}, claim_lease=lease)

    assert await claimed_before_and_after_the_lease(other, clock, lease) == (0, 2)
    assert sorted(e.payload["ticket_id"] for e in delivered) == [1, 2]


def outside_recorder(into: list[OutboxEvent]) -> OutsideTransaction:
    async def handle(event: OutboxEvent) -> None:
        into.append(event)

    return OutsideTransaction(handle)


async def test_events_handled_outside_a_transaction_are_delivered_in_order_with_the_others_and_marked_done(
    db: Database, clock: TestClock
) -> None:
    order: list[int] = []

    async def outside(event: OutboxEvent) -> None:
        order.append(event.id)

    async def inside(event: OutboxEvent, uow: UnitOfWork) -> None:
        order.append(event.id)

    relay = OutboxRelay(db, clock, {RELEASED: [OutsideTransaction(outside)], ISSUED: [inside]})
    await add(db, SeatsReleased("show-1", ["A-1"]), TicketIssued(1), SeatsReleased("show-1", ["A-2"]))

    assert await relay.relay_batch() == 3

    assert order == [r["id"] for r in await rows(db)]
    assert [(r["status"], r["attempts"], r["processed_at"]) for r in await rows(db)] == [("done", 1, clock.now())] * 3
    assert await relay.relay_batch() == 0


async def test_a_failing_event_of_a_batch_outside_transactions_is_retried_and_the_others_are_done(
    db: Database, clock: TestClock
) -> None:
    delivered: list[OutboxEvent] = []
    broken = {"bad"}

    async def deliver(event: OutboxEvent) -> None:
        if event.payload["show_id"] in broken:
            raise ConnectionError("redis unreachable")
        delivered.append(event)

    relay = OutboxRelay(db, clock, {RELEASED: [OutsideTransaction(deliver)]})
    await add(db, SeatsReleased("good-1", ["A-1"]), SeatsReleased("bad", ["A-1"]), SeatsReleased("good-2", ["A-1"]))

    assert await relay.relay_batch() == 3

    assert [(r["payload"]["show_id"], r["status"], r["attempts"], r["last_error"]) for r in await rows(db)] == [
        ("good-1", "done", 1, None),
        ("bad", "pending", 1, "ConnectionError: redis unreachable"),
        ("good-2", "done", 1, None),
    ]
    broken.clear()
    assert await relay.relay_batch() == 0  # not due before its backoff
    clock.advance(seconds=1)
    assert await relay.relay_batch() == 1
    assert [e.payload["show_id"] for e in delivered] == ["good-1", "good-2", "bad"]
    assert {(r["status"], r["last_error"]) for r in await rows(db)} == {("done", None)}


async def test_a_relay_dying_in_a_batch_outside_transactions_loses_nothing(db: Database, clock: TestClock) -> None:
    lease = timedelta(seconds=10)
    await add(db, TicketIssued(1), TicketIssued(2), TicketIssued(3))
    first: list[OutboxEvent] = []
    delivering, never = asyncio.Event(), asyncio.Event()

    async def hang_at_the_second(event: OutboxEvent) -> None:
        if event.payload["ticket_id"] == 2:
            delivering.set()
            await never.wait()
        first.append(event)

    # The first relay delivers the first event, then dies in the second's handler, before the batch's
    # events are marked done.
    await killed_while_delivering(
        OutboxRelay(db, clock, {ISSUED: [OutsideTransaction(hang_at_the_second)]}, claim_lease=lease), delivering)
    assert [e.payload["ticket_id"] for e in first] == [1]
    assert {r["status"] for r in await rows(db)} == {"pending"}

    delivered: list[OutboxEvent] = []
    other = OutboxRelay(db, clock, {ISSUED: [outside_recorder(delivered)]}, claim_lease=lease)
    assert await claimed_before_and_after_the_lease(other, clock, lease) == (0, 3)
    # At least once: the first event again, too.
    assert [e.payload["ticket_id"] for e in delivered] == [1, 2, 3]
    assert {(r["status"], r["attempts"]) for r in await rows(db)} == {("done", 1)}


async def test_an_event_outside_transactions_whose_lease_ran_out_is_left_to_the_relay_that_took_it_over(
    db: Database, clock: TestClock
) -> None:
    lease = timedelta(seconds=10)
    await add(db, TicketIssued(1), TicketIssued(2))
    slow_delivered: list[int] = []

    async def outlive_the_lease(event: OutboxEvent) -> None:
        slow_delivered.append(event.payload["ticket_id"])
        clock.advance(lease)  # the first delivery takes the whole lease

    assert await OutboxRelay(db, clock, {ISSUED: [OutsideTransaction(outlive_the_lease)]},
                             claim_lease=lease).relay_batch() == 2

    # The second event was not touched: its lease had run out, another relay may have it.
    assert slow_delivered == [1]
    assert [(r["payload"]["ticket_id"], r["status"]) for r in await rows(db)] == [(1, "done"), (2, "pending")]
    delivered: list[OutboxEvent] = []
    assert await OutboxRelay(db, clock, {ISSUED: [outside_recorder(delivered)]}).relay_batch() == 1
    assert [e.payload["ticket_id"] for e in delivered] == [2]
