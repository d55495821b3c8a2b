"""What the catalog keeps of a venue and of a published layout: copies taken when an event or
show is made, so that buyer reads (filters by city, seat pricing) never reach into another context."""

from __future__ import annotations

import msgspec


class VenueSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    venue_id: str
    name: str
    city: str
    country: str | None
    timezone: str


class LayoutPin(msgspec.Struct, frozen=True, kw_only=True):
    """One immutable layout version: the hash proves which seat map a show sells."""

    layout_id: str
    version: int
    hash: str


class LayoutSeat(msgspec.Struct, frozen=True, kw_only=True):
    seat_id: str
    section: str
    row: str
    number: str
    # Where the seat is (normalized to the viewport) and the layout's own rank of it, if any: seating
    # ranks the seats from them when the show goes on sale.
    x: float = 0.0
    y: float = 0.0
    rank: int | None = None


class LayoutZone(msgspec.Struct, frozen=True, kw_only=True):
    zone_id: str
    name: str
    capacity: int


class LayoutSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    pin: LayoutPin
    venue_id: str
    seats: tuple[LayoutSeat, ...]
    zones: tuple[LayoutZone, ...]
    focal_point: tuple[float, float] = (0.5, 0.0)  # normalized; where the seats look
    viewport: tuple[float, float] = (1.0, 1.0)  # width, height: the scale of x and y
