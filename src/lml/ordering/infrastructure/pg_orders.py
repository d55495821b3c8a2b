"""OrderRepository on PostgreSQL: orders, their lines and refunds, and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from lml.ordering.domain.errors import HoldAlreadyOrdered
from lml.ordering.domain.order import AWAITING_PAYMENT, Buyer, Moved, Order, OrderLine, OrderStatus, Refund, Trigger
from lml.ordering.infrastructure.metrics import count_created, count_moved
from lml.ordering.infrastructure.pg_show_cancellations import show_cancelled
from lml.platform.db import execute_together
from lml.platform.domain.errors import BrokenInvariant

_AWAITING = [s.value for s in AWAITING_PAYMENT]

_ORDER_COLUMNS = """
       o.order_id::text, o.organization_id::text, o.show_id::text, o.hold_id, o.buyer_kind, o.buyer_subject,
       o.buyer_email, o.buyer_name, o.buyer_phone, o.status, o.currency, o.expires_at, o.created_at,
       o.show_starts_at, o.buyer_limit,
       o.payment_intent_id, o.amount_paid, o.paid_at, o.failure_reason, o.unseated,
       (SELECT coalesce(json_agg(json_build_object(
                'tier_id', l.tier_id, 'tier_name', l.tier_name, 'unit_price', l.unit_price, 'unit_fee', l.unit_fee,
                'quantity', l.quantity, 'seat_id', l.seat_id, 'seat_label', l.seat_label, 'zone_id', l.zone_id)
                ORDER BY l.line_no), '[]')
          FROM ordering.order_lines l WHERE l.order_id = o.order_id) AS lines,
       (SELECT coalesce(json_agg(json_build_object(
                'refund_id', r.refund_id, 'amount', r.amount, 'status', r.status, 'reason', r.reason,
                'failure_reason', r.failure_reason, 'ticket_ids', r.ticket_ids)
                ORDER BY r.created_at, r.refund_id), '[]')
          FROM ordering.refunds r WHERE r.order_id = o.order_id) AS refunds
"""
ORDER_SELECT = "SELECT" + _ORDER_COLUMNS + "FROM ordering.orders o\n"
_LOCK_ORDER = "SELECT 1 FROM ordering.orders WHERE order_id = %s FOR UPDATE"
_ORDER_WITH_SHOW_CANCELLED = ("SELECT" + _ORDER_COLUMNS + ", " + show_cancelled("o.show_id")
                              + " AS show_cancelled FROM ordering.orders o WHERE o.order_id = %s")


# The audit row of the order the statement's CTE `changed` returned (none when it returned none).
_AUDIT_CHANGED = """
INSERT INTO ordering.order_events (order_id, organization_id, at, actor, action, from_status, to_status, detail)
SELECT changed.order_id, changed.organization_id, %(at)s, %(actor)s, %(action)s, %(from_status)s::text,
       %(to_status)s, %(detail)s
