"""Create a show's inventory: every seat (available or blocked, with its tier) and every GA zone."""

from __future__ import annotations

from collections.abc import Sequence

from lml.seating.application.inventory_ports import InventoryRepository
from lml.seating.domain.inventory import InventorySeat, InventoryZone, MaterializeResult, check_inventory
from lml.seating.domain.sale_terms import SaleTerms


async def materialize_inventory(
    inventory: InventoryRepository, *, terms: SaleTerms, seats: Sequence[InventorySeat],
    zones: Sequence[InventoryZone],
) -> MaterializeResult:
    """Idempotent: a show that has an inventory keeps it (and its terms) as they are (its seats may be
    sold already). Runs in the caller's transaction, which commits it with the caller's own changes."""
    check_inventory(seats, zones)
    return await inventory.create(terms, seats, zones)
