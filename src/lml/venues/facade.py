"""What other contexts (and the composition root, the demo seeder) may call on venues: a
`VenuesFacade`, built by the composition root over venues' services.

    venue = await venues.get_venue(org_id=..., venue_id=...)                          # VenueInfo
    layout = await venues.get_published_layout(org_id=..., layout_id=..., version=None)
    pinned = await venues.get_pinned_layout(layout_id=..., version=..., hash=...)

Errors (all `lml.platform.domain.errors` subclasses, mapped to problems by base class):
`VenueNotFound` / `LayoutNotFound` (NotFound) — no such venue, layout or version in that organization;
`LayoutNotPublished` (Conflict) — the version is a draft or archived, or the layout has no published
version yet; `LayoutIntegrityError` (Conflict) — the stored seat map no longer matches its hash and is
not served. A published version never changes: (`layout_id`, `version`, `hash`) names one seat map forever.
"""

from __future__ import annotations

import msgspec

from lml.venues.application import manage_venues, read_layouts, seed_demo
from lml.venues.application.seed_demo import DemoVenue
from lml.venues.domain.errors import (
    LayoutIntegrityError,
    LayoutNotFound,
    LayoutNotPublished,
    VenueNotFound,
)
from lml.venues.domain.layout import DEFAULT_FOCAL_POINT, LayoutContent, LayoutType
from lml.venues.domain.venue import Venue
from lml.venues.infrastructure.mongo_layouts import ensure_venues_collections
from lml.venues.infrastructure.services import VenuesServices

__all__ = [
    "DemoVenue",
    "LayoutIntegrityError",
    "LayoutNotFound",
    "LayoutNotPublished",
    "PinnedLayout",
    "PublishedLayout",
    "SeatInfo",
    "VenueInfo",
    "VenueNotFound",
    "VenuesFacade",
    "VenuesServices",
    "ZoneInfo",
    "ensure_venues_collections",
]


class VenueInfo(msgspec.Struct, frozen=True, kw_only=True):
    venue_id: str
    org_id: str
    name: str
    address: str
    city: str
    country: str | None
    timezone: str
    seat_capacity: int
    standing_capacity: int


class SeatInfo(msgspec.Struct, frozen=True, kw_only=True):
    seat_id: str
    section: str
    row: str
    number: int
    x: float
    y: float
    category: str | None
    accessible: bool
    obstructed_view: bool
    rank: int | None  # the layout's own rank of the seat (lower is better), if it gives one


class ZoneInfo(msgspec.Struct, frozen=True, kw_only=True):
    zone_id: str
    name: str
    capacity: int


class PublishedLayout(msgspec.Struct, frozen=True, kw_only=True):
    layout_id: str
    version: int
    hash: str
    venue_id: str
    name: str
    layout_type: LayoutType
    seat_count: int
    zone_capacity: int
    seats: list[SeatInfo]
    zones: list[ZoneInfo]
    focal_point: tuple[float, float]  # normalized x, y; the top centre when the layout names none
    viewport: tuple[float, float]  # width, height: seats' x and y scale by these to measure distances


class PinnedLayout(msgspec.Struct, frozen=True, kw_only=True):
    """A published layout and its export: canonical JSON bytes (`application/json`) whose SHA-256 is
    `layout.hash`, ready to serve as a seat map with `ETag: "<hash>"`."""

    layout: PublishedLayout
    org_id: str
    export: bytes


def _venue_info(venue: Venue) -> VenueInfo:
    return VenueInfo(
        venue_id=venue.venue_id, org_id=venue.org_id, name=venue.name, address=venue.address, city=venue.city,
        country=venue.country, timezone=venue.timezone, seat_capacity=venue.seat_capacity,
        standing_capacity=venue.standing_capacity,
    )


def _published_layout(content: LayoutContent, content_hash: str, venue_id: str) -> PublishedLayout:
    focal = content.focal_point or DEFAULT_FOCAL_POINT
    return PublishedLayout(
        layout_id=content.layout_id,
        version=content.version,
        hash=content_hash,
        venue_id=venue_id,
        name=content.name,
        layout_type=content.layout_type,
        seat_count=content.seat_count,
        zone_capacity=content.zone_capacity,
        seats=[
            SeatInfo(
                seat_id=seat.seat_id, section=section.label, row=row.label, number=seat.number, x=seat.x, y=seat.y,
                category=seat.category, accessible=seat.accessible, obstructed_view=seat.obstructed_view,
                rank=seat.rank,
            )
            for section, row, seat in content.seats()
        ],
        zones=[ZoneInfo(zone_id=zone.zone_id, name=zone.name, capacity=zone.capacity) for zone in content.zones],
        focal_point=(focal.x, focal.y),
        viewport=(content.viewport.width, content.viewport.height),
    )


class VenuesFacade:
    def __init__(self, services: VenuesServices) -> None:
        self._stores = services.stores

    async def get_venue(self, *, org_id: str, venue_id: str) -> VenueInfo:
        """Raises `VenueNotFound` (also for another organization's venue)."""
        return _venue_info(await manage_venues.get_venue(self._stores, org_id=org_id, venue_id=venue_id))

    async def list_venues(self, *, org_id: str) -> list[VenueInfo]:
        return [_venue_info(v) for v in await manage_venues.list_venues(self._stores, org_id=org_id)]

    async def get_published_layout(self, *, org_id: str, layout_id: str, version: int | None = None) -> PublishedLayout:
        """A version a new show may pin: published, neither draft nor archived; `version=None` is the
        latest published one. Raises `LayoutNotFound`, `LayoutNotPublished` or `LayoutIntegrityError`."""
        view = await read_layouts.published_layout(self._stores, org_id=org_id, layout_id=layout_id, version=version)
        return _published_layout(view.content, view.record.hash or "", view.record.venue_id)

    async def get_pinned_layout(self, *, layout_id: str, version: int, hash: str) -> PinnedLayout:
        """A pinned version for public reads (no organization), archived or not: shows that pinned it
        keep it. Raises `LayoutNotFound` or `LayoutIntegrityError` (also when `hash` is not the version's)."""
        view = await read_layouts.pinned_layout(self._stores.documents, layout_id=layout_id, version=version,
                                                content_hash=hash)
        return PinnedLayout(layout=_published_layout(view.content, hash, view.venue_id), org_id=view.org_id,
                            export=view.body)

    async def seed_demo_venues(self, org_id: str) -> list[DemoVenue]:
        """A theatre (1,232 seats: stalls, circle, boxes) and a hybrid club room (standing floor of 300
        and a 40-seat balcony), each with a published layout. Idempotent: found by name when run again."""
        return await seed_demo.seed_demo_venues(self._stores, org_id=org_id)
