"""RefundPolicies and RefundRequestRepository on PostgreSQL (`ordering.refund_policies`,
`ordering.refund_requests`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from lml.ordering.domain.order import Buyer
from lml.ordering.domain.refund_policy import RefundPolicy, RefundTier
from lml.ordering.domain.refund_request import RefundRequest

Conn = AsyncConnection[dict[str, Any]]

REQUEST_SELECT = """
SELECT r.request_id::text, r.order_id::text, r.organization_id::text, r.show_id::text, r.status,
       r.ticket_ids::text[] AS ticket_ids, r.percent, r.amount, r.currency, r.reason, r.created_at, r.decided_at,
       r.decided_by, r.decision_note, r.refund_id, o.buyer_kind, o.buyer_subject, o.buyer_email, o.buyer_name
FROM ordering.refund_requests r JOIN ordering.orders o ON o.order_id = r.order_id
"""


def request_from_row(row: dict[str, Any]) -> RefundRequest:
    buyer = Buyer(kind=row.pop("buyer_kind"), subject=row.pop("buyer_subject"), email=row.pop("buyer_email"),
                  name=row.pop("buyer_name"))
    return msgspec.convert({**row, "buyer": buyer, "ticket_ids": tuple(row["ticket_ids"])}, RefundRequest,
                           from_attributes=True)


class PgRefundPolicies:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def get(self, show_id: str) -> RefundPolicy | None:
        row = await (await self._conn.execute(
            "SELECT tiers, fees_refundable FROM ordering.refund_policies WHERE show_id = %s", (show_id,))).fetchone()
        if row is None:
            return None
        return RefundPolicy(tiers=tuple(msgspec.convert(row["tiers"], list[RefundTier])),
                            fees_refundable=row["fees_refundable"])

    async def put(self, show_id: str, organization_id: str, policy: RefundPolicy, *, by: str, at: datetime) -> None:
        await self._conn.execute(
            """
            INSERT INTO ordering.refund_policies (show_id, organization_id, tiers, fees_refundable, updated_at,
                updated_by)
            VALUES (%s, %s, %s, %s, %s, %s)
            ON CONFLICT (show_id) DO UPDATE SET tiers = excluded.tiers, fees_refundable = excluded.fees_refundable,
                updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """,
            (show_id, organization_id, Jsonb(msgspec.to_builtins(policy.tiers)), policy.fees_refundable, at, by),
        )


class PgRefundRequests:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def add(self, request: RefundRequest) -> None:
        await self._conn.execute(
            """
            INSERT INTO ordering.refund_requests (request_id, order_id, organization_id, show_id, status, ticket_ids,
                percent, amount, currency, reason, created_at)
            VALUES (%s, %s, %s, %s, %s, %s::uuid[], %s, %s, %s, %s, %s)
            """,
            (request.request_id, request.order_id, request.organization_id, request.show_id, request.status,
             list(request.ticket_ids), request.percent, request.amount, request.currency, request.reason,
             request.created_at),
        )

    async def get(self, request_id: str, *, for_update: bool = False) -> RefundRequest | None:
        if for_update:
            # Locked by a statement of its own, read by the next (see PgOrders.get).
            locked = await (await self._conn.execute(
                "SELECT 1 FROM ordering.refund_requests WHERE request_id = %s FOR UPDATE", (request_id,))).fetchone()
            if locked is None:
                return None
        row = await (await self._conn.execute(REQUEST_SELECT + " WHERE r.request_id = %s", (request_id,))).fetchone()
        return request_from_row(row) if row else None

    async def pending_for(self, order_id: str) -> RefundRequest | None:
        row = await (await self._conn.execute(
            REQUEST_SELECT + " WHERE r.order_id = %s AND r.status = 'pending'", (order_id,))).fetchone()
        return request_from_row(row) if row else None

    async def of_order(self, order_id: str) -> list[RefundRequest]:
        rows = await (await self._conn.execute(
            REQUEST_SELECT + " WHERE r.order_id = %s ORDER BY r.created_at DESC, r.request_id DESC",
            (order_id,))).fetchall()
        return [request_from_row(row) for row in rows]

    async def save(self, request: RefundRequest) -> None:
        await self._conn.execute(
            """
            UPDATE ordering.refund_requests
            SET status = %s, decided_at = %s, decided_by = %s, decision_note = %s, refund_id = %s, amount = %s
            WHERE request_id = %s AND status = 'pending'
            """,
            (request.status, request.decided_at, request.decided_by, request.decision_note, request.refund_id,
             request.amount, request.request_id),
        )
