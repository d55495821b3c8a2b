"""Venues' PostgreSQL adapter: row-level security, the lifecycle guard, one draft per layout, locking."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import psycopg
import psycopg.errors
import pytest

from lml.platform.resources import Resources
from lml.venues.domain.errors import DraftAlreadyOpen, LayoutBusy, VenueNameTaken
from lml.venues.domain.layout import LayoutDraft
from lml.venues.domain.layout_rules import build_layout
from lml.venues.domain.layout_version import LayoutVersion
from lml.venues.domain.venue import VenueDraft, new_venue
from lml.venues.infrastructure.pg_venues import PgLayoutRepository, PgVenuesTransactions
from tests.fixtures.identity import MakeOrganization
from tests.fixtures.venues import layout_json

NOW = datetime(2030, 1, 1, tzinfo=UTC)
LAYOUT_ID = "0190a0b0-0000-7000-8000-000000000201"


async def _venue_and_draft(tx: PgVenuesTransactions, org_id: str, venue_id: str) -> LayoutVersion:
    content = build_layout(LAYOUT_ID, 1, msgspec.convert(layout_json(6), LayoutDraft))
    draft = LayoutVersion.draft(venue_id, content, NOW)
    async with tx(org_id) as uow:
        await uow.venues.add(new_venue(venue_id, org_id, VenueDraft(name="Hall", city="Leeds", timezone="UTC"), NOW))
        await uow.layouts.add(draft)
        await uow.commit()
    return draft


@pytest.fixture
def tx(resources: Resources) -> PgVenuesTransactions:
    return PgVenuesTransactions(resources.db)


async def test_an_organization_sees_only_its_own_venues_and_layouts(
    tx: PgVenuesTransactions, make_organization: MakeOrganization
) -> None:
    mine, theirs = await make_organization(), await make_organization()
    venue_id = "0190a0b0-0000-7000-8000-000000000301"
    await _venue_and_draft(tx, mine, venue_id)
    async with tx(theirs) as uow:
        assert await uow.venues.get(venue_id) is None
        assert await uow.venues.list() == []
        assert await uow.layouts.versions(LAYOUT_ID) == []
        assert await uow.layouts.of_venue(venue_id) == []
    async with tx(mine) as uow:
        assert [v.venue_id for v in await uow.venues.list()] == [venue_id]
        assert [v.version for v in await uow.layouts.versions(LAYOUT_ID, venue_id=venue_id)] == [1]


async def test_row_level_security_refuses_rows_of_another_organization(
    resources: Resources, make_organization: MakeOrganization
) -> None:
    mine, theirs = await make_organization(), await make_organization()
    async with resources.db.unit_of_work(org_id=mine) as uow:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await uow.conn.execute(
                "INSERT INTO venues.venues (id, organization_id, name, city, timezone)"
                " VALUES (gen_random_uuid(), %s, 'X', 'Y', 'UTC')",
                (theirs,),
            )
    async with resources.db.unit_of_work() as uow:  # acting as no organization: sees nothing
        await _venue_and_draft(PgVenuesTransactions(resources.db), mine, "0190a0b0-0000-7000-8000-000000000302")
        rows = await (await uow.conn.execute("SELECT count(*) AS n FROM venues.venues")).fetchone()
        assert rows == {"n": 0}


def test_every_venues_table_forces_row_level_security(resources: Resources) -> None:
    with psycopg.connect(resources.settings.migrate_database_url) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'venues' AND c.relkind = 'r'"
        ).fetchall()
    assert sorted(rows) == [(name, True, True) for name in ("layout_versions", "layouts", "venues")]


async def test_venue_names_are_unique_per_organization_in_any_case(
    tx: PgVenuesTransactions, make_organization: MakeOrganization
) -> None:
    org_id = await make_organization()
    async with tx(org_id) as uow:
        await uow.venues.add(new_venue("0190a0b0-0000-7000-8000-000000000303", org_id,
                                       VenueDraft(name="Apollo", city="London", timezone="UTC"), NOW))
        with pytest.raises(VenueNameTaken):
            await uow.venues.add(new_venue("0190a0b0-0000-7000-8000-000000000304", org_id,
                                           VenueDraft(name="APOLLO", city="London", timezone="UTC"), NOW))
        assert (await uow.venues.by_name("apollo")) is not None  # the savepoint kept the transaction usable


async def test_the_database_refuses_to_change_a_published_version(
    tx: PgVenuesTransactions, resources: Resources, make_organization: MakeOrganization
) -> None:
    org_id = await make_organization()
    draft = await _venue_and_draft(tx, org_id, "0190a0b0-0000-7000-8000-000000000305")
    async with tx(org_id) as uow:
        await uow.layouts.save_version(draft.publish("a" * 64, NOW))
        await uow.commit()
    for statement in (
        "UPDATE venues.layout_versions SET hash = repeat('b', 64)",
        "UPDATE venues.layout_versions SET seat_count = 1",
        "UPDATE venues.layout_versions SET status = 'draft', hash = NULL, published_at = NULL",
        "DELETE FROM venues.layout_versions",
    ):
        async with resources.db.unit_of_work(org_id=org_id) as uow:
            with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
                await uow.conn.execute(statement)
    async with tx(org_id) as uow:
        [stored] = await uow.layouts.versions(LAYOUT_ID)
    assert (stored.status, stored.hash, stored.seat_count) == ("published", "a" * 64, 6)


async def test_a_layout_has_one_draft_at_a_time(tx: PgVenuesTransactions, make_organization: MakeOrganization) -> None:
    org_id = await make_organization()
    draft = await _venue_and_draft(tx, org_id, "0190a0b0-0000-7000-8000-000000000306")
    async with tx(org_id) as uow:
        with pytest.raises(DraftAlreadyOpen):
            await uow.layouts.add_version(msgspec.structs.replace(draft, version=2))


async def test_a_writer_that_waits_too_long_for_the_layout_is_told_to_retry(
    tx: PgVenuesTransactions, resources: Resources, make_organization: MakeOrganization
) -> None:
    org_id = await make_organization()
    await _venue_and_draft(tx, org_id, "0190a0b0-0000-7000-8000-000000000307")
    async with tx(org_id) as holder:
        await holder.layouts.versions(LAYOUT_ID, lock=True)
        async with resources.db.unit_of_work(org_id=org_id) as waiter:
            await waiter.conn.execute("SET LOCAL lock_timeout = '50ms'")
            with pytest.raises(LayoutBusy):
                await PgLayoutRepository(waiter, org_id).versions(LAYOUT_ID, lock=True)


async def test_ids_that_are_not_uuids_name_nothing(
    tx: PgVenuesTransactions, make_organization: MakeOrganization
) -> None:
    async with tx(await make_organization()) as uow:
        assert await uow.venues.get("not-a-uuid") is None
        assert await uow.layouts.versions("'; DROP TABLE x; --") == []
        assert await uow.layouts.of_venue("42") == []
