"""The EventInbox port on PostgreSQL (`payments.stripe_events`). An event is stored with the trace it
arrived in (the webhook request's), which its processing continues."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb

from lml.payments.domain.inbox import EventSource, InboxEntry, InboxStatus
from lml.payments.domain.stripe_events import StripeEvent
from lml.platform.db import Database, UnitOfWork
from lml.platform.tracing.spans import current_traceparent

_SELECT = """
    SELECT event_id, seq, event_type, source, payload, status, attempts, next_attempt_at, received_at, last_error,
           note, stripe_created_at, processed_at, trace_context
    FROM payments.stripe_events
"""

_INSERT = """
    INSERT INTO payments.stripe_events
        (event_id, event_type, source, payload, status, note, stripe_created_at, processed_at, trace_context)
    VALUES (%s, %s, %s, %s, %s, %s, %s, CASE WHEN %s = 'pending' THEN NULL ELSE now() END, %s)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
"""


def _inserted(event: StripeEvent, source: EventSource, status: InboxStatus, note: str | None) -> tuple[Any, ...]:
    created = datetime.fromtimestamp(event.created, UTC) if event.created is not None else None
    return (event.id, event.type, source, Jsonb(event.payload), status, note, created, status, current_traceparent())


class PgEventInbox:
    def __init__(self, uow: UnitOfWork) -> None:
        self.conn = uow.conn
        self._uow = uow

    async def add(self, event: StripeEvent, *, source: EventSource, status: InboxStatus, note: str | None) -> bool:
        cur = await self.conn.execute(_INSERT, _inserted(event, source, status, note))
        return await cur.fetchone() is not None

    async def claim_due(self, now: datetime, limit: int) -> list[InboxEntry]:
        cur = await self.conn.execute(
            _SELECT + "WHERE status = 'pending' AND next_attempt_at <= %s"
            " ORDER BY next_attempt_at, seq LIMIT %s FOR UPDATE SKIP LOCKED",
            (now, limit),
        )
        return [InboxEntry(**row) for row in await cur.fetchall()]

    async def finish(self, event_id: str, *, status: InboxStatus, note: str | None, now: datetime) -> None:
        # Written with the commit, in its round trip: the event is claimed (locked) by this transaction,
        # and nothing reads it back before the commit.
        self._uow.write_with_commit((
            "UPDATE payments.stripe_events SET status = %s, note = %s, processed_at = %s,"
            " attempts = attempts + 1, last_error = NULL WHERE event_id = %s",
            (status, note, now, event_id),
        ))

    async def fail(self, event_id: str, *, attempts: int, error: str, next_attempt_at: datetime, dead: bool) -> None:
        await self.conn.execute(
            "UPDATE payments.stripe_events SET attempts = %s, last_error = %s, next_attempt_at = %s, status = %s"
            " WHERE event_id = %s",
            (attempts, error, next_attempt_at, "dead" if dead else "pending", event_id),
        )

    async def page(self, *, status: InboxStatus | None, before_seq: int | None, limit: int) -> list[InboxEntry]:
        cur = await self.conn.execute(
            _SELECT + "WHERE (%(status)s::text IS NULL OR status = %(status)s)"
            " AND (%(before)s::bigint IS NULL OR seq < %(before)s) ORDER BY seq DESC LIMIT %(limit)s",
            {"status": status, "before": before_seq, "limit": limit},
        )
        return [InboxEntry(**row) for row in await cur.fetchall()]

    async def get(self, event_id: str) -> InboxEntry | None:
        cur = await self.conn.execute(_SELECT + "WHERE event_id = %s", (event_id,))
        return _entry(await cur.fetchone())

    async def revive(self, event_id: str, now: datetime) -> InboxEntry | None:
        cur = await self.conn.execute(
            "UPDATE payments.stripe_events SET status = 'pending', attempts = 0, next_attempt_at = %s"
            " WHERE event_id = %s AND status = 'dead'",
            (now, event_id),
        )
        return await self.get(event_id) if cur.rowcount == 1 else None


class PgEventStore:
    """StoreEvent: a webhook's event stored in one round trip (`Database.run_alone`), where a unit of
    work took three."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, event: StripeEvent, *, source: EventSource, status: InboxStatus, note: str | None) -> bool:
        return bool(await self._db.run_alone(_INSERT, _inserted(event, source, status, note)))


def _entry(row: dict[str, Any] | None) -> InboxEntry | None:
    return InboxEntry(**row) if row else None
