"""TicketRepository on PostgreSQL. The unique index on valid (show, seat) tickets is the last line
against a seat ticketed twice, whatever happened before."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from psycopg import AsyncConnection

from lml.ordering.domain.tickets import Ticket


class PgTickets:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self._conn = conn

    async def issue(self, tickets: Sequence[Ticket], organization_id: str, at: datetime) -> None:
        # Every ticket in one statement: no pipeline to enter and leave.
        await self._conn.execute(
            """
            INSERT INTO ordering.tickets (ticket_id, order_id, organization_id, show_id, line_no, seat_id, zone_id,
                unit, code, status, issued_at)
            SELECT t.ticket_id, t.order_id, %s, t.show_id, t.line_no, t.seat_id, t.zone_id, t.unit, t.code, 'valid', %s
            FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::integer[], %s::text[], %s::text[], %s::integer[],
                        %s::text[]) AS t (ticket_id, order_id, show_id, line_no, seat_id, zone_id, unit, code)
            """,
            (organization_id, at, [t.ticket_id for t in tickets], [t.order_id for t in tickets],
             [t.show_id for t in tickets], [t.line_no for t in tickets], [t.seat_id for t in tickets],
             [t.zone_id for t in tickets], [t.unit for t in tickets], [t.code for t in tickets]),
        )

    async def void_all(self, order_id: str, at: datetime) -> int:
        cur = await self._conn.execute(
            "UPDATE ordering.tickets SET status = 'void', voided_at = %s WHERE order_id = %s AND status = 'valid'",
            (at, order_id),
        )
        return cur.rowcount

    async def void(self, order_id: str, ticket_ids: Sequence[str], at: datetime) -> int:
        cur = await self._conn.execute(
            "UPDATE ordering.tickets SET status = 'void', voided_at = %s"
            " WHERE order_id = %s AND ticket_id = ANY(%s::uuid[]) AND status = 'valid'",
            (at, order_id, list(ticket_ids)),
        )
        return cur.rowcount

    async def of_order(self, order_id: str) -> list[Ticket]:
        rows = await (
            await self._conn.execute(
                """
                SELECT ticket_id::text, order_id::text, show_id::text, line_no, code, seat_id, zone_id, unit, status
                FROM ordering.tickets WHERE order_id = %s ORDER BY line_no, unit NULLS FIRST
                """,
                (order_id,),
            )
        ).fetchall()
        return msgspec.convert(rows, list[Ticket])
