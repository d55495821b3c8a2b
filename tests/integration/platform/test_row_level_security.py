"""Row-level security: a unit of work acting as one organization sees and writes only that organization's rows.

This is the pattern every context copies for a table that holds one organization's data:

1. In the context's migration (run as the owner):

       ALTER TABLE <ctx>.<table> ENABLE ROW LEVEL SECURITY;
       ALTER TABLE <ctx>.<table> FORCE ROW LEVEL SECURITY;
       CREATE POLICY <table>_tenant ON <ctx>.<table>
           USING (organization_id = platform.current_org())
           WITH CHECK (organization_id = platform.current_org());

   (DML grants to `lml_app` come from the default privileges of migration 0001.)
2. In the adapter: `async with db.unit_of_work(org_id=org) as uow:` for every operator request, with
   `org` the organization the caller was authorized for. Keep the `WHERE organization_id = %s` in the
   SQL too (it serves the index); the policy is the net for the query that forgets it.
3. Routes that read tenant rows for the public (buyers) need an explicit policy for that read
   (e.g. `FOR SELECT USING (status = 'published')`), never a connection that skips the policy.

The table below is built inside the test, in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import msgspec
import psycopg
import psycopg.sql
import pytest

from lml.config import Settings
from lml.platform.db import Database

ORG_A = str(uuid.uuid4())
ORG_B = str(uuid.uuid4())


@pytest.fixture
def tickets(service_urls: dict[str, str], settings: Settings) -> Iterator[str]:
    """`<schema>.tickets`, tenant-owned, with two rows of organization A and one of B."""
    schema = f"rls_{uuid.uuid4().hex[:8]}"
    table = f"{schema}.tickets"
    ddl = f"""
        CREATE SCHEMA {schema};
        GRANT USAGE ON SCHEMA {schema} TO lml_app;
        CREATE TABLE {table} (
            id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            organization_id uuid NOT NULL,
            label text NOT NULL
        );
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
        CREATE POLICY tickets_tenant ON {table}
            USING (organization_id = platform.current_org())
            WITH CHECK (organization_id = platform.current_org());
        GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO lml_app;
    """
    with psycopg.connect(service_urls["owner_dsn"], autocommit=True) as owner:
        owner.execute(ddl.encode())
        owner.execute(
            psycopg.sql.SQL("INSERT INTO {} (organization_id, label) VALUES (%s, 'a1'), (%s, 'a2'), (%s, 'b1')").format(
                psycopg.sql.Identifier(schema, "tickets")
            ),
            (ORG_A, ORG_A, ORG_B),
        )
    try:
        yield table
    finally:
        with psycopg.connect(service_urls["owner_dsn"], autocommit=True) as owner:
            owner.execute(psycopg.sql.SQL("DROP SCHEMA {} CASCADE").format(psycopg.sql.Identifier(schema)))


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    # One connection: proves that the organization of one unit of work never carries over to the next.
    database = Database(msgspec.structs.replace(settings, db_pool_min=1, db_pool_max=1))
    await database.open()
    await database.pool.wait(timeout=10)
    try:
        yield database
    finally:
        await database.close()


def as_owner(service_urls: dict[str, str], query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(service_urls["owner_dsn"]) as owner:
        return owner.execute(query.encode()).fetchall()


async def labels(db: Database, table: str, org_id: str | None) -> list[str]:
    async with db.unit_of_work(org_id=org_id) as uow:
        rows = await (await uow.conn.execute(f"SELECT * FROM {table} ORDER BY label".encode())).fetchall()
    return [row["label"] for row in rows]


async def test_a_query_without_where_sees_only_its_organizations_rows(db: Database, tickets: str) -> None:
    assert await labels(db, tickets, ORG_A) == ["a1", "a2"]
    assert await labels(db, tickets, ORG_B) == ["b1"]


async def test_with_no_organization_set_nothing_is_visible(db: Database, tickets: str) -> None:
    assert await labels(db, tickets, None) == []


async def test_the_organization_does_not_outlive_its_unit_of_work(db: Database, tickets: str) -> None:
    assert await labels(db, tickets, ORG_A) == ["a1", "a2"]
    # Same pooled connection, next transaction: `SET LOCAL` ended with the previous one.
    assert await labels(db, tickets, None) == []


async def test_inserting_a_row_of_another_organization_is_refused(db: Database, tickets: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        async with db.unit_of_work(org_id=ORG_A) as uow:
            await uow.conn.execute(
                f"INSERT INTO {tickets} (organization_id, label) VALUES (%s, 'sneaky')".encode(), (ORG_B,)
            )
            await uow.commit()

    assert await labels(db, tickets, ORG_B) == ["b1"]


async def test_moving_a_row_to_another_organization_is_refused(db: Database, tickets: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        async with db.unit_of_work(org_id=ORG_A) as uow:
            await uow.conn.execute(f"UPDATE {tickets} SET organization_id = %s".encode(), (ORG_B,))


async def test_update_and_delete_without_where_touch_only_its_organizations_rows(
    db: Database, tickets: str, service_urls: dict[str, str]
) -> None:
    async with db.unit_of_work(org_id=ORG_A) as uow:
        updated = await uow.conn.execute(f"UPDATE {tickets} SET label = label || '!'".encode())
        deleted = await uow.conn.execute(f"DELETE FROM {tickets} WHERE label = 'a2!'".encode())
        await uow.commit()

    assert (updated.rowcount, deleted.rowcount) == (2, 1)
    assert as_owner(service_urls, f"SELECT label FROM {tickets} ORDER BY label") == [("a1!",), ("b1",)]


async def test_inserting_its_own_organizations_row_works(db: Database, tickets: str) -> None:
    async with db.unit_of_work(org_id=ORG_B) as uow:
        await uow.conn.execute(f"INSERT INTO {tickets} (organization_id, label) VALUES (%s, 'b2')".encode(), (ORG_B,))
        await uow.commit()

    assert await labels(db, tickets, ORG_B) == ["b1", "b2"]
    assert await labels(db, tickets, ORG_A) == ["a1", "a2"]


async def test_every_tenant_table_of_the_migrations_forces_row_level_security(
    service_urls: dict[str, str], settings: Settings
) -> None:
    """A table with an `organization_id` column holds one organization's data: it must enable and
    force row-level security and have a policy, or the app role would read every organization's rows."""
    unprotected = as_owner(
        service_urls,
        """
        SELECT n.nspname || '.' || c.relname
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p')
          AND n.nspname IN ('platform', 'identity', 'venues', 'catalog', 'seating', 'ordering', 'payments')
          AND NOT (c.relrowsecurity AND c.relforcerowsecurity
                   AND EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid))
        """,
    )

    assert unprotected == []
