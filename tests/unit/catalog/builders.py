"""Builders for catalog unit tests: venues, layouts and a clock the test moves."""

from __future__ import annotations

import hashlib

from lml.catalog.domain.venue import LayoutPin, LayoutSeat, LayoutSnapshot, LayoutZone, VenueSnapshot

ORG = "0190a000-0000-7000-8000-000000000001"
OTHER_ORG = "0190a000-0000-7000-8000-000000000002"
VENUE = VenueSnapshot(venue_id="v-1", name="Main Hall", city="Springfield", country="US", timezone="America/New_York")


def seat_id(layout_id: str, section: str, row: str, number: int) -> str:
    return hashlib.sha256(f"{layout_id}_{section}_{row}_{number}".encode()).hexdigest()[:16]


def make_layout(
    layout_id: str = "lay-1",
    *,
    sections: dict[str, dict[str, int]] | None = None,
    zones: dict[str, int] | None = None,
    version: int = 1,
    venue_id: str = VENUE.venue_id,
) -> LayoutSnapshot:
    """`sections`: section → row → number of seats."""
    sections = {"A": {"1": 4, "2": 4}, "B": {"1": 3}} if sections is None else sections
    seats = tuple(
        LayoutSeat(seat_id=seat_id(layout_id, section, row, n), section=section, row=row, number=str(n))
        for section, rows in sections.items() for row, count in rows.items() for n in range(1, count + 1)
    )
    zone_list = tuple(LayoutZone(zone_id=z, name=z.title(), capacity=c) for z, c in (zones or {}).items())
    return LayoutSnapshot(pin=LayoutPin(layout_id=layout_id, version=version, hash=f"h-{layout_id}-{version}"),
                          venue_id=venue_id, seats=seats, zones=zone_list)
