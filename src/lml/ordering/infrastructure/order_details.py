"""An order as the mail to its buyer shows it (its places, prices and tickets with their QR payloads),
whom that mail goes to, and the buyers who hold valid tickets for a show: read models for ordering's
facade."""

from __future__ import annotations

import msgspec

from lml.ordering.domain.order import OrderLine
from lml.ordering.domain.tickets import Ticket, sign
from lml.ordering.infrastructure.pg_orders import PgOrders
from lml.ordering.infrastructure.pg_tickets import PgTickets
from lml.platform.db import Database, UnitOfWork


class PlaceDetails(msgspec.Struct, frozen=True, kw_only=True):
    """One place of the order: a seat (its label), or one unit of a standing zone's line. `code` and
    `qr_payload` are its valid ticket's, once the order is paid."""

    seat_label: str | None
    zone_id: str | None
    tier_name: str
    price: int  # the place's price and fees, minor units of the order's currency
    code: str | None = None
    qr_payload: str | None = None


class OrderContact(msgspec.Struct, frozen=True, kw_only=True):
    """Whom an order's mail goes to: what recording a message needs, without the order's places and
    tickets (those are read when it is rendered)."""

    order_id: str
    organization_id: str
    show_id: str
    buyer_email: str | None
    buyer_phone: str | None  # E.164, when the buyer gave one


class OrderDetails(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    organization_id: str
    show_id: str
    status: str
    buyer_email: str | None
    buyer_name: str | None
    places: list[PlaceDetails]
    total: int
    currency: str
    buyer_phone: str | None = None  # E.164, when the buyer gave one


async def order_details(db: Database, ticket_key: bytes, order_id: str) -> OrderDetails | None:
    async with db.unit_of_work(read_only=True) as uow:
        order = await PgOrders(uow.conn).get(order_id)
        tickets = await PgTickets(uow.conn).of_order(order_id) if order else []
    if order is None:
        return None
    valid = [t for t in tickets if t.status == "valid"]
    places = ([_ticketed(order.lines[t.line_no - 1], t, ticket_key) for t in valid] if valid
              else [_place(line) for line in order.lines for _ in range(line.quantity)])
    return OrderDetails(
        order_id=order.order_id, organization_id=order.organization_id, show_id=order.show_id,
        status=order.status.value, buyer_email=order.buyer.email, buyer_name=order.buyer.name, places=places,
        total=order.total, currency=order.currency, buyer_phone=order.buyer.phone,
    )


async def order_contact(db: Database, order_id: str, uow: UnitOfWork | None = None) -> OrderContact | None:
    """Read in `uow` when given (a caller already in a transaction takes no second connection), else
    in a read of its own."""
    if uow is None:
        async with db.unit_of_work(read_only=True) as own:
            return await order_contact(db, order_id, own)
    row = await (await uow.conn.execute(
        "SELECT order_id::text, organization_id::text, show_id::text, buyer_email, buyer_phone"
        " FROM ordering.orders WHERE order_id = %s",
        (order_id,),
    )).fetchone()
    return msgspec.convert(row, OrderContact) if row else None


def _place(line: OrderLine) -> PlaceDetails:
    return PlaceDetails(seat_label=line.seat_label or line.seat_id, zone_id=line.zone_id, tier_name=line.tier_name,
                        price=line.unit_price + line.unit_fee)


def _ticketed(line: OrderLine, ticket: Ticket, ticket_key: bytes) -> PlaceDetails:
    return msgspec.structs.replace(_place(line), code=ticket.code, qr_payload=sign(ticket.claims, ticket_key))


async def ticket_holders(db: Database, show_id: str, *, after: str | None, limit: int) -> list[str]:
    """The emails (lower case, each once, in order) of the buyers holding a valid ticket for the
    show, after `after`."""
    async with db.unit_of_work() as uow:
        rows = await (await uow.conn.execute(
            """
            SELECT DISTINCT lower(o.buyer_email) AS email
            FROM ordering.tickets t JOIN ordering.orders o ON o.order_id = t.order_id
            WHERE t.show_id = %s AND t.status = 'valid' AND o.buyer_email IS NOT NULL
              AND (%s::text IS NULL OR lower(o.buyer_email) > %s)
            ORDER BY email
            LIMIT %s
            """,
            (show_id, after, after, limit),
        )).fetchall()
    return [row["email"] for row in rows]
