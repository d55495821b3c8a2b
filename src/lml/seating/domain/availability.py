"""Availability as buyers read it: one status character per seat, and what each GA zone has left.

The seat statuses of a show travel as one string with one character per seat, the i-th character
for the i-th seat in ascending seat id order (the order the seat map lists them in): a 20,000-seat
show answers in 20 kB (a few kB compressed), not in megabytes of JSON objects."""

from __future__ import annotations

import msgspec

from lml.seating.domain.inventory import SeatStatus
from lml.seating.domain.seat_quality import PlacedSeat, ShowRow

AVAILABLE, HELD, RESERVED, SOLD, BLOCKED = "a", "h", "r", "s", "b"
LEGEND = {AVAILABLE: "available", HELD: "held", RESERVED: "reserved", SOLD: "sold", BLOCKED: "blocked"}
CODE_OF_STATUS: dict[SeatStatus, str] = {"available": AVAILABLE, "blocked": BLOCKED, "reserved": RESERVED, "sold": SOLD}


class ZoneAvailability(msgspec.Struct, frozen=True):
    zone_id: str
    capacity: int
    remaining: int


class Availability(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    version: str  # changes exactly when some seat's status or some zone's remaining count changes
    seats: str  # one status code per seat, ascending seat id order
    zones: list[ZoneAvailability]
    last_change_id: str  # the position in the change stream this snapshot includes (SSE resumes after it)
    legend: dict[str, str] = msgspec.field(default_factory=lambda: dict(LEGEND))


class AvailabilityChange(msgspec.Struct, frozen=True, kw_only=True):
    """What changed at one step: seats with their new status code, zones with their new remaining
    count. `reset` says the show's state was rebuilt (after a Redis flush): read a fresh snapshot."""

    id: str
    version: str
    seats: dict[str, str] = msgspec.field(default_factory=dict)
    zones: dict[str, int] = msgspec.field(default_factory=dict)
    reset: bool = False


def seat_order(seat_ids: list[str]) -> list[str]:
    """The canonical order of a show's seats, shared by the seat map and the availability string."""
    return sorted(seat_ids)


class SeatRow(msgspec.Struct, frozen=True, array_like=True):
    """A seat's state in PostgreSQL, with the row version that orders its changes."""

    seat_id: str
    status: SeatStatus
    version: int


class ZoneRow(msgspec.Struct, frozen=True, array_like=True):
    """A GA zone in PostgreSQL: `taken` is sold + reserved; `version` orders its changes."""

    zone_id: str
    capacity: int
    taken: int
    version: int


class BuyerRow(msgspec.Struct, frozen=True, array_like=True):
    """The places of a buyer's orders at a show in PostgreSQL, reserved or sold (what the limit of
    seats per buyer counts besides live holds); `version` orders its changes."""

    buyer_key: str
    places: int
    version: int


class InventoryRows(msgspec.Struct, frozen=True, kw_only=True):
    """What Redis follows of a change: the rows of the seats, zones and buyer it touched in PostgreSQL,
    and the holds dropped in the step that takes the buyer's row (those of the buyer's orders, reserved
    or sold): a buyer's places are never counted both as held and as ordered."""

    seats: list[SeatRow]
    zones: list[ZoneRow]
    buyers: list[BuyerRow]
    holds: list[str]


class InventoryState(msgspec.Struct, frozen=True):
    """What PostgreSQL says of a show's seats, zones and buyers (the fast store is rebuilt from it)."""

    seats: list[SeatRow]
    zones: list[ZoneRow]
    buyers: list[BuyerRow] = msgspec.field(default_factory=list)
    # Best available: each seat's place and the show's rows (none for a show that went on sale before
    # seats were ranked, until it is ranked on load).
    places: list[PlacedSeat] = msgspec.field(default_factory=list)
    rows: list[ShowRow] = msgspec.field(default_factory=list)
