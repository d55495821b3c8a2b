"""`GET /v1/events`' read model: keyset pages that neither repeat nor skip under concurrent inserts,
filters, and public caches dropped on change."""

import asyncio
from datetime import timedelta

import msgspec
import pytest

from lml.catalog.application import manage_events, manage_shows
from lml.catalog.application.ports import CatalogPorts
from lml.catalog.domain.event import EventChanges, EventDraft
from lml.catalog.domain.show import ShowChanges, ShowDraft
from lml.catalog.infrastructure.pg_listing import relist_events
from lml.catalog.infrastructure.public_cache import Fresh
from lml.catalog.infrastructure.public_queries import EventFilters, EventPage, list_events
from lml.container import Container
from lml.platform.resources import Resources
from tests.fixtures.catalog import DEFAULT_TIERS, default_pricing, tiers_json
from tests.fixtures.identity import MakeOperator
from tests.fixtures.venues import MakePublishedLayout, MakeVenue, TestLayout, TestVenue


class Publisher:
    """Publishes events with one show each, on one venue and layout."""

    def __init__(self, ports: CatalogPorts, venue: TestVenue, layout: TestLayout) -> None:
        self.ports, self.venue, self.layout = ports, venue, layout

    async def event(self, *, starts_in: timedelta, title: str = "Show", category: str = "concert",
                    publish: bool = True) -> str:
        org_id = self.venue.org_id
        event = await manage_events.create_event(self.ports, org_id=org_id, draft=EventDraft(
            venue_id=self.venue.venue_id, title=title, category=category))
        rules, _, _ = default_pricing(self.layout)
        draft = msgspec.convert({"starts_at": self.ports.clock.now() + starts_in, "layout_id": self.layout.layout_id,
                                 "price_tiers": tiers_json(DEFAULT_TIERS), "pricing": rules}, ShowDraft)
        await manage_shows.create_show(self.ports, org_id=org_id, event_id=event.event_id, draft=draft)
        if publish:
            await manage_events.publish_event(self.ports, org_id=org_id, user_id=None, event_id=event.event_id)
        return event.event_id


async def make_publisher(ports: CatalogPorts, make_operator: MakeOperator, make_venue: MakeVenue,
                         make_published_layout: MakePublishedLayout, *, city: str = "London") -> Publisher:
    operator = await make_operator()
    venue = await make_venue(org_id=operator.org_id, city=city)
    return Publisher(ports, venue, await make_published_layout(venue=venue, seats=4))


async def page(resources: Resources, cursor: str | None, limit: int = 4, **filters: object) -> EventPage:
    async with resources.db.unit_of_work() as uow:
        return await list_events(uow, EventFilters(**filters), cursor, limit, resources.clock.now())  # type: ignore[arg-type]


async def all_pages(resources: Resources, limit: int = 4, between=None, **filters: object) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    cursor = None
    while True:
        result = await page(resources, cursor, limit, **filters)
        seen += [item.event_id for item in result.items]
        if result.next_cursor is None:
            return seen
        cursor = result.next_cursor
        if between is not None:
            await between()


async def test_pages_follow_the_first_show_and_neither_repeat_nor_skip_while_events_are_added(
    resources: Resources, catalog_ports_for_tests: CatalogPorts, make_operator: MakeOperator,
    make_venue: MakeVenue, make_published_layout: MakePublishedLayout,
) -> None:
    publisher = await make_publisher(catalog_ports_for_tests, make_operator, make_venue, make_published_layout)
    existing = [await publisher.event(starts_in=timedelta(days=d)) for d in range(1, 14)]
    added: list[str] = []

    async def add_before_and_after_the_cursor() -> None:
        # One starting before every page seen so far, one after everything: added while paging.
        added.append(await publisher.event(starts_in=timedelta(hours=1)))
        added.append(await publisher.event(starts_in=timedelta(days=40 + len(added))))

    seen = await all_pages(resources, between=add_before_and_after_the_cursor)
    assert len(seen) == len(set(seen)), "no event is listed twice"
    assert [e for e in seen if e in existing] == existing, "every existing event, once, in order of its show"
    later = [e for i, e in enumerate(added) if i % 2 == 1]
    assert [e for e in seen if e in added] == later, "added after the cursor: listed; before it: on earlier pages"


