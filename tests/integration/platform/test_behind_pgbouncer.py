"""The application's database reached through PgBouncer in transaction pooling mode: every transaction
runs with the configured limits whichever server connection it lands on, and leaves none behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import psycopg
import pytest

from lml.config import Settings
from lml.platform.db import Database

LIMITS = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout", "TimeZone")
ORG = "6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f"


@asynccontextmanager
async def database(settings: Settings, **limits: int) -> AsyncIterator[Database]:
    db = Database(msgspec.structs.replace(settings, db_pool_min=1, db_pool_max=2, **limits))
    await db.open()
    await db.pool.wait(timeout=10)
    try:
        yield db
    finally:
        await db.close()


async def seen_in_a_unit_of_work(db: Database, org_id: str | None = None) -> dict[str, Any]:
    async with db.unit_of_work(org_id=org_id) as uow:
        return await seen(uow.conn)


async def seen(conn: psycopg.AsyncConnection[Any]) -> dict[str, Any]:
    columns = ", ".join(f"current_setting('{name}') AS \"{name}\"" for name in LIMITS)
    cursor = conn.cursor(row_factory=psycopg.rows.dict_row)
    await cursor.execute(f"SELECT {columns}, current_setting('app.org_id', true) AS org, pg_backend_pid() AS pid")
    row = await cursor.fetchone()
    assert row is not None
    return row


async def test_a_statement_over_the_timeout_is_cancelled_through_pgbouncer(settings_behind_pgbouncer: Settings) -> None:
    async with database(settings_behind_pgbouncer, db_statement_timeout_ms=200) as db:
        with pytest.raises(psycopg.errors.QueryCanceled):
            async with db.unit_of_work() as uow:
                await uow.conn.execute("SELECT pg_sleep(3)")

        # The connection was not lost with the statement: the next unit of work runs.
        assert (await seen_in_a_unit_of_work(db))["statement_timeout"] == "200ms"


async def test_limits_and_organization_stay_with_their_transaction_on_shared_server_connections(
    settings_behind_pgbouncer: Settings, pgbouncer_dsn: str,
) -> None:
    async with (
        database(settings_behind_pgbouncer, db_statement_timeout_ms=250, db_lock_timeout_ms=150,
                 db_idle_in_transaction_timeout_ms=3000) as strict,
        database(settings_behind_pgbouncer, db_statement_timeout_ms=7000, db_lock_timeout_ms=2500,
                 db_idle_in_transaction_timeout_ms=9000) as lenient,
        await psycopg.AsyncConnection.connect(pgbouncer_dsn, autocommit=True) as bare,
    ):
        server_default = await seen(bare)
        by_strict, by_lenient, by_bare = [], [], []
        for _ in range(10):
            by_strict.append(await seen_in_a_unit_of_work(strict, org_id=ORG))
            by_lenient.append(await seen_in_a_unit_of_work(lenient))
            by_bare.append(await seen(bare))

    def settings_of(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        # No organization reads as NULL on a server connection that never had one set, as '' on one
        # that did (a custom setting, once set, resets to ''): either, by whichever client used it before.
        return [(*(row[name] for name in LIMITS), row["org"] or "") for row in rows]

    assert set(settings_of(by_strict)) == {("250ms", "150ms", "3s", "UTC", ORG)}
    assert set(settings_of(by_lenient)) == {("7s", "2500ms", "9s", "UTC", "")}
    # A client that sets nothing gets the server's defaults, whoever used the connection before.
    assert set(settings_of(by_bare)) == set(settings_of([server_default]))
    assert server_default["statement_timeout"] != "250ms" and not server_default["org"]
    # Two server connections for all three clients: they did share them.
    pids = [{row["pid"] for row in rows} for rows in (by_strict, by_lenient, by_bare)]
    assert pids[0] & pids[1] and pids[1] & pids[2]
