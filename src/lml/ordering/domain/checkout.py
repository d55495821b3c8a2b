"""Turning a verified hold into an order's lines and its payment deadline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import msgspec

from lml.ordering.domain.order import OrderLine
from lml.platform.domain.errors import Conflict

# The hold's expiry is extended once by this much, so that a buyer who orders in the hold's last
# seconds still has a fair window to pay ...
PAYMENT_GRACE = timedelta(minutes=5)
# ... but seats are never kept for an unpaid order longer than this after it was placed.
MAX_PAYMENT_WINDOW = timedelta(minutes=15)


class Tier(msgspec.Struct, frozen=True, kw_only=True):
    tier_id: str
    name: str
    price: int
    fee: int = 0


class ChosenSeat(msgspec.Struct, frozen=True, kw_only=True):
    """A seat the buyer chose and holds (as seating verified it), about to become an order line."""

    seat_id: str
    tier_id: str | None
    label: str | None = None


class ChosenZone(msgspec.Struct, frozen=True, kw_only=True):
    """Places the buyer chose and holds in a standing zone."""

    zone_id: str
    tier_id: str | None
    quantity: int


class NotForSale(Conflict):
    """Some of the held seats or zones have no price in this show."""


class NothingToPay(Conflict):
    """These places cost nothing: free tickets are issued by the box office, not sold through checkout."""


class ShowNotSelling(Conflict):
    """The show is cancelled or its sale has not opened: no order can be placed."""


def sale_status(*, cancelled: bool, opens_at: datetime | None, closes_at: datetime, now: datetime) -> str:
    """The show's sale status from its terms of sale, as the catalog derives it for buyers (a show with
    no terms has not been put on sale)."""
    if cancelled:
        return "cancelled"
    if opens_at is None or now < opens_at:
        return "scheduled"
    return "off_sale" if now >= closes_at else "on_sale"


def check_show_selling(sale_status: str) -> None:
    """A live hold may still become an order once the sale window closed (the buyer held in time),
    but never for a cancelled show or one whose sale has not opened."""
    if sale_status not in ("on_sale", "off_sale"):
        raise ShowNotSelling(f"The show is {sale_status.replace('_', ' ')}: no order can be placed", status=sale_status)


def payment_deadline(hold_expires_at: datetime, now: datetime) -> datetime:
    return min(hold_expires_at + PAYMENT_GRACE, now + MAX_PAYMENT_WINDOW)


def order_lines(seats: Sequence[ChosenSeat], zones: Sequence[ChosenZone], tiers: Mapping[str, Tier]) -> list[OrderLine]:
    """One line per seat and one per GA zone, priced from the show's tiers (all or none); an order
    has something to pay (a PaymentIntent of 0 does not exist)."""
    unpriced = [s.seat_id for s in seats if s.tier_id not in tiers]
    unpriced += [z.zone_id for z in zones if z.tier_id not in tiers]
    if unpriced:
        raise NotForSale(unpriced=unpriced)
    lines = []
    for seat in sorted(seats, key=lambda s: s.seat_id):
        tier = tiers[seat.tier_id]  # type: ignore[index]  # checked above
        lines.append(OrderLine(tier_id=tier.tier_id, tier_name=tier.name, unit_price=tier.price, unit_fee=tier.fee,
                               seat_id=seat.seat_id, seat_label=seat.label))
    for zone in sorted(zones, key=lambda z: z.zone_id):
        tier = tiers[zone.tier_id]  # type: ignore[index]
        lines.append(OrderLine(tier_id=tier.tier_id, tier_name=tier.name, unit_price=tier.price, unit_fee=tier.fee,
                               quantity=zone.quantity, zone_id=zone.zone_id))
    if sum(line.total for line in lines) == 0:
        raise NothingToPay()
    return lines