async def test_pages_stay_consistent_when_inserts_race_the_reader(
    resources: Resources, catalog_ports_for_tests: CatalogPorts, make_operator: MakeOperator,
    make_venue: MakeVenue, make_published_layout: MakePublishedLayout,
) -> None:
    publisher = await make_publisher(catalog_ports_for_tests, make_operator, make_venue, make_published_layout)
    existing = [await publisher.event(starts_in=timedelta(days=2 * d)) for d in range(1, 16)]
    stop = asyncio.Event()

    async def keep_inserting() -> int:
        n = 0
        while not stop.is_set():
            await publisher.event(starts_in=timedelta(days=n % 31, hours=1))
            n += 1
        return n

    inserter = asyncio.create_task(keep_inserting())
    try:
        seen = await all_pages(resources, limit=3)
    finally:
        stop.set()
        inserted = await inserter
    assert inserted > 0
    assert len(seen) == len(set(seen))
    assert [e for e in seen if e in existing] == existing


async def test_filters_by_city_category_words_and_dates(
    resources: Resources, catalog_ports_for_tests: CatalogPorts, make_operator: MakeOperator,
    make_venue: MakeVenue, make_published_layout: MakePublishedLayout,
) -> None:
    london = await make_publisher(catalog_ports_for_tests, make_operator, make_venue, make_published_layout)
    paris = await make_publisher(catalog_ports_for_tests, make_operator, make_venue, make_published_layout,
                                 city="Paris")
    jazz = await london.event(starts_in=timedelta(days=3), title="Late Night Jazz", category="jazz")
    opera = await paris.event(starts_in=timedelta(days=10), title="Carmen", category="opera")
    await london.event(starts_in=timedelta(days=5), title="Unpublished Jazz", publish=False)
    now = resources.clock.now()
    assert await all_pages(resources) == [jazz, opera]
    assert await all_pages(resources, city="paris") == [opera]
    assert await all_pages(resources, category="jazz") == [jazz]
    assert await all_pages(resources, text="nigh jaz") == [jazz]
    assert await all_pages(resources, text="carmen london") == []
    assert await all_pages(resources, starts_after=now + timedelta(days=4)) == [opera]
    assert await all_pages(resources, starts_before=now + timedelta(days=4)) == [jazz]


async def test_a_cancelled_event_leaves_the_listing(
    resources: Resources, catalog_ports_for_tests: CatalogPorts, make_operator: MakeOperator,
    make_venue: MakeVenue, make_published_layout: MakePublishedLayout,
) -> None:
    publisher = await make_publisher(catalog_ports_for_tests, make_operator, make_venue, make_published_layout)
    event_id = await publisher.event(starts_in=timedelta(days=3))
    await manage_events.cancel_event(catalog_ports_for_tests, org_id=publisher.venue.org_id, event_id=event_id)
    assert await all_pages(resources) == []


@pytest.mark.redis_cluster
async def test_a_change_drops_the_cached_public_answer(
    resources: Resources, catalog_ports_for_tests: CatalogPorts, make_operator: MakeOperator,
    make_venue: MakeVenue, make_published_layout: MakePublishedLayout, container: Container,
) -> None:
    publisher = await make_publisher(catalog_ports_for_tests, make_operator, make_venue, make_published_layout)
    event_id = await publisher.event(starts_in=timedelta(days=3))
    cache = container.catalog.public_cache
    loads: list[int] = []

    async def load() -> Fresh:
        loads.append(1)
        async with resources.db.unit_of_work() as uow:
            cur = await uow.conn.execute("SELECT title FROM catalog.events WHERE id = %s", (event_id,))
            row = await cur.fetchone()
        assert row is not None
        return Fresh(row["title"].encode(), 60)

    assert (await cache.read([f"event:{event_id}"], f"event:{event_id}", load)).body == b"Show"  # type: ignore[union-attr]
    assert (await cache.read([f"event:{event_id}"], f"event:{event_id}", load)).body == b"Show"  # type: ignore[union-attr]
    assert len(loads) == 1
    await manage_events.change_event(catalog_ports_for_tests, org_id=publisher.venue.org_id, user_id=None,
                                     event_id=event_id, changes=EventChanges(title="Show (moved)"))
    assert (await cache.read([f"event:{event_id}"], f"event:{event_id}", load)).body == b"Show (moved)"  # type: ignore[union-attr]
    assert len(loads) == 2


