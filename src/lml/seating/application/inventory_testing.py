"""An in-memory fake of the inventory port, for unit tests of the use cases; checked against
PostgreSQL by tests/integration/seating/test_inventory_contract.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import msgspec

from lml.seating.domain.inventory import (
    InventoryCounts,
    InventorySeat,
    InventoryZone,
    MaterializeResult,
    SeatState,
    SeatStatus,
    ZoneCounts,
    tally,
)
from lml.seating.domain.sale_terms import SaleTerms
from lml.seating.domain.seat_quality import SeatPlan


class InMemoryInventory:
    def __init__(self) -> None:
        self.seats: dict[str, dict[str, SeatState]] = {}
        self.zones: dict[str, list[ZoneCounts]] = {}
        self.versions: dict[tuple[str, str], int] = {}
        self.terms: dict[str, SaleTerms] = {}
        self.plans: dict[str, SeatPlan] = {}

    async def create(
        self, terms: SaleTerms, seats: Sequence[InventorySeat], zones: Sequence[InventoryZone], plan: SeatPlan
    ) -> MaterializeResult:
        show_id = terms.show_id
        if show_id in self.seats:
            return MaterializeResult(created=False, seats=len(self.seats[show_id]), zones=len(self.zones[show_id]))
        self.plans[show_id] = plan
        self.seats[show_id] = {
            s.seat_id: SeatState("blocked" if s.blocked else "available", s.tier_id) for s in seats
        }
        self.zones[show_id] = [
            ZoneCounts(zone_id=z.zone_id, tier_id=z.tier_id, capacity=z.capacity, sold=0, reserved=0) for z in zones
        ]
        self.terms[show_id] = terms
        return MaterializeResult(created=True, seats=len(seats), zones=len(zones))

    async def cancel(self, show_id: str) -> bool:
        terms = self.terms.get(show_id)
        if terms is None or terms.cancelled:
            return False
        self.terms[show_id] = msgspec.structs.replace(terms, cancelled=True)
        return True

    async def exists(self, show_id: str) -> bool:
        return show_id in self.seats

    async def seat_states(self, show_id: str, seat_ids: Sequence[str]) -> dict[str, SeatState]:
        seats = self.seats.get(show_id, {})
        return {seat_id: seats[seat_id] for seat_id in seat_ids if seat_id in seats}

    async def set_seat_status(self, show_id: str, seat_ids: Sequence[str], status: SeatStatus) -> None:
        seats = self.seats.get(show_id, {})
        for seat_id in dict.fromkeys(seat_ids):
            if seat_id not in seats:
                continue
            seats[seat_id] = SeatState(status, seats[seat_id].tier_id)
            key = (show_id, seat_id)
            self.versions[key] = self.versions.get(key, 0) + 1

    async def counts(self, show_id: str) -> InventoryCounts | None:
        if show_id not in self.seats:
            return None
        groups = Counter((state.tier_id, state.status) for state in self.seats[show_id].values())
        zones = sorted(self.zones[show_id], key=lambda zone: zone.zone_id)
        return tally(show_id, ((tier, status, n) for (tier, status), n in groups.items()), zones)
