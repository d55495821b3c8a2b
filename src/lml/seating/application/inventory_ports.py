"""What seating's inventory use cases need from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lml.seating.domain.inventory import (
    InventoryCounts,
    InventorySeat,
    InventoryZone,
    MaterializeResult,
    SeatState,
    SeatStatus,
)
from lml.seating.domain.sale_terms import SaleTerms
from lml.seating.domain.seat_quality import SeatPlan


class InventoryRepository(Protocol):
    """A show's seat and GA zone rows, inside the caller's transaction."""

    async def create(
        self, terms: SaleTerms, seats: Sequence[InventorySeat], zones: Sequence[InventoryZone], plan: SeatPlan
    ) -> MaterializeResult:
        """Create every row at once with the show's terms of sale, or (when the show has an inventory
        already) nothing: the result then says `created=False` with the existing counts."""

    async def cancel(self, show_id: str) -> bool:
        """The show's terms of sale say it is cancelled; whether they changed (False: cancelled
        already, or the show never went on sale)."""

    async def exists(self, show_id: str) -> bool: ...

    async def seat_states(self, show_id: str, seat_ids: Sequence[str]) -> dict[str, SeatState]:
        """The seats found among `seat_ids`, locked until the transaction ends."""

    async def set_seat_status(self, show_id: str, seat_ids: Sequence[str], status: SeatStatus) -> None:
        """Also counts the seats' versions up, so that readers see they changed. Seats the show does
        not have are left alone."""

    async def counts(self, show_id: str) -> InventoryCounts | None:
        """None when the show has no inventory; zones in zone id order."""
