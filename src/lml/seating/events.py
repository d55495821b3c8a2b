"""Integration events published by seating."""

from __future__ import annotations

import msgspec

from lml.seating.domain.availability import InventoryRows


class InventoryChanged(msgspec.Struct, frozen=True, kw_only=True):
    """Seats or GA places of a show changed in PostgreSQL (an order reserved, sold, released or
    refunded them; an operator blocked them). Seating's fast store (Redis) follows from it: the
    outbox delivers it at least once, and applying it again changes nothing (Redis takes a row only
    when its version is newer). `order_id` names the order's places; `hold_id` a hold to drop.
    `rows`: what the change left, when it carries it (an order reserved or sold); otherwise Redis
    follows from the rows as PostgreSQL has them when the event is delivered."""

    show_id: str
    order_id: str | None = None
    seat_ids: list[str] = msgspec.field(default_factory=list)
    zone_ids: list[str] = msgspec.field(default_factory=list)
    hold_id: str | None = None
    rows: InventoryRows | None = None


class SaleClosed(msgspec.Struct, frozen=True, kw_only=True):
    """The show's sale closed for good (it is cancelled): its terms say so in PostgreSQL, and
    seating's fast store follows, dropping the live holds and taking no more."""

    show_id: str
