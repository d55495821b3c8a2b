"""Venues' unit of work, one contract run against the fake the unit tests use (`FakeDatabase`) and
against PostgreSQL (`PgVenuesTransactions`, under row-level security, with the outbox).

It pins down what venues' use cases rely on: venues and layout versions come back as stored, to
their organization only, in a stable order; names are unique per organization in any case; a
layout takes one draft at a time and each version once; writes to rows that are not there (or not
the organization's) change nothing; nothing is kept or published without commit, and units of
work that overlap each keep what they commit; a locking read of a layout waits for its holder
and sees what it committed (writers of one layout queue up)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from lml.container import Container
from lml.platform.ids import new_id
from lml.platform.outbox import event_type_of
from lml.venues.application.ports import UnitOfWorkFactory
from lml.venues.application.testing import FakeDatabase
from lml.venues.domain.errors import DraftAlreadyOpen, VenueNameTaken
from lml.venues.domain.layout_version import LayoutVersion
from lml.venues.domain.venue import Venue, VenueDraft, new_venue
from lml.venues.events import VenueCreated
from tests.integration.recorded_events import recorded_event_types
from tests.timing import eventually, waiting_for_a_lock

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


@dataclass(frozen=True)
class Store:
    """One implementation, and what a test can tell of it besides the port."""

    uow: UnitOfWorkFactory
    delivered: Callable[[], Awaitable[list[str]]]  # venues' events recorded for delivery, oldest first
    waiting: Callable[[], Awaitable[bool]]  # whether some unit of work waits for a layout another one locked


def _in_memory() -> Store:
    database = FakeDatabase()

    async def delivered() -> list[str]:
        return [event_type_of(event) for event in database.state.events]

    async def waiting() -> bool:
        return database.lock_waiters > 0

    return Store(uow=database, delivered=delivered, waiting=waiting)


def _postgresql(container: Container) -> Store:
    resources = container.resources

    async def delivered() -> list[str]:
        return await recorded_event_types(resources.db, "venues")

    async def waiting() -> bool:
        return await waiting_for_a_lock(resources, "transactionid")

    return Store(uow=container.venues.stores.uow, delivered=delivered, waiting=waiting)


@pytest.fixture(params=["memory", "postgresql"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "memory":
        return _in_memory()
    return _postgresql(request.getfixturevalue("container"))


def a_venue(org_id: str, name: str = "Lyric", *, at: datetime = NOW) -> Venue:
    return new_venue(new_id(), org_id, VenueDraft(name=name, city="London", timezone="Europe/London", country="GB"), at)


def a_draft(venue: Venue, *, layout_id: str | None = None, version: int = 1, at: datetime = NOW) -> LayoutVersion:
    return LayoutVersion(layout_id=layout_id or new_id(), venue_id=venue.venue_id, version=version, status="draft",
                         name="Main Hall", layout_type="seated", seat_count=6 * version, zone_capacity=0,
                         created_at=at, updated_at=at)


def published(version: LayoutVersion) -> LayoutVersion:
    return version.publish(f"{version.version:x}" * 64, LATER)


async def keep(store: Store, org_id: str, *venues: Venue, layouts: tuple[LayoutVersion, ...] = ()) -> None:
    """Venues, then new layouts with their first version, stored by `org_id` and committed."""
    async with store.uow(org_id) as uow:
        for venue in venues:
            await uow.venues.add(venue)
        for layout in layouts:
            await uow.layouts.add(layout)
        await uow.commit()


# Venues


async def test_a_venue_is_found_by_id_and_by_name_in_any_case_by_its_organization_only(store: Store) -> None:
    org = new_id()
    venue = a_venue(org)
    await keep(store, org, venue)
    async with store.uow(org) as uow:
        assert await uow.venues.get(venue.venue_id) == venue
        assert await uow.venues.by_name("LYRIC") == venue
        assert await uow.venues.by_name("Apollo") is None
        assert await uow.venues.get(new_id()) is None
        assert await uow.venues.get("not-an-id") is None
    async with store.uow(new_id()) as uow:
        assert await uow.venues.get(venue.venue_id) is None
        assert await uow.venues.by_name("Lyric") is None
        assert await uow.venues.list() == []


async def test_a_second_venue_of_a_name_is_refused_in_any_case_and_the_transaction_goes_on(store: Store) -> None:
    org, other = new_id(), new_id()
    first, apollo = a_venue(org), a_venue(org, "Apollo")
    async with store.uow(org) as uow:
        await uow.venues.add(first)
        with pytest.raises(VenueNameTaken):
            await uow.venues.add(a_venue(org, "LYRIC"))
        await uow.venues.add(apollo)
        await uow.commit()
    await keep(store, other, a_venue(other))  # the name is taken in one organization only
    async with store.uow(org) as uow:
        assert {v.venue_id for v in await uow.venues.list()} == {first.venue_id, apollo.venue_id}


async def test_venues_are_listed_by_creation_then_id(store: Store) -> None:
    org = new_id()
    venues = [a_venue(org, name, at=at) for name, at in (("Late", LATER), ("Early", NOW), ("Twin", NOW))]
    await keep(store, org, *venues)
    async with store.uow(org) as uow:
        listed = await uow.venues.list()
    assert listed == sorted(venues, key=lambda v: (v.created_at, v.venue_id))


async def test_saving_a_capacity_changes_only_the_capacity_of_the_organizations_own_venue(store: Store) -> None:
    org = new_id()
    venue = a_venue(org)
    await keep(store, org, venue)
    grown = msgspec.structs.replace(venue, seat_capacity=30, standing_capacity=200)
    async with store.uow(org) as uow:
        await uow.venues.save_capacity(msgspec.structs.replace(grown, name="Renamed", city="Leeds"))
        await uow.venues.save_capacity(a_venue(org, "Never stored"))
        await uow.commit()
    intruder = new_id()
    async with store.uow(intruder) as uow:
        await uow.venues.save_capacity(msgspec.structs.replace(venue, org_id=intruder, seat_capacity=1))
        await uow.commit()
    async with store.uow(org) as uow:
        assert await uow.venues.list() == [grown]


# Layouts


async def test_a_layouts_versions_come_back_oldest_first_in_their_venue_and_organization_only(
    store: Store,
) -> None:
    org = new_id()
    venue, elsewhere = a_venue(org), a_venue(org, "Apollo")
    first = a_draft(venue)
    await keep(store, org, venue, elsewhere, layouts=(first,))
    second = a_draft(venue, layout_id=first.layout_id, version=2, at=LATER)
    async with store.uow(org) as uow:
        await uow.layouts.save_version(published(first))
        await uow.layouts.add_version(second)
        await uow.commit()
    layout_id = first.layout_id
    async with store.uow(org) as uow:
        assert await uow.layouts.versions(layout_id) == [published(first), second]
        assert await uow.layouts.versions(layout_id, venue_id=venue.venue_id) == [published(first), second]
        assert await uow.layouts.versions(layout_id, venue_id=elsewhere.venue_id) == []
        assert await uow.layouts.versions(layout_id, venue_id="not-an-id") == []
        assert await uow.layouts.versions(new_id()) == []
        assert await uow.layouts.versions("not-an-id") == []
    async with store.uow(new_id()) as uow:
        assert await uow.layouts.versions(layout_id) == []
        assert await uow.layouts.of_venue(venue.venue_id) == []


async def test_a_venues_layouts_are_listed_by_creation_then_id_each_with_its_versions(store: Store) -> None:
    org = new_id()
    venue, elsewhere = a_venue(org), a_venue(org, "Apollo")
    late, early, twin = a_draft(venue, at=LATER), a_draft(venue), a_draft(venue)
    await keep(store, org, venue, elsewhere, layouts=(late, early, twin, a_draft(elsewhere)))
    later_version = a_draft(venue, layout_id=early.layout_id, version=2, at=LATER)
    async with store.uow(org) as uow:
        await uow.layouts.save_version(published(early))
        await uow.layouts.add_version(later_version)
        await uow.commit()
    in_order = sorted([late, early, twin], key=lambda v: (v.created_at, v.layout_id))
    expected = [v for layout in in_order for v in ((published(early), later_version) if layout is early else (layout,))]
    async with store.uow(org) as uow:
        assert await uow.layouts.of_venue(venue.venue_id) == expected
        assert await uow.layouts.of_venue(new_id()) == []
        assert await uow.layouts.of_venue("42") == []


async def test_a_layout_takes_one_draft_at_a_time_and_each_version_once(store: Store) -> None:
    org = new_id()
    venue = a_venue(org)
    first = a_draft(venue)
    await keep(store, org, venue, layouts=(first,))
    second = a_draft(venue, layout_id=first.layout_id, version=2)
    async with store.uow(org) as uow:
        with pytest.raises(DraftAlreadyOpen):
            await uow.layouts.add_version(second)
        await uow.layouts.save_version(published(first))
        with pytest.raises(DraftAlreadyOpen):  # version 1 exists, published
            await uow.layouts.add_version(a_draft(venue, layout_id=first.layout_id))
        await uow.layouts.add_version(second)
        await uow.commit()
    async with store.uow(org) as uow:
        assert await uow.layouts.versions(first.layout_id) == [published(first), second]


async def test_saving_a_version_changes_only_an_existing_version_of_the_organization(store: Store) -> None:
    org = new_id()
    venue = a_venue(org)
    first = a_draft(venue)
    await keep(store, org, venue, layouts=(first,))
    async with store.uow(org) as uow:
        await uow.layouts.save_version(a_draft(venue, layout_id=first.layout_id, version=5))
        await uow.commit()
    async with store.uow(new_id()) as uow:
        await uow.layouts.save_version(published(first))
        await uow.commit()
    async with store.uow(org) as uow:
        assert await uow.layouts.versions(first.layout_id) == [first]


# Transactions


async def test_nothing_is_kept_or_published_without_commit(store: Store) -> None:
    org = new_id()
    venue = a_venue(org)
    layout = a_draft(venue)
    created = VenueCreated(org_id=org, venue_id=venue.venue_id, name=venue.name, city=venue.city,
                           country=venue.country, timezone=venue.timezone)
    async with store.uow(org) as uow:
        await uow.venues.add(venue)
        await uow.layouts.add(layout)
        await uow.publish(created)
    async with store.uow(org) as uow:
        assert await uow.venues.get(venue.venue_id) is None
        assert await uow.layouts.versions(layout.layout_id) == []
    assert await store.delivered() == []
    async with store.uow(org) as uow:
        await uow.venues.add(venue)
        await uow.publish(created)
        await uow.commit()
    assert await store.delivered() == ["venues.VenueCreated"]


async def test_units_of_work_that_overlap_each_keep_what_they_commit_and_see_only_what_is_committed(
    store: Store,
) -> None:
    org = new_id()
    first, second, dropped = a_venue(org, "First"), a_venue(org, "Second"), a_venue(org, "Dropped")
    async with store.uow(org) as one:
        await one.venues.add(first)
        async with store.uow(org) as two:
            assert await two.venues.get(first.venue_id) is None
            await two.venues.add(second)
            async with store.uow(org) as three:
                await three.venues.add(dropped)
            await two.commit()
        assert await one.venues.get(second.venue_id) == second  # committed meanwhile: read committed
        await one.commit()
    async with store.uow(org) as uow:
        assert {v.venue_id for v in await uow.venues.list()} == {first.venue_id, second.venue_id}


async def test_a_locking_read_of_a_layout_waits_for_its_holder_and_sees_what_it_committed(store: Store) -> None:
    org = new_id()
    venue = a_venue(org)
    layout = a_draft(venue)
    await keep(store, org, venue, layouts=(layout,))

    async def versions(org_id: str, *, lock: bool) -> list[LayoutVersion]:
        async with store.uow(org_id) as uow:
            return await uow.layouts.versions(layout.layout_id, lock=lock)

    async with store.uow(org) as holder:
        assert await holder.layouts.versions(layout.layout_id, lock=True) == [layout]
        await holder.layouts.save_version(published(layout))
        assert await versions(new_id(), lock=True) == []  # another organization's layout: nothing to wait for
        assert await versions(org, lock=False) == [layout]  # a plain read does not wait
        waiter = asyncio.create_task(versions(org, lock=True))
        await eventually(store.waiting, what="the second writer waits for the layout")
        await holder.commit()
    assert await waiter == [published(layout)]
