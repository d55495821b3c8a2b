"""Ordering's HTTP routes: buyers' orders and tickets, operators' refunds and reports.

Order creation answers 201 even when Stripe cannot be reached: the order exists (its seats are
reserved until `expires_at`) and `payment` is null; the app then calls
`POST /v1/orders/{order_id}/payment`, which answers the PaymentIntent, or 503 with Retry-After while
Stripe is still down. One PaymentIntent per order either way (payments keys it by order id)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from lml.ordering.application.place_order import payment_for_order, place_order, visible_order
from lml.ordering.application.ports import PaymentView
from lml.ordering.application.refund_order import refund_order
from lml.ordering.application.release_orders import cancel_order
from lml.ordering.domain.order import Order, OrderStatus
from lml.ordering.domain.tickets import sign
from lml.ordering.infrastructure import queries
from lml.ordering.infrastructure.attendees_csv import HEADER, csv_lines
from lml.ordering.infrastructure.cancellation_report import CancellationReport, cancellation_report
from lml.ordering.infrastructure.http_access import (
    DOOR_LIST_ROLES,
    REFUND_ROLES,
    REPORT_ROLES,
    authenticated,
    buyer_guard,
    buyer_of,
    operator_of,
)
from lml.ordering.infrastructure.keyset_cursor import CursorQuery, decode_cursor, encode_cursor
from lml.ordering.infrastructure.pg_tickets import PgTickets
from lml.ordering.infrastructure.refund_requests_http import router as refund_requests_router
from lml.ordering.infrastructure.sales_report import SalesReport, check_show_of_organization, sales_report
from lml.ordering.infrastructure.services import OrderingServices
from lml.platform.http.contract import contract, route_contract
from lml.platform.http.idempotency import idempotent
from lml.platform.ids import new_id

AnyRequest = Request[Any, Any, Any]

_PAGE = 1000
ATTENDEES_CSV = Annotated[str, msgspec.Meta(description=(
    "CSV (RFC 4180), UTF-8, a header line then one line per valid ticket: order_id, buyer_name, buyer_email,"
    " seat, tier, price_minor_units, currency, order_status"))]


class LineOut(msgspec.Struct, frozen=True, kw_only=True):
    tier_id: str
    tier_name: str
    unit_price: int
    unit_fee: int
    quantity: int
    total: int
    seat_id: str | None
    seat_label: str | None
    zone_id: str | None


class PaymentOut(msgspec.Struct, frozen=True, kw_only=True):
    provider: str
    payment_intent_id: str
    client_secret: str

    @classmethod
    def of(cls, view: PaymentView | None) -> PaymentOut | None:
        if view is None:
            return None
        return cls(provider="stripe", payment_intent_id=view.payment_intent_id, client_secret=view.client_secret)


class RefundOut(msgspec.Struct, frozen=True, kw_only=True):
    refund_id: str
    amount: int
    status: str  # requested (not yet at Stripe), pending, requires_action, succeeded, failed, canceled
    reason: str | None


class OrderOut(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    status: str
    show_id: str
    lines: list[LineOut]
    total: int
    currency: str
    expires_at: datetime
    created_at: datetime
    paid_at: datetime | None
    amount_paid: int
    amount_refunded: int
    refund_pending: int
    refunds: list[RefundOut]
    failure_reason: str | None
    # Only in the answers that create or fetch a payment; null there while Stripe is unreachable.
    payment: PaymentOut | msgspec.UnsetType | None = msgspec.UNSET

    @classmethod
    def of(cls, order: Order, payment: PaymentOut | msgspec.UnsetType | None = msgspec.UNSET) -> OrderOut:
        return cls(
            order_id=order.order_id,
            status=order.status.value,
            show_id=order.show_id,
            lines=[LineOut(tier_id=line.tier_id, tier_name=line.tier_name, unit_price=line.unit_price,
                           unit_fee=line.unit_fee, quantity=line.quantity, total=line.total, seat_id=line.seat_id,
                           seat_label=line.seat_label, zone_id=line.zone_id) for line in order.lines],
            total=order.total,
            currency=order.currency,
            expires_at=order.expires_at,
            created_at=order.created_at,
            paid_at=order.paid_at,
            amount_paid=order.amount_paid,
            amount_refunded=order.amount_refunded,
            refund_pending=order.refund_in_flight,
            refunds=[RefundOut(refund_id=r.refund_id, amount=r.amount, status=r.status, reason=r.reason)
                     for r in order.refunds],
            failure_reason=order.failure_reason,
            payment=payment,
        )


_Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class PlaceOrderBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    hold_id: _Text
    hold_token: _Text


@post("/v1/orders", operation_id="placeOrder", opt=route_contract(contract(404, 409, 410, 412)),
      status_code=201, guards=[buyer_guard], middleware=[idempotent], tags=["ordering"],
      summary="Turn a hold into an order awaiting payment (Idempotency-Key recommended)")
async def create_order(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], data: JSONBody[PlaceOrderBody]
) -> OrderOut:
    placed = await place_order(
        transaction=ordering.transaction, holds=ordering.holds, payments=ordering.payments,
        sync=ordering.sync, clock=ordering.clock, new_id=new_id, buyer=buyer_of(request),
        hold_id=data.hold_id, hold_token=data.hold_token,
    )
    return OrderOut.of(placed.order, PaymentOut.of(placed.payment))


class OrderList(msgspec.Struct, frozen=True):
    orders: list[OrderOut]
    next_cursor: str | None


@get("/v1/orders", operation_id="listOrders", guards=[buyer_guard], tags=["ordering"],
     summary="The caller's orders, newest first (a guest session from a recovery link: every guest order of its"
             " email)")
async def list_orders(
    request: AnyRequest, ordering: NamedDependency[OrderingServices],
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    cursor: CursorQuery = None,
    status: Annotated[OrderStatus | None, QueryParameter(required=False)] = None,
) -> OrderList:
    before = decode_cursor(cursor) if cursor else None
    async with ordering.resources.db.unit_of_work() as uow:
        orders = await queries.orders_of_buyer(uow.conn, buyer=buyer_of(request), limit=limit, before=before,
                                               status=status)
    last = orders[-1] if len(orders) == limit else None
    return OrderList([OrderOut.of(o) for o in orders], encode_cursor(last.created_at, last.order_id) if last else None)


@get("/v1/orders/{order_id:uuid}", operation_id="getOrder",
     guards=[buyer_guard], tags=["ordering"], summary="One of the caller's orders")
async def get_order(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], order_id: FromPath[uuid.UUID]
) -> OrderOut:
    order = await visible_order(ordering.transaction, buyer_of(request), str(order_id))
    return OrderOut.of(order)


@post("/v1/orders/{order_id:uuid}/payment", operation_id="getOrderPayment",
      status_code=200, guards=[buyer_guard], tags=["ordering"],
      summary="The order's PaymentIntent (created now if Stripe was down when the order was placed)")
async def order_payment(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], order_id: FromPath[uuid.UUID]
) -> OrderOut:
    order, payment = await payment_for_order(transaction=ordering.transaction, payments=ordering.payments,
                                             buyer=buyer_of(request), order_id=str(order_id))
    return OrderOut.of(order, PaymentOut.of(payment))


@post("/v1/orders/{order_id:uuid}/cancel", operation_id="cancelOrder",
      status_code=200, guards=[buyer_guard], tags=["ordering"],
      summary="Cancel an unpaid order: its seats are released at once")
async def cancel(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], order_id: FromPath[uuid.UUID]
) -> OrderOut:
    order = await cancel_order(transaction=ordering.transaction, sync=ordering.sync, clock=ordering.clock,
                               buyer=buyer_of(request), order_id=str(order_id))
    return OrderOut.of(order)


class TicketOut(msgspec.Struct, frozen=True, kw_only=True):
    ticket_id: str
    status: str
    code: str
    seat_id: str | None
    seat_label: str | None
    zone_id: str | None
    unit: int | None
    tier_name: str
    # Render as a QR code; a door scanner verifies it offline (format in lml.ordering.domain.tickets).
    qr_payload: str


class TicketList(msgspec.Struct, frozen=True):
    order_id: str
    tickets: list[TicketOut]


@get("/v1/orders/{order_id:uuid}/tickets", operation_id="listOrderTickets", guards=[buyer_guard], tags=["ordering"],
     summary="The order's tickets, each with the payload to show as a QR code")
async def order_tickets(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], order_id: FromPath[uuid.UUID]
) -> TicketList:
    order = await visible_order(ordering.transaction, buyer_of(request), str(order_id))
    async with ordering.resources.db.unit_of_work() as uow:
        tickets = await PgTickets(uow.conn).of_order(order.order_id)
    lines = order.lines
    return TicketList(order.order_id, [
        TicketOut(ticket_id=t.ticket_id, status=t.status, code=t.code, seat_id=t.seat_id,
                  seat_label=lines[t.line_no - 1].seat_label, zone_id=t.zone_id, unit=t.unit,
                  tier_name=lines[t.line_no - 1].tier_name, qr_payload=sign(t.claims, ordering.ticket_key))
        for t in tickets
    ])


class RefundBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]
    # None: everything that is left to refund.
    amount: Annotated[int, msgspec.Meta(gt=0)] | None = None


@post("/v1/admin/orders/{order_id:uuid}/refund", operation_id="refundOrder",
      status_code=202, guards=[authenticated], middleware=[idempotent],
      tags=["ordering"], summary="Refund an order in full (no amount) or in part; Stripe is called in the background")
async def refund(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], order_id: FromPath[uuid.UUID],
    data: JSONBody[RefundBody],
) -> OrderOut:
    access = await operator_of(request, REFUND_ROLES)
    order = await refund_order(transaction=ordering.as_organization(access.org_id), clock=ordering.clock,
                               operator=f"operator:{access.user_id}", order_id=str(order_id), amount=data.amount,
                               reason=data.reason.strip())
    return OrderOut.of(order)


@get("/v1/admin/shows/{show_id:uuid}/sales", operation_id="getShowSales", guards=[authenticated], tags=["ordering"],
     summary="Seats per status against capacity, and revenue and refunds per tier")
async def show_sales(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], show_id: FromPath[uuid.UUID]
) -> SalesReport:
    access = await operator_of(request, REPORT_ROLES)
    return await sales_report(ordering.resources.db, ordering.seating, org_id=access.org_id, show_id=str(show_id))


@get("/v1/admin/shows/{show_id:uuid}/cancellation", operation_id="getShowCancellation",
     guards=[authenticated], tags=["ordering"],
     summary="A cancelled show's refunds: orders still to handle, refunded, on their way, failed, owed",
     cache_control=CacheControlHeader(no_store=True))
async def show_cancellation(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], show_id: FromPath[uuid.UUID]
) -> CancellationReport:
    access = await operator_of(request, REPORT_ROLES)
    async with ordering.resources.db.unit_of_work(org_id=access.org_id) as uow:
        # Read as the operator's organization: another organization's show is not found.
        status = await ordering.shows.sale_status_in(uow, str(show_id))
        return await cancellation_report(uow.conn, str(show_id), cancelled_in_catalog=status == "cancelled")


@get("/v1/admin/shows/{show_id:uuid}/attendees.csv", operation_id="exportAttendees",
     opt=route_contract(contract(sends=("Content-Disposition", "Cache-Control"), body={"text/csv": ATTENDEES_CSV})),
     guards=[authenticated], tags=["ordering"],
     summary="One CSV line per valid ticket (streamed)", media_type="text/csv")
async def attendees(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], show_id: FromPath[uuid.UUID]
) -> Stream:
    access = await operator_of(request, DOOR_LIST_ROLES)
    show = str(show_id)
    # Asked before the first byte: another organization's show is a 404, not an empty file.
    await check_show_of_organization(ordering.resources.db, ordering.seating, org_id=access.org_id, show_id=show)
    db = ordering.resources.db

    async def rows() -> AsyncIterator[bytes]:
        yield csv_lines([HEADER])
        after = "00000000-0000-0000-0000-000000000000"
        while True:
            async with db.unit_of_work(org_id=access.org_id) as uow:
                page = await queries.attendees_page(uow.conn, show, after=after, limit=_PAGE)
            if not page:
                return
            yield csv_lines([(r.order_id, r.buyer_name, r.buyer_email, r.seat, r.tier, r.price, r.currency, r.status)
                             for r in page])
            after = page[-1].sort_key

    return Stream(rows(), media_type="text/csv; charset=utf-8",
                  headers={"Content-Disposition": f'attachment; filename="attendees-{show}.csv"',
                           "Cache-Control": "no-store"})


router = Router(path="/", route_handlers=[create_order, list_orders, get_order, order_payment, cancel, order_tickets,
                                          refund, show_sales, show_cancellation, attendees,
                                          refund_requests_router])
