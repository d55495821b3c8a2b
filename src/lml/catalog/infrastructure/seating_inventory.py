"""The catalog's Inventory port, served by seating's facade in the catalog's own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from lml.catalog.application.ports import InventorySummary, InventoryTally
from lml.catalog.domain.show import InventoryPlan, Show
from lml.catalog.domain.venue import LayoutSnapshot
from lml.platform.db import UnitOfWork
from lml.seating.facade import (
    InventoryNotFound,
    InventorySeat,
    InventoryZone,
    SaleTerms,
    SaleTier,
    SaleTierFee,
    SeatGeometry,
    SeatingFacade,
    SingleSeatRule,
    VenueGeometry,
)


def _sale_terms(show: Show) -> SaleTerms:
    """What seating keeps of a show going on sale (its terms never change after, but for cancelling)."""
    if show.opens_at is None:
        raise ValueError(f"show {show.show_id} is not on sale: its sale has no opening")
    return SaleTerms(
        show_id=show.show_id, organization_id=show.org_id, event_id=show.event_id, cancelled=False,
        opens_at=show.opens_at, closes_at=show.closes_at, starts_at=show.starts_at,
        max_seats_per_buyer=show.max_seats_per_buyer, hold_seconds=show.hold_seconds, currency=show.currency,
        layout_id=show.layout.layout_id, layout_version=show.layout.version, layout_hash=show.layout.hash,
        tiers=tuple(SaleTier(tier_id=t.tier_id, name=t.name, price=t.price,
                              fees=tuple(SaleTierFee(f.name, f.amount) for f in t.fees), unit_total=t.unit_total)
                    for t in show.tiers),
        avoid_single_seats=cast(SingleSeatRule, show.avoid_single_seats),
    )


def _geometry(layout: LayoutSnapshot | None) -> tuple[list[SeatGeometry], VenueGeometry | None]:
    """The pinned layout's seats as seating ranks them (in the layout's order), and where they look."""
    if layout is None:
        return [], None
    return ([SeatGeometry(s.seat_id, s.section, s.row, s.x, s.y, s.rank) for s in layout.seats],
            VenueGeometry(focal_point=layout.focal_point, viewport=layout.viewport))


class SeatingInventory:
    def __init__(self, uow: UnitOfWork, seating: SeatingFacade) -> None:
        self.uow = uow
        self._seating = seating

    async def materialize(self, show: Show, plan: InventoryPlan) -> InventorySummary:
        result = await self._seating.materialize_inventory(
            self.uow, _sale_terms(show),
            [InventorySeat(s.seat_id, s.tier_id, s.blocked) for s in plan.seats],
            [InventoryZone(z.zone_id, z.tier_id, z.capacity) for z in plan.zones],
            *_geometry(plan.layout),
        )
        return InventorySummary(created=result.created, seats=result.seats, zones=result.zones)

    async def set_blocked(self, show_id: str, seat_ids: Sequence[str], blocked: bool) -> list[str]:
        return await self._seating.set_seats_blocked(self.uow, show_id, seat_ids, blocked)

    async def close_sale(self, show_id: str) -> None:
        await self._seating.close_sale(self.uow, show_id)

    async def tally(self, show_id: str) -> InventoryTally | None:
        try:
            counts = await self._seating.inventory_counts(self.uow, show_id)
        except InventoryNotFound:
            return None
        return InventoryTally(
            seats=dict(counts.seats), zones=len(counts.zones), zone_capacity=sum(z.capacity for z in counts.zones),
            zone_remaining=sum(max(0, z.remaining) for z in counts.zones),
        )