FROM changed
RETURNING 1
"""

# The order, its lines (numbered from 1 in their order) and its audit row: the lines and the audit
# follow the order's row, so an order whose hold was ordered already inserts none of them.
_ADD_ORDER = """
WITH changed AS (
    INSERT INTO ordering.orders (order_id, organization_id, show_id, hold_id, buyer_kind, buyer_subject, buyer_email,
        buyer_name, buyer_phone, status, currency, total, expires_at, show_starts_at, buyer_limit, created_at,
        updated_at)
    VALUES (%(order_id)s, %(organization_id)s, %(show_id)s, %(hold_id)s, %(buyer_kind)s, %(buyer_subject)s,
        %(buyer_email)s, %(buyer_name)s, %(buyer_phone)s, %(to_status)s, %(currency)s, %(total)s, %(expires_at)s,
        %(show_starts_at)s, %(buyer_limit)s, %(at)s, %(at)s)
    ON CONFLICT (hold_id) DO NOTHING
    RETURNING order_id, organization_id
), numbered_lines AS (
    INSERT INTO ordering.order_lines (order_id, line_no, organization_id, tier_id, tier_name, unit_price, unit_fee,
        quantity, seat_id, seat_label, zone_id)
    SELECT changed.order_id, l.line_no, changed.organization_id, l.tier_id, l.tier_name, l.unit_price, l.unit_fee,
           l.quantity, l.seat_id, l.seat_label, l.zone_id
    FROM changed, unnest(%(tier_ids)s::text[], %(tier_names)s::text[], %(unit_prices)s::bigint[],
                         %(unit_fees)s::bigint[], %(quantities)s::integer[], %(seat_ids)s::text[],
                         %(seat_labels)s::text[], %(zone_ids)s::text[]) WITH ORDINALITY
        AS l (tier_id, tier_name, unit_price, unit_fee, quantity, seat_id, seat_label, zone_id, line_no)
)""" + _AUDIT_CHANGED  # noqa: S608 - fixed text

# An order's change and its audit row; neither when the order is no longer in the state the change
# starts from.
_SAVE_ORDER = """
WITH changed AS (
    UPDATE ordering.orders
    SET status = %(to_status)s, payment_intent_id = %(payment_intent_id)s, amount_paid = %(amount_paid)s,
        paid_at = %(paid_at)s, failure_reason = %(failure_reason)s, unseated = %(unseated)s, updated_at = %(at)s
    WHERE order_id = %(order_id)s AND status = %(from_status)s
    RETURNING order_id, organization_id
)""" + _AUDIT_CHANGED  # noqa: S608 - fixed text


def order_from_row(row: dict[str, Any]) -> Order:
    return Order(
        order_id=row["order_id"],
        organization_id=row["organization_id"],
        show_id=row["show_id"],
        hold_id=row["hold_id"],
        buyer=Buyer(kind=row["buyer_kind"], subject=row["buyer_subject"], email=row["buyer_email"],
                    name=row["buyer_name"], phone=row["buyer_phone"]),
        status=OrderStatus(row["status"]),
        currency=row["currency"],
        lines=tuple(msgspec.convert(row["lines"], list[OrderLine])),
        expires_at=row["expires_at"],
        created_at=row["created_at"],
        show_starts_at=row["show_starts_at"],
        buyer_limit=row["buyer_limit"],
        payment_intent_id=row["payment_intent_id"],
        amount_paid=row["amount_paid"],
        paid_at=row["paid_at"],
        failure_reason=row["failure_reason"],
        refunds=tuple(msgspec.convert(row["refunds"], list[Refund])),
        unseated=row["unseated"],
    )


def _uncounted(_action: Callable[[], None]) -> None:
    pass


class ConcurrentOrderChange(Exception):
    """The order left the state a transition started from: it was not locked first (a bug)."""


class PgOrders:
    """`after_commit`: where the changes written are counted once their transaction commits (the
    unit of work's); without it (reads, tests of the SQL alone) nothing is counted."""

    def __init__(self, conn: AsyncConnection[dict[str, Any]],
                 after_commit: Callable[[Callable[[], None]], None] | None = None) -> None:
        self._conn = conn
        self._after_commit = after_commit or _uncounted

    async def add(self, order: Order, *, actor: str) -> None:
        # A concurrent twin of this order (the same hold) waits here for this one's transaction; once it
        # committed, the twin inserts nothing and names the order instead.
        lines = order.lines
        inserted = await (await self._conn.execute(
            _ADD_ORDER,
            {"order_id": order.order_id, "organization_id": order.organization_id, "show_id": order.show_id,
             "hold_id": order.hold_id, "buyer_kind": order.buyer.kind, "buyer_subject": order.buyer.subject,
             "buyer_email": order.buyer.email, "buyer_name": order.buyer.name, "buyer_phone": order.buyer.phone,
             "currency": order.currency, "total": order.total,
             "expires_at": order.expires_at, "show_starts_at": order.show_starts_at,
             "buyer_limit": order.buyer_limit, "at": order.created_at,
             "tier_ids": [line.tier_id for line in lines], "tier_names": [line.tier_name for line in lines],
             "unit_prices": [line.unit_price for line in lines], "unit_fees": [line.unit_fee for line in lines],
             "quantities": [line.quantity for line in lines], "seat_ids": [line.seat_id for line in lines],
             "seat_labels": [line.seat_label for line in lines], "zone_ids": [line.zone_id for line in lines],
             "actor": actor, "action": Trigger.CREATED.value, "from_status": None, "to_status": order.status.value,
             "detail": Jsonb({"hold_id": order.hold_id, "total": order.total, "currency": order.currency})},
        )).fetchone()
        if inserted is None:
            existing = await self.order_for_hold(order.hold_id)
            if existing is None:  # orders are never deleted: the row that conflicted is there
                raise BrokenInvariant(f"hold {order.hold_id} conflicted with no order")
            raise HoldAlreadyOrdered(existing[0])
        self._after_commit(partial(count_created, order))

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        if for_update:
            row = await self._locked(order_id, ORDER_SELECT + " WHERE o.order_id = %s")
        else:
            row = await (await self._conn.execute(ORDER_SELECT + " WHERE o.order_id = %s", (order_id,))).fetchone()
        return order_from_row(row) if row else None

    async def locked_with_show_cancelled(self, order_id: str) -> tuple[Order, bool] | None:
        row = await self._locked(order_id, _ORDER_WITH_SHOW_CANCELLED)
        return (order_from_row(row), row["show_cancelled"]) if row else None

    async def _locked(self, order_id: str, read: str) -> dict[str, Any] | None:
        """The order's row locked by a statement of its own, then `read` (of the order id) by the next,
        in the same round trip: under READ COMMITTED a `SELECT ... FOR UPDATE` that waited for the lock
        re-reads the locked row but not its subqueries, which would show the refunds as they were
        before the lock holder committed; each statement of the pair takes its own snapshot, the
        read's after the lock."""
        locked, rows = await execute_together(self._conn, [_LOCK_ORDER, read], (order_id, order_id))
        return rows[0] if locked and rows else None

    async def order_for_hold(self, hold_id: str) -> tuple[str, str] | None:
        row = await (
            await self._conn.execute(
                "SELECT order_id::text, buyer_kind || ':' || buyer_subject AS owner FROM ordering.orders"
                " WHERE hold_id = %s",
                (hold_id,),
            )
        ).fetchone()
        return (row["order_id"], row["owner"]) if row else None

    async def save(self, moved: Moved, *, actor: str, at: datetime, detail: dict[str, Any] | None = None) -> None:
        order, transition = moved.order, moved.transition
        changed = await (await self._conn.execute(
            _SAVE_ORDER,
            {"to_status": order.status.value, "payment_intent_id": order.payment_intent_id,
             "amount_paid": order.amount_paid, "paid_at": order.paid_at, "failure_reason": order.failure_reason,
             "unseated": order.unseated, "at": at, "order_id": order.order_id,
             "from_status": transition.from_status.value, "actor": actor, "action": transition.trigger.value,
             "detail": Jsonb(detail or {})},
        )).fetchone()
        if changed is None:
            raise ConcurrentOrderChange(f"order {order.order_id} is no longer {transition.from_status.value}")
        if moved.changed_refunds:
            async with self._conn.cursor() as refunds:
                # A refund that reached a final status keeps it (the table's trigger refuses the change too).
                await refunds.executemany(
                    """
                    INSERT INTO ordering.refunds (refund_id, order_id, organization_id, amount, status, reason,
                        failure_reason, ticket_ids, created_at, updated_at)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s::uuid[], %s, %s)
                    ON CONFLICT (refund_id) DO UPDATE SET status = excluded.status, amount = excluded.amount,
                        failure_reason = excluded.failure_reason, updated_at = excluded.updated_at
                    WHERE ordering.refunds.status IN ('requested', 'pending', 'requires_action')
                      AND (ordering.refunds.status, ordering.refunds.amount)
                          IS DISTINCT FROM (excluded.status, excluded.amount)
                    """,
                    [(r.refund_id, order.order_id, order.organization_id, r.amount, r.status, r.reason,
                      r.failure_reason, list(r.ticket_ids), at, at) for r in moved.changed_refunds],
                )
        self._after_commit(partial(count_moved, moved))

    async def note(self, order: Order, *, actor: str, at: datetime, action: str, detail: dict[str, Any]) -> None:
        await self._audit(order, actor=actor, at=at, action=action, from_status=order.status.value, detail=detail)

    async def _audit(self, order: Order, *, actor: str, at: datetime, action: str, from_status: str | None,
                     detail: dict[str, Any]) -> None:
        await self._conn.execute(
            """
            INSERT INTO ordering.order_events (order_id, organization_id, at, actor, action, from_status, to_status,
                detail)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (order.order_id, order.organization_id, at, actor, action, from_status, order.status.value,
             Jsonb(detail)),
        )

    async def due_for_expiry(self, now: datetime, limit: int) -> list[str]:
        rows = await (
            await self._conn.execute(
                """
                SELECT order_id::text FROM ordering.orders
                WHERE status = ANY(%s) AND expires_at <= %s
                ORDER BY expires_at
                LIMIT %s
                FOR UPDATE SKIP LOCKED
                """,
                (_AWAITING, now, limit),
            )
        ).fetchall()
        return [row["order_id"] for row in rows]

    async def awaiting_payment(self, created_before: datetime, limit: int) -> list[str]:
        rows = await (
            await self._conn.execute(
                """
                SELECT order_id::text FROM ordering.orders
                WHERE status = ANY(%s) AND created_at <= %s
                ORDER BY created_at
                LIMIT %s
                """,
                (_AWAITING, created_before, limit),
            )
        ).fetchall()
        return [row["order_id"] for row in rows]
