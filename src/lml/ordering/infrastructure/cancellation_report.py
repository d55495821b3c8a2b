"""An operator's view of a cancelled show's cascade: orders still to handle, and where every buyer's
money stands (refunded, on its way, or needing a person). Read from the orders and refunds as they
are now, so a late payment refunded after the cascade counts too. Inside the operator's
organization (row-level security)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from psycopg import AsyncConnection

from lml.ordering.domain.errors import ShowNotCancelled
from lml.ordering.domain.order import OPEN

_OPEN = [s.value for s in OPEN]
# Problem orders listed by name; beyond this many only their number is given.
LISTED = 200

CancellationState = Literal["cancelling_orders", "settling_refunds", "needs_attention", "done"]


class FailedRefund(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    refund_id: str
    amount: int
    status: str  # failed or canceled
    reason: str | None


class OwedOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Money still held for a buyer with no refund on its way: a person must refund it (the admin
    refund route refunds what is left) or settle it with the buyer."""

    order_id: str
    amount_owed: int
    reason: str


class CancellationReport(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    state: CancellationState
    cancelled_at: datetime | None  # None for a moment: the worker has not taken the cancellation up yet
    orders_finished_at: datetime | None  # every order handled (refunds may still be settling)
    currency: str | None
    orders_left: int  # open orders no batch has handled yet
    orders_cancelled_unpaid: int
    orders_to_refund: int  # orders that took money
    amount_to_refund: int
    orders_refunded: int
    amount_refunded: int
    refunds_in_flight: int
    amount_in_flight: int
    failed: list[FailedRefund]
    needs_person: list[OwedOrder]
    needs_person_total: int


async def cancellation_report(
    conn: AsyncConnection[dict[str, Any]], show_id: str, *, cancelled_in_catalog: bool
) -> CancellationReport:
    """`cancelled_in_catalog`: the catalog says the show is cancelled (ordering may not have heard
    yet). Raises ShowNotCancelled when neither knows it as cancelled."""
    (head,) = await (await conn.execute(
        """
        SELECT (SELECT cancelled_at FROM ordering.show_cancellations WHERE show_id = %(show)s) AS cancelled_at,
               (SELECT finished_at FROM ordering.show_cancellations WHERE show_id = %(show)s) AS finished_at,
               (SELECT count(*) FROM ordering.orders o
                WHERE o.show_id = %(show)s AND o.status = ANY(%(open)s)
                  AND NOT EXISTS (SELECT FROM ordering.cancelled_orders h WHERE h.order_id = o.order_id)) AS left,
               (SELECT count(*) FROM ordering.cancelled_orders h
                WHERE h.show_id = %(show)s AND h.action = 'cancelled') AS cancelled_unpaid
        """,
        {"show": show_id, "open": _OPEN},
    )).fetchall()
    if head["cancelled_at"] is None and not cancelled_in_catalog:
        raise ShowNotCancelled()
    (money,) = await (await conn.execute(
        """
        WITH paid AS (
            SELECT o.order_id, o.currency, o.amount_paid,
                   coalesce(sum(r.amount) FILTER (WHERE r.status = 'succeeded'), 0)::bigint AS refunded,
                   coalesce(sum(r.amount) FILTER (WHERE r.status IN ('requested', 'pending', 'requires_action')),
                            0)::bigint AS in_flight,
                   bool_or(r.status = 'requires_action') AS stuck,
                   (array_agg(coalesce(r.failure_reason, 'the refund ' || r.status) ORDER BY r.updated_at DESC)
                       FILTER (WHERE r.status IN ('failed', 'canceled')))[1] AS last_failure,
                   o.status = ANY(%(open)s)
                       AND NOT EXISTS (SELECT FROM ordering.cancelled_orders h WHERE h.order_id = o.order_id)
                       AS waiting
            FROM ordering.orders o LEFT JOIN ordering.refunds r ON r.order_id = o.order_id
            WHERE o.show_id = %(show)s AND o.amount_paid > 0
            GROUP BY o.order_id
        )
        SELECT max(currency) AS currency, count(*) AS orders, coalesce(sum(amount_paid), 0)::bigint AS amount,
               count(*) FILTER (WHERE refunded >= amount_paid) AS refunded_orders,
               coalesce(sum(refunded), 0)::bigint AS refunded,
               count(*) FILTER (WHERE in_flight > 0) AS in_flight_orders,
               coalesce(sum(in_flight), 0)::bigint AS in_flight,
               coalesce(json_agg(json_build_object(
                   'order_id', order_id, 'amount_owed', amount_paid - refunded - in_flight,
                   'reason', CASE WHEN stuck THEN 'the refund needs an action at Stripe'
                                  ELSE coalesce(last_failure, 'no refund was made') END)
                   ORDER BY order_id)
                   FILTER (WHERE NOT waiting AND (stuck OR (in_flight = 0 AND refunded < amount_paid))), '[]')
                   AS owed
        FROM paid
        """,
        {"show": show_id, "open": _OPEN},
    )).fetchall()  # an aggregate: one row
    failed = await (await conn.execute(
        """
        SELECT r.order_id::text, r.refund_id, r.amount, r.status, r.failure_reason AS reason
        FROM ordering.refunds r JOIN ordering.orders o ON o.order_id = r.order_id
        WHERE o.show_id = %s AND r.status IN ('failed', 'canceled')
        ORDER BY r.updated_at, r.refund_id LIMIT %s
        """,
        (show_id, LISTED),
    )).fetchall()
    owed = msgspec.convert(money["owed"], list[OwedOrder])
    state: CancellationState
    if head["left"] or head["finished_at"] is None:
        state = "cancelling_orders"
    elif money["in_flight_orders"]:
        state = "settling_refunds"
    elif owed:
        state = "needs_attention"
    else:
        state = "done"
    return CancellationReport(
        show_id=show_id, state=state, cancelled_at=head["cancelled_at"], orders_finished_at=head["finished_at"],
        currency=money["currency"], orders_left=head["left"], orders_cancelled_unpaid=head["cancelled_unpaid"],
        orders_to_refund=money["orders"], amount_to_refund=money["amount"],
        orders_refunded=money["refunded_orders"], amount_refunded=money["refunded"],
        refunds_in_flight=money["in_flight_orders"], amount_in_flight=money["in_flight"],
        failed=[FailedRefund(**row) for row in failed], needs_person=owed[:LISTED], needs_person_total=len(owed),
    )
