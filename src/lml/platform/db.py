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
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import psycopg
from psycopg import AsyncConnection, sql
from psycopg.adapt import AdaptersMap
from psycopg.rows import dict_row
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool

from lml.config import Settings
from lml.platform.logging import get_logger
from lml.platform.tracing.stores import TracedClientCursor, TracedCursor

# How every transaction opens: BEGIN and its settings in one round trip (the pool's connections are in
# autocommit, so psycopg sends no `BEGIN` of its own). The limits are the transaction's own
# (`is_local`), not the session's: behind a transaction pooler (PgBouncer in transaction mode) each
# transaction may run on another server connection, the pooler refuses session options in the startup
# packet, and a session setting would be handed on to whichever client gets the connection next. Sent
# as literals, since two statements in one query take no parameters: the limits are numbers from the
# settings and the organization a checked uuid.
_TRANSACTION_SETTINGS = (
    "SELECT set_config('statement_timeout', {}, true), set_config('lock_timeout', {}, true),"
    " set_config('idle_in_transaction_session_timeout', {}, true), set_config('TimeZone', 'UTC', true),"
    " set_config('app.org_id', {}, true)"
)
BEGIN_STATEMENT = sql.SQL("BEGIN; " + _TRANSACTION_SETTINGS)
# A read-only unit of work ends with COMMIT: psycopg discards every statement it prepared on the
# connection at a ROLLBACK (and sends `DEALLOCATE ALL`), so reads that rolled back kept the pool's
# connections from ever reusing a prepared statement. READ ONLY makes PostgreSQL refuse any write in
# it, so that its COMMIT cannot keep one.
BEGIN_READ_ONLY_STATEMENT = sql.SQL("BEGIN READ ONLY; " + _TRANSACTION_SETTINGS)

log = get_logger("lml.db")

# JSON and JSONB values written and read by msgspec, as all JSON here: psycopg's default, the standard
# library's `json`, took 10 µs to read a Stripe event's payload and 14 µs to write it, msgspec 4.4 and 1.8.
_ADAPTERS = AdaptersMap(psycopg.adapters)
set_json_dumps(msgspec.json.encode, _ADAPTERS)
set_json_loads(msgspec.json.decode, _ADAPTERS)


def _transaction_limits(settings: Settings) -> tuple[str, str, str]:
    """statement_timeout, lock_timeout and idle_in_transaction_session_timeout, as `BEGIN_STATEMENT` takes them."""
    return (
        f"{settings.db_statement_timeout_ms}ms",
        f"{settings.db_lock_timeout_ms}ms",
        f"{settings.db_idle_in_transaction_timeout_ms}ms",
    )


def _organization(org_id: str | None) -> str:
    """Row-level security: policies on tenant tables compare rows with `app.org_id`; empty for none."""
    # Checked here: a malformed id would otherwise fail later, inside the policy's uuid cast.
    return str(uuid.UUID(org_id)) if org_id else ""


# A statement and its parameters.
Statement = tuple[str, Sequence[Any]]


async def execute_together(
    conn: AsyncConnection[dict[str, Any]], statements: Sequence[str], params: Sequence[Any] | Mapping[str, Any],
) -> list[list[dict[str, Any]]]:
    """`statements` as one query, in one round trip; the rows of each statement the query holds (none
    for one that returns none). PostgreSQL runs them in order, each with a snapshot and a statement
    timeout of its own, and stops at the first that fails. Their parameters (all of them, in order; or
    by name, shared by all) are bound here, not by the server (several statements in one query take
    none), so they are planned each time: for short statements that would otherwise cost a round trip
    each."""
    cursor = TracedClientCursor(conn, row_factory=dict_row)
    await cursor.execute("; ".join(statements), params)
    results = [await cursor.fetchall() if cursor.description else []]
    while cursor.nextset():
        results.append(await cursor.fetchall() if cursor.description else [])
    return results


async def _send_with_opening(
    conn: AsyncConnection[dict[str, Any]], opening: bytes, statement: Statement, *, commit: bool,
) -> list[dict[str, Any]]:
    """The transaction's opening (BEGIN, then its limits), `statement` and, with `commit`, COMMIT, in
    one round trip; the statement's rows."""
    query, params = statement
    # The opening is two statements: BEGIN, then the limits.
    return (await execute_together(conn, [opening.decode(), query, *(["COMMIT"] if commit else [])], params))[2]


