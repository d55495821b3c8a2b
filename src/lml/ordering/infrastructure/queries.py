"""Read models: plain SQL straight to msgspec Structs, skipping the domain (buyer lists, reports, CSV)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import msgspec
from psycopg import AsyncConnection

from lml.ordering.domain.order import MONEY_RECEIVED, Buyer, Order, OrderStatus, allocate
from lml.ordering.domain.refund_request import RefundRequest
from lml.ordering.infrastructure.pg_orders import ORDER_SELECT, order_from_row
from lml.ordering.infrastructure.pg_refund_requests import REQUEST_SELECT, request_from_row

_SALES_STATUSES = [s.value for s in MONEY_RECEIVED]


async def orders_of_buyer(
    conn: AsyncConnection[dict[str, Any]], *, buyer: Buyer, limit: int, before: tuple[datetime, str] | None,
    status: OrderStatus | None = None,
) -> list[Order]:
    """The orders `buyer` may see (`Buyer.may_see`: their own; for a guest who proved their email, every
    guest order of it), in `status` if given, newest first, keyset-paginated on (created_at, order_id):
    stable while new orders arrive."""
    if buyer.sees_guest_orders_of_email:
        where = " WHERE o.buyer_kind = 'guest' AND lower(o.buyer_email) = lower(%s)"
        params: list[Any] = [buyer.email]
    else:
        where = " WHERE o.buyer_kind = %s AND o.buyer_subject = %s"
        params = [buyer.kind, buyer.subject]
    if status is not None:
        where += " AND o.status = %s"
        params.append(status.value)
    if before is not None:
        where += " AND (o.created_at, o.order_id) < (%s, %s::uuid)"
        params += [before[0], before[1]]
    query = ORDER_SELECT + where + " ORDER BY o.created_at DESC, o.order_id DESC LIMIT %s"
    rows = await (await conn.execute(query, [*params, limit])).fetchall()
    return [order_from_row(row) for row in rows]


class TierSales(msgspec.Struct, kw_only=True):
    tier_id: str
    tier_name: str
    units_sold: int = 0
    revenue: int = 0
    refunds: int = 0


async def sales_by_tier(conn: AsyncConnection[dict[str, Any]], show_id: str) -> tuple[str | None, list[TierSales]]:
    """Revenue (what buyers paid for seats they got) and refunds per tier; a refund smaller than its
    order is spread over the order's lines in proportion to their totals. Orders whose late payment
    was refunded without seats are left out: nothing of theirs was sold."""
    rows = await (
        await conn.execute(
            """
            SELECT o.order_id::text, o.currency, l.tier_id, l.tier_name, l.quantity,
                   (l.unit_price + l.unit_fee) * l.quantity AS line_total,
                   coalesce((SELECT sum(r.amount) FROM ordering.refunds r
                             WHERE r.order_id = o.order_id AND r.status = 'succeeded'), 0)::bigint AS refunded
            FROM ordering.orders o JOIN ordering.order_lines l ON l.order_id = o.order_id
            WHERE o.show_id = %s AND o.status = ANY(%s) AND NOT o.unseated
            ORDER BY o.order_id, l.line_no
            """,
            (show_id, _SALES_STATUSES),
        )
    ).fetchall()
    tiers: dict[str, TierSales] = {}
    per_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    currency = None
    for row in rows:
        currency = row["currency"]
        tier = tiers.setdefault(row["tier_id"], TierSales(tier_id=row["tier_id"], tier_name=row["tier_name"]))
        tier.units_sold += row["quantity"]
        tier.revenue += row["line_total"]
        per_order[row["order_id"]].append(row)
    for lines in per_order.values():
        refunded = lines[0]["refunded"]
        if refunded:
            for line, share in zip(lines, allocate(refunded, [line["line_total"] for line in lines]), strict=True):
                tiers[line["tier_id"]].refunds += share
    return currency, sorted(tiers.values(), key=lambda t: t.tier_id)


class AttendeeRow(msgspec.Struct, frozen=True, array_like=True):
    sort_key: str
    order_id: str
    buyer_name: str | None
    buyer_email: str | None
    seat: str
    tier: str
    price: int
    currency: str
    status: str


async def attendees_page(
    conn: AsyncConnection[dict[str, Any]], show_id: str, *, after: str, limit: int
) -> list[AttendeeRow]:
    """One row per valid ticket, in a stable order, `limit` at a time after the key `after`: each
    page is its own short query, so a slow download never holds a transaction open."""
    rows = await (
        await conn.execute(
            """
            SELECT t.ticket_id::text AS sort_key, o.order_id::text, o.buyer_name, o.buyer_email,
                   coalesce(l.seat_label, l.seat_id, l.zone_id || ' #' || t.unit) AS seat,
                   l.tier_name AS tier, l.unit_price + l.unit_fee AS price, o.currency, o.status
            FROM ordering.tickets t
            JOIN ordering.orders o ON o.order_id = t.order_id
            JOIN ordering.order_lines l ON l.order_id = t.order_id AND l.line_no = t.line_no
            WHERE t.show_id = %s AND t.status = 'valid' AND t.ticket_id > %s::uuid
            ORDER BY t.ticket_id
            LIMIT %s
            """,
            (show_id, after, limit),
        )
    ).fetchall()
    return [AttendeeRow(**row) for row in rows]


async def refund_requests_page(
    conn: AsyncConnection[dict[str, Any]], *, status: str | None, show_id: str | None,
    after: tuple[datetime, str] | None, limit: int,
) -> list[RefundRequest]:
    """Oldest first (the queue's order), keyset-paginated on (created_at, request_id); the caller's
    organization's only (row-level security)."""
    where, params = ["TRUE"], []
    if status is not None:
        where.append("r.status = %s")
        params.append(status)
    if show_id is not None:
        where.append("r.show_id = %s")
        params.append(show_id)
    if after is not None:
        where.append("(r.created_at, r.request_id) > (%s, %s::uuid)")
        params += [after[0], after[1]]
    query = REQUEST_SELECT + " WHERE " + " AND ".join(where) + " ORDER BY r.created_at, r.request_id LIMIT %s"
    rows = await (await conn.execute(query, [*params, limit])).fetchall()
    return [request_from_row(row) for row in rows]
