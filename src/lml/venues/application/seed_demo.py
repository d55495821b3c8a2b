"""Demo venues with published layouts, idempotent: run it again and it finds what it made."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from lml.venues.application.demo_layouts import club_layout, theatre_layout
from lml.venues.application.edit_layouts import create_layout
from lml.venues.application.manage_venues import create_venue
from lml.venues.application.ports import Stores
from lml.venues.application.publish_layout import publish_layout
from lml.venues.application.read_layouts import list_layouts
from lml.venues.domain.errors import VenueNameTaken
from lml.venues.domain.layout import LayoutDraft
from lml.venues.domain.layout_version import LayoutVersion, latest
from lml.venues.domain.venue import Venue, VenueDraft


class DemoVenue(msgspec.Struct, frozen=True, kw_only=True):
    venue_id: str
    name: str
    layout_id: str
    layout_version: int
    layout_hash: str
    seat_count: int
    zone_capacity: int


_DEMO: list[tuple[VenueDraft, Callable[[], LayoutDraft]]] = [
    (
        VenueDraft(name="Lyric Theatre", address="29 Shaftesbury Avenue", city="London", country="GB",
                   timezone="Europe/London"),
        theatre_layout,
    ),
    (
        VenueDraft(name="Basement Club", address="12 Rue Oberkampf", city="Paris", country="FR",
                   timezone="Europe/Paris"),
        club_layout,
    ),
]


async def _venue(stores: Stores, org_id: str, draft: VenueDraft) -> Venue:
    async with stores.uow(org_id) as uow:
        found = await uow.venues.by_name(draft.name)
    if found is not None:
        return found
    try:
        return await create_venue(stores, org_id=org_id, draft=draft)
    except VenueNameTaken:  # another seeder got there first
        async with stores.uow(org_id) as uow:
            again = await uow.venues.by_name(draft.name)
        if again is None:
            raise
        return again


async def _published(stores: Stores, org_id: str, venue: Venue, layout: LayoutDraft) -> LayoutVersion:
    for history in await list_layouts(stores, org_id=org_id, venue_id=venue.venue_id):
        newest = latest(history.versions)
        if newest is not None and newest.name == layout.name:
            return latest(history.versions, "published") or await publish_layout(
                stores, org_id=org_id, venue_id=venue.venue_id, layout_id=history.layout_id
            )
    created = await create_layout(stores, org_id=org_id, venue_id=venue.venue_id, draft=layout)
    return await publish_layout(stores, org_id=org_id, venue_id=venue.venue_id, layout_id=created.record.layout_id)


async def seed_demo_venues(stores: Stores, *, org_id: str) -> list[DemoVenue]:
    seeded = []
    for venue_draft, make_layout in _DEMO:
        venue = await _venue(stores, org_id, venue_draft)
        published = await _published(stores, org_id, venue, make_layout())
        seeded.append(
            DemoVenue(
                venue_id=venue.venue_id,
                name=venue.name,
                layout_id=published.layout_id,
                layout_version=published.version,
                layout_hash=published.hash or "",
                seat_count=published.seat_count,
                zone_capacity=published.zone_capacity,
            )
        )
    return seeded