class UnitOfWork:
    """One transaction on one connection. Leaving the block without `commit()` rolls back."""

    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self.conn = conn
        self.committed = False
        self.first_rows: list[dict[str, Any]] = []
        self._after_commit: list[Callable[[], None]] = []
        self._with_commit: list[Statement] = []
        self._savepoints = 0

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction has committed (never if it rolls back, or the savepoint it
        was given in does): what counts a change, say, counts only the changes that happened."""
        self._after_commit.append(action)

    async def _send_commit(self) -> None:
        """COMMIT, with the writes given to `write_with_commit` before it in the same round trip."""
        if self._with_commit:
            statements, self._with_commit = self._with_commit, []
            await execute_together(self.conn, [*(query for query, _ in statements), "COMMIT"],
                                   [param for _, params in statements for param in params])
        else:
            await self.conn.commit()

    def write_with_commit(self, statement: Statement) -> None:
        """Send `statement` with the COMMIT, in its round trip (after those given before it): a write
        that nothing in the transaction reads back, such as an outbox event. Dropped if the transaction
        rolls back, or the savepoint (`savepoint`) it was given in does; a failing one fails the
        commit."""
        self._with_commit.append(statement)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A savepoint: leaving it with an exception undoes only what was done inside it, the writes
        given to `write_with_commit` and the actions given to `after_commit` there included. One that
        completes is left for the COMMIT to release, a round trip fewer than psycopg's nested
        transaction (`SAVEPOINT`, then `RELEASE`): released or not, what it did and the locks it took
        stay the transaction's until it ends, and a savepoint opened after it still rolls back only its
        own work."""
        self._savepoints += 1
        name = f"lml_{self._savepoints}"
        await self.conn.execute(f"SAVEPOINT {name}", prepare=False)
        kept, waiting = len(self._with_commit), len(self._after_commit)
        try:
            yield
        except BaseException:
            del self._with_commit[kept:]
            del self._after_commit[waiting:]
            try:
                await self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}", prepare=False)
            except psycopg.Error as failed:
                # The connection is gone: the caller hears of what went wrong first, not of this.
                log.warning("savepoint_rollback_failed", error=type(failed).__name__)
            raise

    async def commit(self) -> None:
        await self._send_commit()
        self.committed = True
        actions, self._after_commit = self._after_commit, []
        # Statements after the commit open a new transaction (psycopg's own `BEGIN`), which the end
        # of the unit of work rolls back unless it is committed too.
        await self.conn.set_autocommit(False)
        for action in actions:
            action()


class Database:
    def __init__(self, settings: Settings, *, dsn: str | None = None) -> None:
        self._limits = _transaction_limits(settings)
        # The openings of units of work that act as no organization (buyers', the worker's: nearly all
        # of them), rendered once: composing the statement cost about a tenth of an empty transaction.
        self._openings = {read_only: self._opening(read_only, "") for read_only in (False, True)}
        self.pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]] = AsyncConnectionPool(
            dsn or settings.database_url,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            kwargs={
                "application_name": "lml",
                "autocommit": True,  # see BEGIN_STATEMENT
                # psycopg prepares a statement on the server after its fifth use (its default); a
                # transaction pooler that does not track prepared statements would then send it to a
                # server connection that lacks it.
                "prepare_threshold": 5 if settings.db_prepared_statements else None,
                "row_factory": dict_row,
                "cursor_factory": TracedCursor,
                "context": _ADAPTERS,
            },
            open=False,
            name="lml",
            timeout=10,
        )

    def _opening(self, read_only: bool, organization: str) -> bytes:
        begin = BEGIN_READ_ONLY_STATEMENT if read_only else BEGIN_STATEMENT
        return begin.format(*map(sql.Literal, (*self._limits, organization))).as_bytes(None)

    async def open(self) -> None:
        # Not waiting: the API starts while PostgreSQL is down and /readyz says so.
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def unit_of_work(
        self, *, org_id: str | None = None, read_only: bool = False, first: Statement | None = None,
    ) -> AsyncIterator[UnitOfWork]:
        """A transaction, optionally acting as one organization (row-level security). `read_only`: for
        reads, which PostgreSQL then refuses to let write; it ends with COMMIT when the block
        completes (see BEGIN_READ_ONLY_STATEMENT), with ROLLBACK when it raises. `first`: a statement
        sent with the transaction's opening, in its round trip (see `_send_with_opening`); its rows are
        the unit of work's `first_rows`."""
        organization = _organization(org_id)
        begin = self._opening(read_only, organization) if organization else self._openings[read_only]
        async with self.pool.connection() as conn:
            await conn.set_autocommit(True)  # after a commit, `UnitOfWork.commit` turned it off
            uow = UnitOfWork(conn)
            try:
                # Always the first statement: it opens the transaction, so that a `conn.transaction()`
                # block inside the unit of work is a savepoint (psycopg would otherwise make it the
                # outer transaction and commit it on its own), sets its limits, and no organization
                # is ever inherited (`SET LOCAL`: the organization ends with the transaction).
                if first is None:
                    await conn.execute(begin)
                else:
                    uow.first_rows = await _send_with_opening(conn, begin, first, commit=False)
                yield uow
                if read_only:
                    # With what was given to `write_with_commit`: PostgreSQL refuses it as any write in
                    # a read-only transaction, rather than it being dropped without a word.
                    await uow._send_commit()
            finally:
                # Also after a commit: statements run after it opened a new transaction that must not
                # go back to the pool. A broken connection is left to the pool, so that the original
                # error, not the failed rollback, reaches the caller.
                if not conn.closed:
                    await conn.rollback()

    async def run_alone(self, statement: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        """`statement` in a transaction of its own, acting as no organization with a unit of work's
        limits: opened, run and committed in one round trip where a unit of work takes three. Returns
        its rows."""
        async with self.pool.connection() as conn:
            await conn.set_autocommit(True)  # after a commit, `UnitOfWork.commit` turned it off
            try:
                return await _send_with_opening(conn, self._openings[False], (statement, params), commit=True)
            finally:
                # A failed statement leaves the transaction open and aborted (the COMMIT after it never ran).
                if not conn.closed:
                    await conn.rollback()

    async def ping(self) -> None:
        async with self.pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")
