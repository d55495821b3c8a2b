"""How many seats of a show are in each status, per tier, and what each GA zone has left."""

from __future__ import annotations

from lml.seating.application.inventory_ports import InventoryRepository
from lml.seating.domain.inventory import InventoryCounts, InventoryNotFound


async def inventory_counts(inventory: InventoryRepository, *, show_id: str) -> InventoryCounts:
    counts = await inventory.counts(show_id)
    if counts is None:
        raise InventoryNotFound()
    return counts
