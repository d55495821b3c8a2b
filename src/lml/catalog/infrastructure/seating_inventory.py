"""The catalog's Inventory port, served by seating's facade in the catalog's own transaction."""

from __future__ import annotations

from collections.abc import Sequence

from lml.catalog.application.ports import InventorySummary, InventoryTally
from lml.catalog.domain.show import InventoryPlan
from lml.platform.db import UnitOfWork
from lml.seating import facade as seating


class SeatingInventory:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def materialize(self, show_id: str, org_id: str, plan: InventoryPlan) -> InventorySummary:
        result = await seating.materialize_inventory(
            self.uow, show_id, org_id,
            [seating.InventorySeat(s.seat_id, s.tier_id, s.blocked) for s in plan.seats],
            [seating.InventoryZone(z.zone_id, z.tier_id, z.capacity) for z in plan.zones],
        )
        return InventorySummary(created=result.created, seats=result.seats, zones=result.zones)

    async def set_blocked(self, show_id: str, seat_ids: Sequence[str], blocked: bool) -> list[str]:
        return await seating.set_seats_blocked(self.uow, show_id, seat_ids, blocked)

    async def tally(self, show_id: str) -> InventoryTally | None:
        try:
            counts = await seating.inventory_counts(self.uow, show_id)
        except seating.InventoryNotFound:
            return None
        return InventoryTally(
            seats=dict(counts.seats), zones=len(counts.zones), zone_capacity=sum(z.capacity for z in counts.zones),
            zone_remaining=sum(max(0, z.remaining) for z in counts.zones),
        )
