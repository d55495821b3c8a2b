"""Create venues and read them back."""

from __future__ import annotations

from lml.platform.ids import new_id
from lml.venues.application.ports import Stores
from lml.venues.domain.errors import VenueNotFound
from lml.venues.domain.venue import Venue, VenueDraft, new_venue
from lml.venues.events import VenueCreated


async def create_venue(stores: Stores, *, org_id: str, draft: VenueDraft) -> Venue:
    venue = new_venue(new_id(), org_id, draft, stores.clock.now())
    async with stores.uow(org_id) as uow:
        await uow.venues.add(venue)
        await uow.publish(
            VenueCreated(org_id=org_id, venue_id=venue.venue_id, name=venue.name, city=venue.city,
                         country=venue.country, timezone=venue.timezone)
        )
        await uow.commit()
    return venue


async def get_venue(stores: Stores, *, org_id: str, venue_id: str) -> Venue:
    async with stores.uow(org_id) as uow:
        venue = await uow.venues.get(venue_id)
    if venue is None:
        raise VenueNotFound()
    return venue


async def list_venues(stores: Stores, *, org_id: str) -> list[Venue]:
    async with stores.uow(org_id) as uow:
        return await uow.venues.list()
