"""What catalog and seating call on venues, on the real stores: pinned versions, named errors, integrity."""

from __future__ import annotations

import hashlib

import pytest

from lml.container import Container
from lml.platform.resources import Resources
from lml.venues import facade
from lml.venues.application.edit_layouts import start_version
from lml.venues.facade import VenuesFacade
from lml.venues.infrastructure.mongo_layouts import VERSIONS
from tests.fixtures.venues import MakePublishedLayout, MakeVenue


@pytest.fixture
def venues(container: Container) -> VenuesFacade:
    return container.venues_facade


async def test_a_venue_is_read_by_its_organization_only(
    resources: Resources, make_venue: MakeVenue, venues: VenuesFacade
) -> None:
    venue = await make_venue(city="Paris", country="FR", timezone="Europe/Paris")
    other = await make_venue()
    info = await venues.get_venue(org_id=venue.org_id, venue_id=venue.venue_id)
    assert (info.city, info.country, info.timezone, info.org_id) == ("Paris", "FR", "Europe/Paris", venue.org_id)
    with pytest.raises(facade.VenueNotFound):
        await venues.get_venue(org_id=other.org_id, venue_id=venue.venue_id)


async def test_the_published_layout_lists_every_seat_and_zone(
    resources: Resources, make_published_layout: MakePublishedLayout, venues: VenuesFacade
) -> None:
    layout = await make_published_layout(seats=25, sections=2, zones={"floor": 300, "pit": 50})
    read = await venues.get_published_layout(org_id=layout.org_id, layout_id=layout.layout_id,
                                             version=None)
    assert (read.version, read.hash, read.layout_type, read.venue_id) == (1, layout.hash, "hybrid", layout.venue_id)
    assert len(read.seats) == len({s.seat_id for s in read.seats}) == 25
    assert {s.section for s in read.seats} == {"A", "B"}
    assert [(z.zone_id, z.capacity) for z in read.zones] == [("floor", 300), ("pit", 50)]
    venue = await venues.get_venue(org_id=layout.org_id, venue_id=layout.venue_id)
    assert (venue.seat_capacity, venue.standing_capacity) == (25, 350)


async def test_errors_are_named_for_a_missing_or_unpublished_version(
    resources: Resources, make_published_layout: MakePublishedLayout, make_venue: MakeVenue,
    container: Container, venues: VenuesFacade,
) -> None:
    layout = await make_published_layout()
    await start_version(container.venues.stores, org_id=layout.org_id, venue_id=layout.venue_id,
                        layout_id=layout.layout_id)
    with pytest.raises(facade.LayoutNotPublished):
        await venues.get_published_layout(org_id=layout.org_id, layout_id=layout.layout_id, version=2)
    with pytest.raises(facade.LayoutNotFound):
        await venues.get_published_layout(org_id=layout.org_id, layout_id=layout.layout_id, version=3)
    with pytest.raises(facade.LayoutNotFound):
        await venues.get_published_layout(org_id=layout.org_id, layout_id="no-such-layout")
    stranger = await make_venue()
    with pytest.raises(facade.LayoutNotFound):
        await venues.get_published_layout(org_id=stranger.org_id, layout_id=layout.layout_id)
    latest = await venues.get_published_layout(org_id=layout.org_id, layout_id=layout.layout_id)
    assert latest.version == 1  # the draft is not the latest *published* version


async def test_a_pinned_version_comes_with_its_export_which_hashes_to_the_pin(
    resources: Resources, make_published_layout: MakePublishedLayout, venues: VenuesFacade
) -> None:
    layout = await make_published_layout(seats=12)
    pinned = await venues.get_pinned_layout(layout_id=layout.layout_id, version=1, hash=layout.hash)
    assert hashlib.sha256(pinned.export).hexdigest() == layout.hash
    assert pinned.org_id == layout.org_id and pinned.layout.seats == layout.seats
    with pytest.raises(facade.LayoutIntegrityError):
        await venues.get_pinned_layout(layout_id=layout.layout_id, version=1, hash="f" * 64)
    with pytest.raises(facade.LayoutNotFound):
        await venues.get_pinned_layout(layout_id=layout.layout_id, version=2, hash=layout.hash)


async def test_a_layout_altered_in_mongodb_behind_our_back_is_refused(
    resources: Resources, make_published_layout: MakePublishedLayout, venues: VenuesFacade
) -> None:
    layout = await make_published_layout(seats=12)
    await resources.mongo.db[VERSIONS].update_one(
        {"layout_id": layout.layout_id, "version": 1}, {"$set": {"content.name": "Sold twice"}}
    )
    with pytest.raises(facade.LayoutIntegrityError):
        await venues.get_published_layout(org_id=layout.org_id, layout_id=layout.layout_id)
    with pytest.raises(facade.LayoutIntegrityError):
        await venues.get_pinned_layout(layout_id=layout.layout_id, version=1, hash=layout.hash)


async def test_the_demo_venues_are_seeded_once(
    resources: Resources, make_venue: MakeVenue, venues: VenuesFacade
) -> None:
    org_id = (await make_venue()).org_id
    first = await venues.seed_demo_venues(org_id=org_id)
    second = await venues.seed_demo_venues(org_id=org_id)
    assert first == second
    theatre, club = first
    assert (theatre.name, theatre.seat_count, theatre.zone_capacity) == ("Lyric Theatre", 1232, 0)
    assert (club.name, club.seat_count, club.zone_capacity) == ("Basement Club", 40, 300)
    assert len(await venues.list_venues(org_id=org_id)) == 3
    pinned = await venues.get_pinned_layout(layout_id=theatre.layout_id, version=1,
                                            hash=theatre.layout_hash)
    assert len(pinned.layout.seats) == 1232
