"""A show's inventory: one row per seat (status, tier, version counter) and one per GA zone
(capacity, sold, reserved). Seating owns it because holds, orders and availability all change or
read these rows; the catalog creates it when a show goes on sale.

Seat status: `available ⇄ blocked` is an operator's choice (house seats, broken seats);
`available → reserved → sold` belongs to orders and is never touched by blocking."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import msgspec

from lml.platform.domain.errors import Conflict, FieldError, InvalidInput, NotFound

SeatStatus = Literal["available", "blocked", "reserved", "sold"]
SEAT_STATUSES: tuple[SeatStatus, ...] = ("available", "blocked", "reserved", "sold")


class InventorySeat(msgspec.Struct, frozen=True, array_like=True):
    seat_id: str
    tier_id: str | None  # None only for a blocked seat: it needs a price before it is unblocked
    blocked: bool = False


class InventoryZone(msgspec.Struct, frozen=True, array_like=True):
    zone_id: str
    tier_id: str
    capacity: int


class SeatState(msgspec.Struct, frozen=True):
    status: SeatStatus
    tier_id: str | None


class TierCounts(msgspec.Struct, frozen=True, kw_only=True):
    tier_id: str | None
    available: int = 0
    blocked: int = 0
    reserved: int = 0
    sold: int = 0

    @property
    def total(self) -> int:
        return self.available + self.blocked + self.reserved + self.sold


class ZoneCounts(msgspec.Struct, frozen=True, kw_only=True):
    zone_id: str
    tier_id: str
    capacity: int
    sold: int
    reserved: int

    @property
    def remaining(self) -> int:
        return self.capacity - self.sold - self.reserved


class InventoryCounts(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    seats: dict[str, int]  # status → count, every status present
    tiers: list[TierCounts]  # seats per tier and status (zones not included)
    zones: list[ZoneCounts]

    @property
    def seat_total(self) -> int:
        return sum(self.seats.values())

    @property
    def sold_out(self) -> bool:
        """Nothing left to sell: no available seat and no GA place left. Blocked seats do not count
        (an operator may release them, but until then buyers cannot have them)."""
        return self.seats.get("available", 0) == 0 and all(zone.remaining <= 0 for zone in self.zones)


def tally(show_id: str, seat_groups: Iterable[tuple[str | None, SeatStatus, int]],
          zones: Sequence[ZoneCounts]) -> InventoryCounts:
    """Counts from (tier, status, how many) groups of seats."""
    per_status: dict[str, int] = dict.fromkeys(SEAT_STATUSES, 0)
    per_tier: dict[str | None, dict[str, int]] = {}
    for tier_id, status, n in seat_groups:
        per_status[status] += n
        tier = per_tier.setdefault(tier_id, dict.fromkeys(SEAT_STATUSES, 0))
        tier[status] += n
    tiers = [TierCounts(tier_id=t, **c) for t, c in sorted(per_tier.items(), key=lambda item: item[0] or "")]
    return InventoryCounts(show_id=show_id, seats=per_status, tiers=tiers, zones=list(zones))


class MaterializeResult(msgspec.Struct, frozen=True, kw_only=True):
    created: bool  # False: the inventory existed already and was left as it was
    seats: int
    zones: int


class InventoryNotFound(NotFound):
    """The show has no inventory: it has not gone on sale."""


class SeatsNotBlockable(Conflict):
    """Only available seats can be blocked, and only blocked seats unblocked: reserved and sold
    seats belong to orders, and a seat without a price tier cannot be sold."""


def check_inventory(seats: Sequence[InventorySeat], zones: Sequence[InventoryZone]) -> None:
    """What materialization refuses: repeated ids, unpriced sellable seats, negative capacities."""
    errors: list[FieldError] = []
    repeated = [seat_id for seat_id, n in Counter(s.seat_id for s in seats).items() if n > 1]
    errors.extend(FieldError("/seats", f"seat {seat_id} is listed twice") for seat_id in repeated[:20])
    unpriced = [s.seat_id for s in seats if s.tier_id is None and not s.blocked]
    errors.extend(FieldError("/seats", f"seat {seat_id} is sellable but has no tier") for seat_id in unpriced[:20])
    zone_repeats = [zone_id for zone_id, n in Counter(z.zone_id for z in zones).items() if n > 1]
    errors.extend(FieldError("/zones", f"zone {zone_id} is listed twice") for zone_id in zone_repeats)
    errors.extend(FieldError("/zones", f"zone {z.zone_id} has a negative capacity") for z in zones if z.capacity < 0)
    if errors:
        raise InvalidInput(errors, detail="The inventory to materialize is inconsistent")


def plan_block_change(
    requested: Sequence[str], current: Mapping[str, SeatState], *, blocked: bool
) -> list[str]:
    """The seats whose status changes (already in the wanted status: nothing to do). Raises
    InvalidInput for seats the show does not have, SeatsNotBlockable naming every seat that
    cannot move; either way nothing changes."""
    unknown = [seat_id for seat_id in requested if seat_id not in current]
    if unknown:
        raise InvalidInput([FieldError("/seat_ids", f"seat {seat_id} is not in the show's inventory")
                            for seat_id in unknown])
    wanted: SeatStatus = "blocked" if blocked else "available"
    source: SeatStatus = "available" if blocked else "blocked"
    to_change: list[str] = []
    conflicts: list[dict[str, str]] = []
    for seat_id in dict.fromkeys(requested):
        state = current[seat_id]
        if state.status == wanted:
            continue
        if state.status != source:
            conflicts.append({"seat_id": seat_id, "status": state.status})
        elif not blocked and state.tier_id is None:
            conflicts.append({"seat_id": seat_id, "status": state.status, "reason": "no price tier"})
        else:
            to_change.append(seat_id)
    if conflicts:
        raise SeatsNotBlockable(conflicts=conflicts)
    return to_change
