"""ShowCancellations on PostgreSQL (`ordering.show_cancellations`, `ordering.cancelled_orders`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from lml.ordering.domain.order import OPEN, Order

_OPEN = [s.value for s in OPEN]

# The open orders of running cancellations that no batch has handled yet.
_UNHANDLED = """
    FROM ordering.orders o
    JOIN ordering.show_cancellations c ON c.show_id = o.show_id AND c.finished_at IS NULL
    WHERE o.status = ANY(%(open)s)
      AND NOT EXISTS (SELECT FROM ordering.cancelled_orders h WHERE h.order_id = o.order_id)
"""


def show_cancelled(show_id: str) -> str:
    """SQL: whether the show `show_id` (an SQL expression) is cancelled, its cancellation finished or not."""
    return f"EXISTS (SELECT FROM ordering.show_cancellations c WHERE c.show_id = {show_id})"


_COVERS = "SELECT " + show_cancelled("%s") + " AS cancelled"


class PgShowCancellations:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self._conn = conn

    async def start(self, show_id: str, organization_id: str, cancelled_at: datetime) -> bool:
        cur = await self._conn.execute(
            """
            INSERT INTO ordering.show_cancellations (show_id, organization_id, cancelled_at, started_at)
            VALUES (%s, %s, %s, now())
            ON CONFLICT (show_id) DO NOTHING
            """,
            (show_id, organization_id, cancelled_at),
        )
        return cur.rowcount == 1

    async def covers(self, show_id: str) -> bool:
        row = await (await self._conn.execute(_COVERS, (show_id,))).fetchone()
        return bool(row and row["cancelled"])

    async def next_orders(self, limit: int) -> list[str]:
        locked = await (
            await self._conn.execute(
                "SELECT o.order_id" + _UNHANDLED + "ORDER BY o.order_id LIMIT %(limit)s FOR UPDATE OF o SKIP LOCKED",
                {"open": _OPEN, "limit": limit},
            )
        ).fetchall()
        # Asked again now that the rows are locked: the first statement's snapshot may predate another
        # worker's batch that handled some of them and committed while this one waited for its locks.
        rows = await (
            await self._conn.execute(
                """
                SELECT o.order_id::text FROM unnest(%s::uuid[]) AS o (order_id)
                WHERE NOT EXISTS (SELECT FROM ordering.cancelled_orders h WHERE h.order_id = o.order_id)
                ORDER BY o.order_id
                """,
                ([row["order_id"] for row in locked],),
            )
        ).fetchall()
        return [row["order_id"] for row in rows]

    async def handled(
        self, order: Order, *, action: str, at: datetime, refund_id: str | None = None, amount: int = 0
    ) -> None:
        await self._conn.execute(
            """
            INSERT INTO ordering.cancelled_orders (order_id, show_id, organization_id, action, refund_id, amount,
                handled_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s)
            """,
            (order.order_id, order.show_id, order.organization_id, action, refund_id, amount, at),
        )

    async def finish(self, at: datetime) -> list[str]:
        # Unlocked on purpose: an order another worker is handling right now still counts as left.
        rows = await (
            await self._conn.execute(
                """
                UPDATE ordering.show_cancellations c SET finished_at = %(at)s
                WHERE c.finished_at IS NULL
                  AND NOT EXISTS (SELECT FROM ordering.orders o
                                  WHERE o.show_id = c.show_id AND o.status = ANY(%(open)s)
                                    AND NOT EXISTS (SELECT FROM ordering.cancelled_orders h
                                                    WHERE h.order_id = o.order_id))
                RETURNING c.show_id::text
                """,
                {"at": at, "open": _OPEN},
            )
        ).fetchall()
        return [row["show_id"] for row in rows]
