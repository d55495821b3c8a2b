"""The transactional outbox: record an integration event with the change that caused it,
then relay it to its handlers at least once (claimed with SKIP LOCKED, retried with backoff)."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from lml.platform.clock import Clock
from lml.platform.db import Database, UnitOfWork
from lml.platform.logging import get_logger

log = get_logger("lml.outbox")


class OutboxEvent(msgspec.Struct, frozen=True):
    id: int
    event_type: str
    payload: dict[str, Any]
    attempts: int


class DeadEvent(msgspec.Struct, frozen=True):
    """An event that failed `max_attempts` times: kept for an operator to read and retry."""

    id: int
    event_type: str
    payload: dict[str, Any]
    attempts: int
    last_error: str | None
    created_at: datetime


# A handler runs inside the relay's transaction: its database writes commit together with
# the event being marked done. Side effects elsewhere (Redis, Stripe) must be idempotent.
Handler = Callable[[OutboxEvent, UnitOfWork], Awaitable[None]]


def event_type_of(event: msgspec.Struct) -> str:
    """`lml.identity.events.UserRegistered` → `identity.UserRegistered`."""
    module = type(event).__module__.split(".")
    context = module[1] if len(module) > 1 and module[0] == "lml" else module[0]
    return f"{context}.{type(event).__name__}"


async def add_event(uow: UnitOfWork, event: msgspec.Struct) -> None:
    """Record an integration event inside the caller's unit of work."""
    await uow.conn.execute(
        "INSERT INTO platform.outbox (event_type, payload) VALUES (%s, %s)",
        (event_type_of(event), Jsonb(msgspec.to_builtins(event))),
    )


def backoff(attempts: int, *, base: float = 1.0, cap: float = 3600.0) -> timedelta:
    """Exponential backoff with full jitter: uniform in [base, base·2^(attempts-1)], capped."""
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(min(base, ceiling), ceiling))


class OutboxRelay:
    def __init__(
        self, db: Database, clock: Clock, handlers: Mapping[str, list[Handler]], *, max_attempts: int = 10
    ) -> None:
        self.db = db
        self.clock = clock
        self.handlers = handlers
        self.max_attempts = max_attempts

    async def relay_batch(self, limit: int = 50) -> int:
        """Deliver up to `limit` due events; returns how many were claimed."""
        async with self.db.unit_of_work() as uow:
            rows = await (
                await uow.conn.execute(
                    """
                    SELECT id, event_type, payload, attempts FROM platform.outbox
                    WHERE status = 'pending' AND next_attempt_at <= %s
                    ORDER BY next_attempt_at, id
                    LIMIT %s
                    FOR UPDATE SKIP LOCKED
                    """,
                    (self.clock.now(), limit),
                )
            ).fetchall()
            for row in rows:
                await self._deliver(uow, OutboxEvent(**row))
            await uow.commit()
        return len(rows)

    async def _deliver(self, uow: UnitOfWork, event: OutboxEvent) -> None:
        try:
            async with uow.conn.transaction():  # a savepoint: a failing handler undoes only its own writes
                for handler in self.handlers.get(event.event_type, []):
                    await handler(event, uow)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            attempts = event.attempts + 1
            dead = attempts >= self.max_attempts
            log.warning("outbox_delivery_failed", event_id=event.id, event_type=event.event_type,
                        attempts=attempts, dead=dead, error=type(exc).__name__)
            await uow.conn.execute(
                """
                UPDATE platform.outbox
                SET attempts = %s, last_error = %s, status = %s, next_attempt_at = %s
                WHERE id = %s
                """,
                (attempts, f"{type(exc).__name__}: {exc}"[:2000], "dead" if dead else "pending",
                 self.clock.now() + backoff(attempts), event.id),
            )
            return
        await uow.conn.execute(
            "UPDATE platform.outbox SET status = 'done', attempts = attempts + 1, processed_at = %s, last_error = NULL"
            " WHERE id = %s",
            (self.clock.now(), event.id),
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
