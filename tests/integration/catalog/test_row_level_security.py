"""Row-level security as the application sees it: operators see their own organization's catalog,
buyers (no organization) see every organization's published events and nothing else."""

import psycopg
import pytest

from lml.catalog.application import manage_events
from lml.catalog.application.ports import CatalogPorts
from lml.catalog.domain.errors import EventNotFound
from lml.catalog.domain.event import EventChanges
from lml.platform.db import UnitOfWork
from lml.platform.ids import new_id
from lml.platform.resources import Resources
from tests.fixtures.catalog import MakeEvent, MakeShowOnSale


async def ids(uow: UnitOfWork, sql: str) -> set[str]:
    return {str(next(iter(row.values()))) for row in await (await uow.conn.execute(sql)).fetchall()}


async def test_an_operator_cannot_see_or_change_another_organizations_draft(
    make_event: MakeEvent, catalog_ports_for_tests: CatalogPorts
) -> None:
    mine = await make_event(publish=False)
    theirs = await make_event(publish=False)
    ports = catalog_ports_for_tests
    with pytest.raises(EventNotFound):
        await manage_events.get_event(ports, org_id=theirs.org_id, event_id=mine.event_id)
    with pytest.raises(EventNotFound):
        await manage_events.change_event(ports, org_id=theirs.org_id, user_id=None, event_id=mine.event_id,
                                         changes=EventChanges(title="Taken over"))
    listed = await manage_events.list_events(ports, org_id=theirs.org_id, status=None, after=None, limit=10)
    assert [e.event_id for e in listed] == [theirs.event_id]
    assert (await manage_events.get_event(ports, org_id=mine.org_id, event_id=mine.event_id)).title == "Test Event"


async def test_an_operator_sees_no_other_organizations_rows_even_without_a_filter(
    make_show_on_sale: MakeShowOnSale, make_event: MakeEvent, resources: Resources
) -> None:
    show = await make_show_on_sale(seats=5)
    other = await make_event()
    async with resources.db.unit_of_work(org_id=other.org_id) as uow:
        for table in ("catalog.events", "catalog.shows", "catalog.price_tiers", "catalog.event_revisions",
                      "seating.show_seats", "seating.show_zones"):
            rows = await (await uow.conn.execute(f"SELECT organization_id::text AS org FROM {table}")).fetchall()
            assert {r["org"] for r in rows} <= {other.org_id}, table
    async with resources.db.unit_of_work(org_id=other.org_id) as uow:
        cur = await uow.conn.execute("UPDATE catalog.events SET title = 'x' WHERE id = %s", (show.event_id,))
        assert cur.rowcount == 0


async def test_buyers_read_published_events_of_every_organization_and_no_draft(
    make_show_on_sale: MakeShowOnSale, make_event: MakeEvent, resources: Resources
) -> None:
    published = await make_show_on_sale(seats=5)
    draft_event = await make_event(publish=False)
    draft_show = await make_show_on_sale(seats=5, event=draft_event, on_sale=False)
    async with resources.db.unit_of_work() as uow:
        events = await ids(uow, "SELECT id FROM catalog.events")
        shows = await ids(uow, "SELECT id FROM catalog.shows")
        tiers = await ids(uow, "SELECT show_id FROM catalog.price_tiers")
        revisions = await ids(uow, "SELECT event_id FROM catalog.event_revisions")
        listed = await ids(uow, "SELECT show_id FROM catalog.listed_shows")
    assert events == {published.event_id}
    assert shows == tiers == listed == {published.show_id}
    assert draft_show.show_id not in shows
    assert revisions == set()  # an operator's history, not buyers'


async def test_buyers_write_nothing(make_event: MakeEvent, make_show_on_sale: MakeShowOnSale,
                                    resources: Resources) -> None:
    event = await make_event()
    listed = await make_show_on_sale(seats=5)
    async with resources.db.unit_of_work() as uow:
        cur = await uow.conn.execute("UPDATE catalog.events SET title = 'defaced' WHERE id = %s", (event.event_id,))
        assert cur.rowcount == 0
        cur = await uow.conn.execute("DELETE FROM catalog.listed_shows WHERE show_id = %s", (listed.show_id,))
        assert cur.rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await uow.conn.execute(
                "INSERT INTO catalog.events (id, organization_id, venue_id, venue_name, city, timezone, title,"
                " category, created_at, updated_at) VALUES (%s, %s, %s, 'v', 'c', 'UTC', 't', 'c', now(), now())",
                (new_id(), event.org_id, event.venue.venue_id))
