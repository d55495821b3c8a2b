"""The catalog's VenueDirectory port, served by the venues context's facade."""

from __future__ import annotations

from lml.catalog.application.ports import LayoutUnavailable, VenueUnavailable
from lml.catalog.domain.venue import LayoutPin, LayoutSeat, LayoutSnapshot, LayoutZone, VenueSnapshot
from lml.platform.domain.errors import FieldError
from lml.venues import facade as venues


def _snapshot(layout: venues.PublishedLayout) -> LayoutSnapshot:
    return LayoutSnapshot(
        pin=LayoutPin(layout_id=layout.layout_id, version=layout.version, hash=layout.hash),
        venue_id=layout.venue_id,
        seats=tuple(LayoutSeat(seat_id=s.seat_id, section=s.section, row=s.row, number=str(s.number), x=s.x, y=s.y,
                               rank=s.rank)
                    for s in layout.seats),
        zones=tuple(LayoutZone(zone_id=z.zone_id, name=z.name, capacity=z.capacity) for z in layout.zones),
        focal_point=layout.focal_point, viewport=layout.viewport,
    )


class FacadeVenueDirectory:
    def __init__(self, venues: venues.VenuesFacade) -> None:
        self._venues = venues

    async def venue(self, org_id: str, venue_id: str) -> VenueSnapshot:
        try:
            info = await self._venues.get_venue(org_id=org_id, venue_id=venue_id)
        except venues.VenueNotFound:
            raise VenueUnavailable(FieldError("/venue_id", "is not a venue of this organization")) from None
        return VenueSnapshot(venue_id=info.venue_id, name=info.name, city=info.city, country=info.country,
                             timezone=info.timezone)

    async def published_layout(self, org_id: str, layout_id: str, version: int | None) -> LayoutSnapshot:
        try:
            return _snapshot(await self._venues.get_published_layout(org_id=org_id, layout_id=layout_id,
                                                               version=version))
        except venues.LayoutNotFound:
            if version is not None and await self._has_published_version(org_id, layout_id):
                raise LayoutUnavailable(FieldError("/layout_version", f"the layout has no version {version}")) from None
            raise LayoutUnavailable(FieldError("/layout_id", "is not a layout of this organization")) from None
        except venues.LayoutNotPublished:
            field = "/layout_version" if version is not None else "/layout_id"
            what = f"version {version} is not published" if version else "the layout has no published version"
            raise LayoutUnavailable(FieldError(field, what)) from None

    async def _has_published_version(self, org_id: str, layout_id: str) -> bool:
        try:
            await self._venues.get_published_layout(org_id=org_id, layout_id=layout_id)
        except (venues.LayoutNotFound, venues.LayoutNotPublished):
            return False
        return True

    async def pinned_layout(self, org_id: str, pin: LayoutPin) -> LayoutSnapshot:
        try:
            pinned = await self._venues.get_pinned_layout(layout_id=pin.layout_id, version=pin.version,
                                                    hash=pin.hash)
        except venues.LayoutNotFound:
            raise LayoutUnavailable(FieldError("/layout_id", "the pinned layout version is gone")) from None
        except venues.LayoutIntegrityError:
            # Not the seat map the show pinned (another hash), or one altered since: either way the
            # show's version can no longer be read (venues logged which).
            raise LayoutUnavailable(
                FieldError("/layout_id", "the pinned layout version fails its integrity check")) from None
        if pinned.org_id != org_id:
            raise LayoutUnavailable(FieldError("/layout_id", "is not a layout of this organization"))
        return _snapshot(pinned.layout)
