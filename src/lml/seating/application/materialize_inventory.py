"""Create a show's inventory: every seat (available or blocked, with its tier) and every GA zone."""

from __future__ import annotations

from collections.abc import Sequence

from lml.seating.application.inventory_ports import InventoryRepository
from lml.seating.domain.inventory import InventorySeat, InventoryZone, MaterializeResult, check_inventory
from lml.seating.domain.sale_terms import SaleTerms
from lml.seating.domain.seat_quality import SeatGeometry, VenueGeometry, rank_seats

DEFAULT_VENUE = VenueGeometry(focal_point=(0.5, 0.0), viewport=(1.0, 1.0))


async def materialize_inventory(
    inventory: InventoryRepository, *, terms: SaleTerms, seats: Sequence[InventorySeat],
    zones: Sequence[InventoryZone], geometry: Sequence[SeatGeometry] = (), venue: VenueGeometry = DEFAULT_VENUE,
) -> MaterializeResult:
    """Idempotent: a show that has an inventory keeps it (and its terms) as they are (its seats may be
    sold already). Runs in the caller's transaction, which commits it with the caller's own changes.
    `geometry`: the seats as the pinned layout draws them, in its order; their ranks, rows and
    positions are computed here, once (seats it leaves out get none, and best available skips them)."""
    check_inventory(seats, zones)
    return await inventory.create(terms, seats, zones, rank_seats(geometry, venue))