async def test_the_listing_follows_shows_rescheduled_added_and_cancelled_and_events_edited(
    resources: Resources, catalog_ports_for_tests: CatalogPorts, make_operator: MakeOperator,
    make_venue: MakeVenue, make_published_layout: MakePublishedLayout,
) -> None:
    publisher = await make_publisher(catalog_ports_for_tests, make_operator, make_venue, make_published_layout)
    ports, org_id = catalog_ports_for_tests, publisher.venue.org_id
    early = await publisher.event(starts_in=timedelta(days=2), title="Early")
    late = await publisher.event(starts_in=timedelta(days=6), title="Late")
    (late_show,) = await manage_shows.shows_of_event(ports, org_id=org_id, event_id=late)
    assert await all_pages(resources) == [early, late]

    await manage_shows.change_show(ports, org_id=org_id, show_id=late_show.show_id,
                                   changes=ShowChanges(starts_at=ports.clock.now() + timedelta(days=1)))
    assert await all_pages(resources) == [late, early], "moved before the other: listed first"

    # A second show at the same instant: the event once, counting both.
    rules, _, _ = default_pricing(publisher.layout)
    twin = await manage_shows.create_show(ports, org_id=org_id, event_id=late, draft=msgspec.convert(
        {"starts_at": ports.clock.now() + timedelta(days=1), "layout_id": publisher.layout.layout_id,
         "price_tiers": tiers_json(DEFAULT_TIERS), "pricing": rules}, ShowDraft))
    result = await page(resources, None)
    assert [(i.event_id, i.upcoming_shows) for i in result.items] == [(late, 2), (early, 1)]

    await manage_shows.cancel_show(ports, org_id=org_id, show_id=late_show.show_id)
    await manage_shows.cancel_show(ports, org_id=org_id, show_id=twin.show_id)
    assert await all_pages(resources) == [early], "no show left: the event leaves the listing"

    await manage_events.change_event(ports, org_id=org_id, user_id=None, event_id=early,
                                     changes=EventChanges(title="Morning Raga", category="folk"))
    assert await all_pages(resources, text="raga", category="folk") == [early]
    assert await all_pages(resources, text="early") == []


async def test_two_transactions_rebuilding_one_events_listing_take_turns(
    resources: Resources, catalog_ports_for_tests: CatalogPorts, make_operator: MakeOperator,
    make_venue: MakeVenue, make_published_layout: MakePublishedLayout,
) -> None:
    """Both delete the event's rows and insert them again: overlapping, the second would insert rows the
    first inserted meanwhile (a duplicate key, a 500). The event's listing lock makes it wait."""
    publisher = await make_publisher(catalog_ports_for_tests, make_operator, make_venue, make_published_layout)
    event_id = await publisher.event(starts_in=timedelta(days=3))
    org_id = publisher.venue.org_id
    async with resources.db.unit_of_work(org_id=org_id) as first:
        await relist_events(first.conn, [event_id])
        async with resources.db.unit_of_work(org_id=org_id) as second:
            waiting = asyncio.create_task(relist_events(second.conn, [event_id]))
            await until_a_session_waits_on_a_lock(resources)
            await first.commit()
            await waiting
            await second.commit()
    assert await all_pages(resources) == [event_id]


async def until_a_session_waits_on_a_lock(resources: Resources) -> None:
    for _ in range(1000):
        async with resources.db.unit_of_work() as uow:
            row = await (await uow.conn.execute(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            )).fetchone()
        if row and row["n"] > 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no session ever waited on a lock")
