"""The catalog's unit of work, one contract run against the in-memory fake the unit tests use
(`InMemoryCatalog`) and against the real one (`PgCatalog`: PostgreSQL under row-level security,
seating's inventory through its facade, the outbox, the public cache).

It pins down what the use cases rely on: rows come back as stored, to their organization only (a
buyer's unit of work, acting as none, reads published events and their shows); listings are
ordered; nothing is kept, published or dropped from public caches without commit, and nobody sees
a change before it commits; a locked read waits for the holder and sees what it committed; the
inventory is made once, counted, blocked seat by seat all or none, and refused as seating refuses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from lml.catalog.application.ports import CatalogUnitOfWork, InventorySummary, InventoryTally, UnitOfWorkFactory
from lml.catalog.application.testing import InMemoryCatalog
from lml.catalog.domain.event import Event, EventChanges
from lml.catalog.domain.pricing import Fee, PriceTier, PricingRule
from lml.catalog.domain.show import InventoryPlan, PlannedSeat, PlannedZone, Show
from lml.catalog.domain.venue import LayoutPin, VenueSnapshot
from lml.catalog.events import EventCancelled, ShowCancelled
from lml.catalog.infrastructure.public_cache import Fresh
from lml.container import Container
from lml.platform.domain.errors import Conflict, InvalidInput, NotFound
from lml.platform.ids import new_id
from lml.platform.outbox import event_type_of
from tests.integration.recorded_events import recorded_event_types
from tests.timing import eventually, waiting_for_a_lock

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
VENUE = VenueSnapshot(venue_id="0190a000-0000-7000-8000-00000000c0de", name="Main Hall", city="Leeds",
                      country="GB", timezone="Europe/London")
PIN = LayoutPin(layout_id="0190a000-0000-7000-8000-00000000beef", version=1, hash="ab" * 32)
# s3 is blocked with a tier, s4 blocked and never priced (it cannot be released before it is).
PLAN = InventoryPlan(
    seats=[PlannedSeat("s1", "std", False), PlannedSeat("s2", "std", False), PlannedSeat("s3", "std", True),
           PlannedSeat("s4", None, True)],
    zones=[PlannedZone("floor", "ga", 100)],
)


@dataclass(frozen=True)
class Catalog:
    """One implementation, and what a test can tell of it besides the port."""

    uow: UnitOfWorkFactory
    # The catalog's events recorded for delivery (`catalog.ShowCancelled`), oldest first.
    delivered: Callable[[], Awaitable[list[str]]]
    # A mark per public cache name (`event:<id>`, `show:<id>`) that changes once the cache drops it.
    cache_marks: Callable[[Sequence[str]], Awaitable[dict[str, object]]]
    # Whether some unit of work waits for a row another one locked.
    waiting: Callable[[], Awaitable[bool]]


def _in_memory() -> Catalog:
    fake = InMemoryCatalog()

    async def delivered() -> list[str]:
        return [event_type_of(event) for event in fake.state.outbox]

    async def cache_marks(names: Sequence[str]) -> dict[str, object]:
        touched = [{f"event:{event_id}", *(f"show:{s}" for s in show_ids)} for event_id, show_ids in fake.state.touched]
        return {name: sum(name in names_touched for names_touched in touched) for name in names}

    async def waiting() -> bool:
        return fake.lock_waiters > 0

    return Catalog(uow=fake, delivered=delivered, cache_marks=cache_marks, waiting=waiting)


def _postgresql(container: Container) -> Catalog:
    resources, cache = container.resources, container.catalog.public_cache

    async def delivered() -> list[str]:
        return await recorded_event_types(resources.db, "catalog")

    async def fresh() -> Fresh:
        return Fresh(new_id().encode(), 60)

    async def cache_marks(names: Sequence[str]) -> dict[str, object]:
        # A read caches a new answer under the name's current version; it is read back until dropped.
        return {name: (await cache.read([name], "contract-probe", fresh)).body for name in names}

    async def waiting() -> bool:
        return await waiting_for_a_lock(resources, "transactionid")

    return Catalog(uow=container.catalog.ports.uow, delivered=delivered, cache_marks=cache_marks, waiting=waiting)


@pytest.fixture(params=["memory", "postgresql"])
def catalog(request: pytest.FixtureRequest) -> Catalog:
    if request.param == "memory":
        return _in_memory()
    return _postgresql(request.getfixturevalue("container"))


def an_event(org_id: str, *, title: str = "Gala", published: bool = False) -> Event:
    event = Event(event_id=new_id(), org_id=org_id, venue=VENUE, title=title, description="An evening",
                  category="concert", images=("https://img.example/gala.jpg",), created_at=NOW, updated_at=NOW)
    if published:
        event.publish(NOW)
    return event


def a_show(event: Event, *, starts_in: timedelta = timedelta(days=30), on_sale: bool = False) -> Show:
    starts_at = NOW + starts_in
    show = Show(
        show_id=new_id(), event_id=event.event_id, org_id=event.org_id, starts_at=starts_at,
        doors_at=starts_at - timedelta(hours=1), layout=PIN, currency="USD",
        tiers=(PriceTier(tier_id="std", name="Standard", price=5000, fees=(Fee(name="Booking", amount=150),)),
               PriceTier(tier_id="ga", name="Standing", price=2500)),
        pricing=(PricingRule(section="A", tier_id="std"), PricingRule(zone_id="floor", tier_id="ga")),
        on_sale_at=NOW + timedelta(days=1), off_sale_at=starts_at - timedelta(hours=2), max_seats_per_buyer=6,
        hold_seconds=600, created_at=NOW, updated_at=NOW, blocked_seat_ids=("s3",),
    )
    if on_sale:
        show.put_on_sale(event, NOW)
    return show


async def keep(catalog: Catalog, *rows: Event | Show) -> None:
    """Events and shows stored by their organization, committed."""
    for row in rows:
        async with catalog.uow(row.org_id) as uow:
            if isinstance(row, Event):
                await uow.events.add(row)
            else:
                await uow.shows.add(row)
            await uow.commit()


async def on_sale_with_inventory(catalog: Catalog, org_id: str) -> Show:
    event = an_event(org_id, published=True)
    show = a_show(event, on_sale=True)
    await keep(catalog, event, show)
    async with catalog.uow(org_id) as uow:
        await uow.inventory.materialize(show, PLAN)
        await uow.commit()
    return show


def seat_counts(available: int, blocked: int) -> InventoryTally:
    return InventoryTally(seats={"available": available, "blocked": blocked, "reserved": 0, "sold": 0}, zones=1,
                          zone_capacity=100, zone_remaining=100)


# Events and shows


async def test_an_event_comes_back_as_stored_and_only_to_its_organization(catalog: Catalog) -> None:
    org, other = new_id(), new_id()
    event = an_event(org, published=True)
    await keep(catalog, event)
    async with catalog.uow(org) as uow:
        assert await uow.events.get(event.event_id) == event
        assert await uow.events.get(event.event_id, for_update=True) == event
        assert await uow.events.get(new_id()) is None
        assert await uow.events.get("not-an-id") is None
    async with catalog.uow(other) as uow:
        assert await uow.events.get(event.event_id) is None
        assert await uow.events.of_organization(status=None, after=None, limit=10) == []


async def test_an_organizations_events_are_listed_newest_first_by_status_and_after_a_cursor(
    catalog: Catalog,
) -> None:
    org = new_id()
    events = [an_event(org, published=i % 2 == 0) for i in range(5)]
    await keep(catalog, *events, an_event(new_id()))
    newest_first = sorted((e.event_id for e in events), reverse=True)
    published = sorted((e.event_id for e in events if e.status == "published"), reverse=True)
    async with catalog.uow(org) as uow:
        listed = await uow.events.of_organization(status=None, after=None, limit=10)
        assert [e.event_id for e in listed] == newest_first
        page = await uow.events.of_organization(status=None, after=newest_first[1], limit=2)
        assert [e.event_id for e in page] == newest_first[2:4]
        assert [e.event_id for e in await uow.events.of_organization(status="published", after=None, limit=10)] == (
            published)


async def test_a_saved_change_and_its_revisions_come_back_oldest_first(catalog: Catalog) -> None:
    org = new_id()
    event = an_event(org, published=True)
    async with catalog.uow(org) as uow:
        await uow.events.add(event)
        first = event.revision_record(NOW, None)
        assert event.change(EventChanges(title="Gala, again"), venue=None, has_shows=False, now=LATER)
        await uow.events.add_revision(event.revision_record(LATER, new_id()))  # recorded before the first: no matter
        await uow.events.add_revision(first)
        await uow.events.save(event)
        await uow.commit()
    async with catalog.uow(org) as uow:
        assert await uow.events.get(event.event_id) == event
        revisions = await uow.events.revisions(event.event_id)
    assert [(r.revision, r.title) for r in revisions] == [(1, "Gala"), (2, "Gala, again")]
    assert revisions[0] == first


async def test_shows_come_back_with_their_tiers_in_order_of_start_and_only_to_their_organization(
    catalog: Catalog,
) -> None:
    org = new_id()
    event = an_event(org)
    late, early, twin = (a_show(event, starts_in=timedelta(days=days)) for days in (40, 10, 10))
    await keep(catalog, event, late, early, twin)
    late.tiers = (PriceTier(tier_id="vip", name="VIP", price=9000),)
    late.pricing = (PricingRule(section="A", row="1", tier_id="vip"),)
    late.updated_at = LATER
    async with catalog.uow(org) as uow:
        await uow.shows.save(late)
        await uow.commit()
    async with catalog.uow(org) as uow:
        assert await uow.shows.get(late.show_id) == late
        assert await uow.shows.get(new_id()) is None
        assert await uow.shows.get("not-an-id") is None
        assert await uow.shows.of_event(event.event_id) == sorted([late, early, twin],
                                                                  key=lambda s: (s.starts_at, s.show_id))
    async with catalog.uow(new_id()) as uow:
        assert await uow.shows.get(early.show_id) is None
        assert await uow.shows.of_event(event.event_id) == []


async def test_another_organization_changes_nothing_of_an_organizations_events_and_shows(catalog: Catalog) -> None:
    org, intruder = new_id(), new_id()
    event = an_event(org, published=True)
    show = a_show(event)
    await keep(catalog, event, show)
    async with catalog.uow(intruder) as uow:
        theirs = an_event(intruder, title="Hijacked", published=True)
        theirs.event_id = event.event_id
        await uow.events.save(theirs)
        await uow.events.add_revision(theirs.revision_record(LATER, None))
        taken = a_show(theirs)
        taken.show_id, taken.tiers = show.show_id, (PriceTier(tier_id="free", name="Free", price=0),)
        await uow.shows.save(taken)
        await uow.shows.save(a_show(theirs))  # a show nobody stored: nothing to change either
        assert await uow.events.revisions(event.event_id) == []
        await uow.commit()
    for reader in (org, None):  # neither the organization nor buyers see a trace of it
        async with catalog.uow(reader) as uow:
            assert await uow.events.get(event.event_id) == event
            assert await uow.shows.get(show.show_id) == show
    async with catalog.uow(org) as uow:
        assert [r.title for r in await uow.events.revisions(event.event_id)] == []


async def test_a_buyer_reads_published_events_and_their_shows_and_nothing_else(catalog: Catalog) -> None:
    org = new_id()
    published, draft = an_event(org, published=True), an_event(org)
    on_stage, announced = a_show(published), a_show(draft)
    await keep(catalog, published, draft, on_stage, announced)
    async with catalog.uow(None) as uow:
        assert await uow.events.get(published.event_id) == published
        assert await uow.events.get(draft.event_id) is None
        assert await uow.shows.get(on_stage.show_id) == on_stage
        assert await uow.shows.get(announced.show_id) is None
        assert await uow.shows.of_event(published.event_id) == [on_stage]
        assert await uow.events.revisions(published.event_id) == []  # an operator's history, not buyers'
        assert await uow.events.of_organization(status=None, after=None, limit=10) == []


# Transactions


async def test_nothing_is_kept_published_or_dropped_from_caches_without_commit(catalog: Catalog) -> None:
    org = new_id()
    event = an_event(org, published=True)
    show = a_show(event, on_sale=True)
    names = [f"event:{event.event_id}", f"show:{show.show_id}"]
    marks = await catalog.cache_marks(names)
    async with catalog.uow(org) as uow:
        await uow.events.add(event)
        await uow.events.add_revision(event.revision_record(NOW, None))
        await uow.shows.add(show)
        await uow.inventory.materialize(show, PLAN)
        await uow.publish(EventCancelled(event_id=event.event_id, org_id=org, at=NOW))
        uow.touched(event.event_id, [show.show_id])
    async with catalog.uow(org) as uow:
        assert await uow.events.get(event.event_id) is None
        assert await uow.events.revisions(event.event_id) == []
        assert await uow.shows.get(show.show_id) is None
        assert await uow.inventory.tally(show.show_id) is None
    assert await catalog.delivered() == []
    assert await catalog.cache_marks(names) == marks


async def test_what_is_published_and_touched_takes_effect_once_committed(catalog: Catalog) -> None:
    org = new_id()
    event, untouched = an_event(org), an_event(org)
    show = a_show(event)
    names = [f"event:{event.event_id}", f"show:{show.show_id}", f"event:{untouched.event_id}"]
    before = await catalog.cache_marks(names)
    async with catalog.uow(org) as uow:
        await uow.publish(ShowCancelled(show_id=show.show_id, event_id=event.event_id, org_id=org, at=NOW))
        await uow.publish(EventCancelled(event_id=event.event_id, org_id=org, at=NOW))
        uow.touched(event.event_id, [show.show_id])
        await uow.commit()
    assert await catalog.delivered() == ["catalog.ShowCancelled", "catalog.EventCancelled"]
    after = await catalog.cache_marks(names)
    assert [name for name in names if after[name] != before[name]] == names[:2]


async def test_nobody_sees_a_change_before_it_commits_and_a_rollback_undoes_only_its_own(catalog: Catalog) -> None:
    org = new_id()
    event = an_event(org)
    show, other = a_show(event), an_event(org, title="Committed meanwhile")
    await keep(catalog, event)
    async with catalog.uow(org) as writer:
        changed = await writer.events.get(event.event_id)
        assert changed is not None
        changed.title = "Not yet"
        await writer.events.save(changed)
        await writer.shows.add(show)
        async with catalog.uow(org) as reader:  # meanwhile: reads the last committed rows, without waiting
            assert await reader.events.get(event.event_id) == event
            assert await reader.shows.of_event(event.event_id) == []
            await reader.events.add(other)
            await reader.commit()
    async with catalog.uow(org) as uow:
        assert await uow.events.get(event.event_id) == event
        assert await uow.events.get(other.event_id) == other
        assert await uow.shows.get(show.show_id) is None


@pytest.mark.parametrize("kind", ["event", "show"])
async def test_a_locked_read_waits_for_the_holder_and_sees_what_it_committed(catalog: Catalog, kind: str) -> None:
    org = new_id()
    event = an_event(org)
    show = a_show(event)
    await keep(catalog, event, show)

    async def lock(uow: CatalogUnitOfWork) -> Event | Show | None:
        if kind == "event":
            return await uow.events.get(event.event_id, for_update=True)
        return await uow.shows.get(show.show_id, for_update=True)

    async def lock_alone(org_id: str) -> Event | Show | None:
        async with catalog.uow(org_id) as uow:
            return await lock(uow)

    async with catalog.uow(org) as holder:
        held = await lock(holder)
        assert held is not None
        assert await lock_alone(new_id()) is None  # another organization's row: nothing to wait for
        waiter = asyncio.create_task(lock_alone(org))
        await eventually(catalog.waiting, what="the second locked read waits for the row")
        held.updated_at = LATER
        await (holder.events.save(held) if isinstance(held, Event) else holder.shows.save(held))
        await holder.commit()
    seen = await waiter
    assert seen is not None and seen.updated_at == LATER


# Inventory


async def test_an_inventory_is_made_once_and_counted_by_status(catalog: Catalog) -> None:
    org = new_id()
    event = an_event(org, published=True)
    show = a_show(event, on_sale=True)
    async with catalog.uow(org) as uow:
        assert await uow.inventory.tally(show.show_id) is None
        assert await uow.inventory.materialize(show, PLAN) == InventorySummary(created=True, seats=4, zones=1)
        await uow.commit()
    smaller = InventoryPlan(seats=PLAN.seats[:1], zones=[])
    async with catalog.uow(org) as uow:
        assert await uow.inventory.materialize(show, smaller) == InventorySummary(created=False, seats=4, zones=1)
        await uow.inventory.close_sale(show.show_id)
        await uow.inventory.close_sale(show.show_id)
        assert await uow.inventory.tally(show.show_id) == seat_counts(available=2, blocked=2)


async def test_an_inconsistent_plan_is_refused_and_nothing_is_made(catalog: Catalog) -> None:
    org = new_id()
    show = a_show(an_event(org, published=True), on_sale=True)
    for seats in ([PlannedSeat("s1", None, False)], [PlannedSeat("s1", "std", False), PlannedSeat("s1", "std", True)]):
        async with catalog.uow(org) as uow:
            with pytest.raises(InvalidInput):
                await uow.inventory.materialize(show, InventoryPlan(seats=seats, zones=[]))
            assert await uow.inventory.tally(show.show_id) is None


async def test_blocking_moves_only_seats_not_yet_as_asked_and_refuses_all_or_none(catalog: Catalog) -> None:
    org = new_id()
    show = await on_sale_with_inventory(catalog, org)
    async with catalog.uow(org) as uow:
        assert await uow.inventory.set_blocked(show.show_id, ["s1", "s3", "s1"], True) == ["s1"]
        assert await uow.inventory.set_blocked(show.show_id, ["s2", "s1"], False) == ["s1"]
        with pytest.raises(InvalidInput) as unknown:
            await uow.inventory.set_blocked(show.show_id, ["s2", "nowhere"], True)
        assert [e.path for e in unknown.value.errors] == ["/seat_ids"]
        with pytest.raises(Conflict) as unpriced:
            await uow.inventory.set_blocked(show.show_id, ["s3", "s4"], False)
        assert [c["seat_id"] for c in unpriced.value.extensions["conflicts"]] == ["s4"]
        assert await uow.inventory.tally(show.show_id) == seat_counts(available=2, blocked=2)
        await uow.commit()
    async with catalog.uow(org) as uow:
        assert await uow.inventory.set_blocked(show.show_id, ["s2"], True) == ["s2"]
    async with catalog.uow(org) as uow:  # not committed: gone
        assert await uow.inventory.tally(show.show_id) == seat_counts(available=2, blocked=2)


async def test_a_show_that_never_went_on_sale_has_no_inventory_to_count_block_or_close(catalog: Catalog) -> None:
    org = new_id()
    show = a_show(an_event(org))
    async with catalog.uow(org) as uow:
        assert await uow.inventory.tally(show.show_id) is None
        with pytest.raises(NotFound):
            await uow.inventory.set_blocked(show.show_id, ["s1"], True)
        await uow.inventory.close_sale(show.show_id)


async def test_an_inventory_is_seen_by_its_organization_and_by_a_unit_of_work_of_none(catalog: Catalog) -> None:
    org = new_id()
    show = await on_sale_with_inventory(catalog, org)
    async with catalog.uow(new_id()) as uow:
        assert await uow.inventory.tally(show.show_id) is None
        with pytest.raises(NotFound):
            await uow.inventory.set_blocked(show.show_id, ["s1"], True)
    async with catalog.uow(None) as uow:
        assert await uow.inventory.tally(show.show_id) == seat_counts(available=2, blocked=2)
