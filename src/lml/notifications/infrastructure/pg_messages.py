"""The MessageStore port on PostgreSQL (`notifications.messages`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from lml.notifications.domain.announcement import AnnouncementProgress
from lml.notifications.domain.message import Message
from lml.notifications.domain.recipient_limit import RecentMessage
from lml.platform.db import UnitOfWork, execute_together
from lml.platform.tracing.spans import current_traceparent

_SELECT = """
SELECT message_id::text, dedupe_key, kind, channel, recipient, organization_id::text, order_id::text, show_id::text,
       announcement_id::text, data, secret, status, attempts, last_error, provider_message_id, next_attempt_at,
       created_at, sent_at, trace_context
FROM notifications.messages
"""


class PgMessageStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.conn = uow.conn
        self._uow = uow

    async def locked_recipient(
        self, recipient: str, *, dedupe_key: str, since: datetime
    ) -> tuple[Message | None, list[RecentMessage]]:
        # One round trip; each statement reads with a snapshot taken after the lock was granted.
        _, found, recent = await execute_together(self.conn, [
            "SELECT pg_advisory_xact_lock(hashtextextended('notifications.recipient:' || %s, 0))",
            _SELECT + "WHERE dedupe_key = %s",
            "SELECT kind, order_id::text, created_at FROM notifications.messages"
            " WHERE recipient = %s AND created_at > %s",
        ], (recipient, dedupe_key, recipient, since))
        return (_message(found[0]) if found else None), [msgspec.convert(row, RecentMessage) for row in recent]

    async def find(self, dedupe_key: str) -> Message | None:
        row = await (await self.conn.execute(_SELECT + "WHERE dedupe_key = %s", (dedupe_key,))).fetchone()
        return _message(row) if row else None

    async def add(self, m: Message) -> None:
        # Written with the commit, in its round trip: the recipient's lock (`locked_recipient`) is held
        # until then, and nothing in the transaction reads the message back.
        self._uow.write_with_commit((
            """
            INSERT INTO notifications.messages
                (message_id, dedupe_key, kind, channel, recipient, organization_id, order_id, show_id,
                 announcement_id, data, secret, status, attempts, last_error, provider_message_id, next_attempt_at,
                 created_at, sent_at, trace_context)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (m.message_id, m.dedupe_key, m.kind, m.channel, m.recipient, m.organization_id, m.order_id, m.show_id,
             m.announcement_id, Jsonb(m.data), m.secret, m.status, m.attempts, m.last_error, m.provider_message_id,
             m.next_attempt_at, m.created_at, m.sent_at, m.trace_context or current_traceparent()),
        ))

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Message]:
        # Materialized, so that the locking LIMIT runs once: as an `IN (subquery)`, the planner may
        # rescan it per row of a nested loop and claim more than `limit` rows.
        claimed = await (await self.conn.execute(
            """
            WITH due AS MATERIALIZED (
                SELECT message_id FROM notifications.messages
                WHERE status IN ('queued', 'failed') AND next_attempt_at <= %s
                ORDER BY next_attempt_at, message_id
                LIMIT %s
                FOR UPDATE SKIP LOCKED
            )
            UPDATE notifications.messages m SET next_attempt_at = %s
            FROM due WHERE m.message_id = due.message_id
            RETURNING m.message_id
            """,
            (now, limit, lease_until),
        )).fetchall()
        rows = await (await self.conn.execute(
            _SELECT + "WHERE message_id = ANY(%s) ORDER BY message_id", ([row["message_id"] for row in claimed],)
        )).fetchall()
        return [_message(row) for row in rows]

    async def record(self, m: Message, *, lease: datetime) -> bool:
        cur = await self.conn.execute(
            """
            UPDATE notifications.messages
            SET status = %s, attempts = %s, last_error = %s, provider_message_id = %s, next_attempt_at = %s,
                sent_at = %s, secret = %s
            WHERE message_id = %s AND status IN ('queued', 'failed') AND next_attempt_at = %s
            """,
            (m.status, m.attempts, m.last_error, m.provider_message_id, m.next_attempt_at, m.sent_at, m.secret,
             m.message_id, lease),
        )
        return cur.rowcount == 1

    async def of_order(self, order_id: str) -> list[Message]:
        rows = await (await self.conn.execute(
            _SELECT + "WHERE order_id = %s ORDER BY created_at, message_id", (order_id,)
        )).fetchall()
        return [_message(row) for row in rows]

    async def progress(self, announcement_ids: Sequence[str]) -> dict[str, AnnouncementProgress]:
        rows = await (await self.conn.execute(
            """
            SELECT announcement_id::text AS announcement_id, count(*) AS recipients,
                   count(*) FILTER (WHERE status = 'sent') AS sent,
                   count(*) FILTER (WHERE status = 'dead') AS failed,
                   count(*) FILTER (WHERE status IN ('queued', 'failed')) AS pending
            FROM notifications.messages WHERE announcement_id = ANY(%s::uuid[])
            GROUP BY announcement_id
            """,
            (list(announcement_ids),),
        )).fetchall()
        return {row.pop("announcement_id"): AnnouncementProgress(**row) for row in rows}


def _message(row: dict[str, Any]) -> Message:
    return msgspec.convert(row, Message)
