"""The transactional outbox: record an integration event with the change that caused it,
then relay it to its handlers at least once (claimed with SKIP LOCKED, retried with backoff)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec

from lml.platform.backlog import Figure, queue_figures
from lml.platform.backoff import backoff
from lml.platform.clock import Clock
from lml.platform.db import Database, Statement, UnitOfWork
from lml.platform.logging import get_logger
from lml.platform.tracing.spans import continued, current_traceparent, mark_failed

log = get_logger("lml.outbox")


class OutboxEvent(msgspec.Struct, frozen=True):
    id: int
    event_type: str
    payload: dict[str, Any]
    attempts: int
    # The trace the event was recorded in (W3C traceparent): its delivery continues it.
    trace_context: str | None = None


class DeadEvent(msgspec.Struct, frozen=True):
    """An event that failed `max_attempts` times: kept for an operator to read and retry."""

    id: int
    event_type: str
    payload: dict[str, Any]
    attempts: int
    last_error: str | None
    created_at: datetime


# A handler runs inside the transaction that delivers its event: its database writes commit together
# with the event being marked done, or not at all. Side effects elsewhere (Redis, Stripe) must be
# idempotent: an event is delivered at least once.
Handler = Callable[[OutboxEvent, UnitOfWork], Awaitable[None]]


class OutsideTransaction:
    """A handler whose work is all outside the delivery's transaction (Redis, the broker, Stripe, or a
    transaction of its own). An event whose handlers are all of this kind (or that has none) needs no
    transaction of its own: the relay runs its handlers, then marks it done with the others of its
    batch in one statement. Still a `Handler`, called with the unit of work it does not use."""

    __slots__ = ("run",)

    def __init__(self, run: Callable[[OutboxEvent], Awaitable[None]]) -> None:
        self.run = run

    async def __call__(self, event: OutboxEvent, uow: UnitOfWork) -> None:
        await self.run(event)


def event_type_of(event: msgspec.Struct) -> str:
    """`lml.identity.events.UserRegistered` → `identity.UserRegistered`."""
    module = type(event).__module__.split(".")
    context = module[1] if len(module) > 1 and module[0] == "lml" else module[0]
    return f"{context}.{type(event).__name__}"


async def add_event(uow: UnitOfWork, event: msgspec.Struct) -> None:
    """Record an integration event inside the caller's unit of work (and the trace it is part of).
    Written with the unit of work's COMMIT, in its round trip: nothing reads an event back in the
    transaction that records it."""
    uow.write_with_commit((
        "INSERT INTO platform.outbox (event_type, payload, trace_context) VALUES (%s, %s::jsonb, %s)",
        (event_type_of(event), msgspec.json.encode(event).decode(), current_traceparent()),
    ))


# How long a claimed event is left to the relay that claimed it: past this, another relay may take
# it (the first one died). A batch is delivered well within it: one remote call per event at most.
CLAIM_LEASE = timedelta(minutes=2)


class OutboxRelay:
    """Claims due events in a short transaction of its own, then delivers them in order: an event with
    a handler that works in the delivery's transaction in a transaction of its own (a handler's locks,
    an order's row say, are released before the next event is delivered, and one slow or failing
    delivery never undoes another); the others without one, marked done together once the batch is
    through (see `_deliver_outside`)."""

    def __init__(
        self, db: Database, clock: Clock, handlers: Mapping[str, list[Handler]], *, max_attempts: int = 10,
        claim_lease: timedelta = CLAIM_LEASE,
    ) -> None:
        self.db = db
        self.clock = clock
        self.handlers = handlers
        self.max_attempts = max_attempts
        self.claim_lease = claim_lease

    async def relay_batch(self, limit: int = 20) -> int:
        """Deliver up to `limit` due events; returns how many were claimed."""
        claimed = await self._claim(limit)
        delivered: list[int] = []
        for event, lease in claimed:
            with continued(event.trace_context, f"outbox deliver {event.event_type}",
                           attributes={"lml.outbox.event_id": event.id, "lml.outbox.event_type": event.event_type}):
                handlers = self.handlers.get(event.event_type, [])
                outside = [handler for handler in handlers if isinstance(handler, OutsideTransaction)]
                if len(outside) == len(handlers):
                    if await self._deliver_outside(event, lease, outside):
                        delivered.append(event.id)
                else:
                    await self._deliver(event, lease)
        if delivered:
            # One claim, one lease for the whole batch.
            await self._mark_done(delivered, claimed[0][1])
        return len(claimed)

    async def _claim(self, limit: int) -> list[tuple[OutboxEvent, datetime]]:
        now = self.clock.now()
        lease = now + self.claim_lease
        rows = await self.db.run_alone(
            """
            UPDATE platform.outbox SET next_attempt_at = %s
            WHERE id IN (
                SELECT id FROM platform.outbox
                WHERE status = 'pending' AND next_attempt_at <= %s
                ORDER BY next_attempt_at, id
                LIMIT %s
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id, event_type, payload, attempts, trace_context
            """,
            (lease, now, limit),
        )
        return sorted(((OutboxEvent(**row), lease) for row in rows), key=lambda claimed: claimed[0].id)

    async def _deliver(self, event: OutboxEvent, lease: datetime) -> None:
        try:
            # Still ours: neither delivered meanwhile nor taken by another relay after the lease ran out.
            # Marked done at once (in the transaction's first round trip), which locks the row while the
            # handlers run; the mark stands only if they all succeed and the transaction commits. The
            # lock is waited for, not skipped: another relay's claim locks the rows it scans for a moment
            # (this one included, before it finds it leased), and skipping would leave the event
            # undelivered until its lease ran out. A relay that took the event over holds it while it
            # delivers; this one then finds the lease changed (or gives up at the lock timeout, which
            # changes nothing).
            async with self.db.unit_of_work(first=self._marked_done([event.id], lease)) as uow:
                if not uow.first_rows:
                    return
                for handler in self.handlers.get(event.event_type, []):
                    await handler(event, uow)
                await uow.commit()
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            # In a transaction of its own: the delivery's may be gone with its connection.
            await self._record_failure(event, lease, exc)

    async def _deliver_outside(self, event: OutboxEvent, lease: datetime, handlers: list[OutsideTransaction]) -> bool:
        """Run the handlers of an event that needs no transaction; True when they all succeeded, and
        the event is to be marked done (`_mark_done`). Until then it stays pending under the batch's
        lease: a relay that dies before the mark leaves it to be delivered again once the lease has
        run out (at least once), never lost. A lease that ran out meanwhile is left alone, as
        `_deliver` leaves one: another relay may be delivering the event."""
        if self.clock.now() >= lease:
            return False
        try:
            for handler in handlers:
                await handler.run(event)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            await self._record_failure(event, lease, exc)
            return False
        return True

    async def _mark_done(self, event_ids: list[int], lease: datetime) -> None:
        """The events delivered outside a transaction, marked done in one statement; those whose lease
        another relay took over meanwhile are left to it (it delivers them again: at least once)."""
        await self.db.run_alone(*self._marked_done(event_ids, lease))

    def _marked_done(self, event_ids: list[int], lease: datetime) -> Statement:
        """The statement marking the events done, those still pending under `lease` (a row each)."""
        return ("UPDATE platform.outbox SET status = 'done', attempts = attempts + 1, processed_at = %s,"
                " last_error = NULL WHERE id = ANY(%s) AND status = 'pending' AND next_attempt_at = %s"
                " RETURNING 1", (self.clock.now(), event_ids, lease))

    async def _record_failure(self, event: OutboxEvent, lease: datetime, exc: Exception) -> None:
        attempts = event.attempts + 1
        dead = attempts >= self.max_attempts
        mark_failed(exc)
        log.warning("outbox_delivery_failed", event_id=event.id, event_type=event.event_type,
                    attempts=attempts, dead=dead, error=type(exc).__name__)
        await self.db.run_alone(
            """
            UPDATE platform.outbox
            SET attempts = %s, last_error = %s, status = %s, next_attempt_at = %s
            WHERE id = %s AND status = 'pending' AND next_attempt_at = %s
            """,
            (attempts, f"{type(exc).__name__}: {exc}"[:2000], "dead" if dead else "pending",
             self.clock.now() + backoff(attempts), event.id, lease),
        )

    async def dead_events(self, limit: int = 100) -> list[DeadEvent]:
        async with self.db.unit_of_work() as uow:
            rows = await (
                await uow.conn.execute(
                    "SELECT id, event_type, payload, attempts, last_error, created_at FROM platform.outbox"
                    " WHERE status = 'dead' ORDER BY id LIMIT %s",
                    (limit,),
                )
            ).fetchall()
        return [DeadEvent(**row) for row in rows]

    async def retry_dead(self, event_id: int) -> bool:
        """Give a dead event a fresh set of attempts; False when it is not dead (or does not exist)."""
        async with self.db.unit_of_work() as uow:
            cur = await uow.conn.execute(
                "UPDATE platform.outbox SET status = 'pending', attempts = 0, next_attempt_at = %s"
                " WHERE id = %s AND status = 'dead'",
                (self.clock.now(), event_id),
            )
            await uow.commit()
            return cur.rowcount == 1



async def outbox_backlog(db: Database, clock: Clock) -> list[Figure]:
    """Events waiting for delivery (those retried later too), the age of the oldest, the dead ones;
    each read through one of the table's partial indexes."""
    async with db.unit_of_work() as uow:
        row = await (
            await uow.conn.execute(
                "SELECT (SELECT count(*) FROM platform.outbox WHERE status = 'pending') AS pending,"
                " (SELECT min(created_at) FROM platform.outbox WHERE status = 'pending') AS oldest,"
                " (SELECT count(*) FROM platform.outbox WHERE status = 'dead') AS dead"
            )
        ).fetchone()
    if row is None:
        raise RuntimeError("a SELECT without FROM returned no row")
    return queue_figures("outbox", "outbox events", pending=row["pending"], oldest=row["oldest"], dead=row["dead"],
                         now=clock.now())
