"""PostgreSQL: one async pool per process and a unit of work that rolls back unless committed.

Row-level security, the pattern every context copies for a table that holds one organization's rows:

    CREATE TABLE venues.venue (id uuid PRIMARY KEY, organization_id uuid NOT NULL, ...);
    ALTER TABLE venues.venue ENABLE ROW LEVEL SECURITY;
    ALTER TABLE venues.venue FORCE ROW LEVEL SECURITY;
    CREATE POLICY venue_tenant ON venues.venue
        USING (organization_id = platform.current_org())
        WITH CHECK (organization_id = platform.current_org());

and reads or writes it inside `db.unit_of_work(org_id=...)`. The application connects as `lml_app`
(neither superuser, owner nor BYPASSRLS), so a query that forgets `WHERE organization_id = ...` still
sees only that organization's rows, cannot write another's, and sees nothing at all when no
organization is set. Public reads of tenant data (a buyer browsing shows) need their own policy
(`FOR SELECT USING (published)`) rather than skipping the organization.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from lml.config import Settings


def session_options(settings: Settings) -> str:
    """Server-side limits for every session, sent in the startup packet (no extra round trip)."""
    return " ".join(
        [
            f"-c statement_timeout={settings.db_statement_timeout_ms}",
            f"-c lock_timeout={settings.db_lock_timeout_ms}",
            f"-c idle_in_transaction_session_timeout={settings.db_idle_in_transaction_timeout_ms}",
            "-c timezone=UTC",
            "-c application_name=lml",
        ]
    )


class UnitOfWork:
    """One transaction on one connection. Leaving the block without `commit()` rolls back."""

    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self.conn = conn
        self.committed = False

    async def commit(self) -> None:
        await self.conn.commit()
        self.committed = True
        # Statements after the commit open a new transaction (psycopg's own `BEGIN`), which the end
        # of the unit of work rolls back unless it is committed too.
        await self.conn.set_autocommit(False)

    async def begin(self, org_id: str | None) -> None:
        """Open the transaction, acting as one organization or none, in one round trip. Row-level
        security: policies on tenant tables compare rows with `app.org_id` (`SET LOCAL`: it ends with
        the transaction, so a pooled connection never carries it over)."""
        # Checked here: a malformed id would otherwise fail later, inside the policy's uuid cast; and
        # a checked uuid is safe to send as a literal, in the one simple query that also says BEGIN.
        value = str(uuid.UUID(org_id)) if org_id else ""
        await self.conn.execute(sql.SQL("BEGIN; SELECT set_config('app.org_id', {}, true)").format(value))


class Database:
    def __init__(self, settings: Settings, *, dsn: str | None = None) -> None:
        self.pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]] = AsyncConnectionPool(
            dsn or settings.database_url,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            # Autocommit: psycopg would send its own `BEGIN` before a transaction's first statement, a round
            # trip of its own; `UnitOfWork.begin` sends it together with the organization instead.
            kwargs={"options": session_options(settings), "row_factory": dict_row, "autocommit": True},
            open=False,
            name="lml",
            timeout=10,
        )

    async def open(self) -> None:
        # Not waiting: the API starts while PostgreSQL is down and /readyz says so.
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def unit_of_work(self, *, org_id: str | None = None) -> AsyncIterator[UnitOfWork]:
        """A transaction, optionally acting as one organization (row-level security)."""
        async with self.pool.connection() as conn:
            await conn.set_autocommit(True)  # after a commit, `UnitOfWork.commit` turned it off
            uow = UnitOfWork(conn)
            try:
                # Always the first statement: it opens the transaction, so that a `conn.transaction()`
                # block inside the unit of work is a savepoint (psycopg would otherwise make it the
                # outer transaction and commit it on its own), and no organization is ever inherited.
                await uow.begin(org_id)
                yield uow
            finally:
                # Also after a commit: statements run after it opened a new transaction that must not
                # go back to the pool. A broken connection is left to the pool, so that the original
                # error, not the failed rollback, reaches the caller.
                if not conn.closed:
                    await conn.rollback()

    async def ping(self) -> None:
        async with self.pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")
