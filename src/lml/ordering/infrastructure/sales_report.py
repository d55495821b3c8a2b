"""An operator's sales report of one show: the inventory's counts (seating) beside the money
(ordering), per tier. Reads only, inside the operator's organization (row-level security)."""

from __future__ import annotations

import msgspec

from lml.ordering.infrastructure import queries
from lml.platform.db import Database
from lml.seating.facade import SeatingFacade


class Figures(msgspec.Struct, frozen=True, kw_only=True):
    """Places (seats and GA) per status, and money in minor units."""

    capacity: int
    sold: int
    reserved: int
    held: int
    available: int
    blocked: int
    revenue: int
    refunds: int


class TierReport(Figures, frozen=True, kw_only=True):
    tier_id: str
    tier_name: str | None


class SalesReport(Figures, frozen=True, kw_only=True):
    show_id: str
    currency: str | None
    net_revenue: int
    tiers: list[TierReport]


async def check_show_of_organization(db: Database, seating: SeatingFacade, *, org_id: str, show_id: str) -> None:
    """Raises a 404 problem unless the show went on sale and belongs to the organization."""
    async with db.unit_of_work(org_id=org_id) as uow:
        await seating.inventory_counts(uow, show_id)


async def sales_report(db: Database, seating: SeatingFacade, *, org_id: str, show_id: str) -> SalesReport:
    async with db.unit_of_work(org_id=org_id) as uow:
        counts = await seating.inventory_counts(uow, show_id)
        currency, money = await queries.sales_by_tier(uow.conn, show_id)
    held = await seating.held_counts(show_id)
    money_of = {tier.tier_id: tier for tier in money}
    seats_of = {tier.tier_id: tier for tier in counts.tiers if tier.tier_id is not None}
    tier_ids = sorted(set(money_of) | set(seats_of) | {zone.tier_id for zone in counts.zones})
    tiers = []
    for tier_id in tier_ids:
        seats = seats_of.get(tier_id)
        zones = [zone for zone in counts.zones if zone.tier_id == tier_id]
        tier_held = held.get(tier_id, 0)
        sold = (seats.sold if seats else 0) + sum(z.sold for z in zones)
        reserved = (seats.reserved if seats else 0) + sum(z.reserved for z in zones)
        free = (seats.available if seats else 0) + sum(z.remaining for z in zones)
        sales = money_of.get(tier_id)
        tiers.append(TierReport(
            tier_id=tier_id,
            tier_name=sales.tier_name if sales else None,
            capacity=(seats.total if seats else 0) + sum(z.capacity for z in zones),
            sold=sold,
            reserved=reserved,
            held=tier_held,
            # Held seats are available in PostgreSQL: a hold lives in Redis until it becomes an order.
            available=max(0, free - tier_held),
            blocked=seats.blocked if seats else 0,
            revenue=sales.revenue if sales else 0,
            refunds=sales.refunds if sales else 0,
        ))
    # Show totals from the inventory itself: blocked seats nobody priced belong to no tier.
    zones = counts.zones
    total_held = sum(held.values())
    revenue = sum(t.revenue for t in tiers)
    refunds = sum(t.refunds for t in tiers)
    return SalesReport(
        show_id=show_id,
        currency=currency,
        capacity=counts.seat_total + sum(z.capacity for z in zones),
        sold=counts.seats.get("sold", 0) + sum(z.sold for z in zones),
        reserved=counts.seats.get("reserved", 0) + sum(z.reserved for z in zones),
        held=total_held,
        available=max(0, counts.seats.get("available", 0) + sum(z.remaining for z in zones) - total_held),
        blocked=counts.seats.get("blocked", 0),
        revenue=revenue,
        refunds=refunds,
        net_revenue=revenue - refunds,
        tiers=tiers,
    )
