"""The PostgreSQL pool: the limits of every transaction, the application role, and a unit of work that rolls
back unless committed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import psycopg
import pytest

from lml.config import Settings
from lml.platform.db import Database
from lml.platform.resources import Resources


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    # One connection, so that what one unit of work leaves behind is what the next one gets.
    database = Database(
        msgspec.structs.replace(
            settings,
            db_pool_min=1,
            db_pool_max=1,
            db_statement_timeout_ms=250,
            db_lock_timeout_ms=150,
            db_idle_in_transaction_timeout_ms=4000,
        )
    )
    await database.open()
    await database.pool.wait(timeout=10)
    try:
        yield database
    finally:
        await database.close()


async def outbox_rows(db: Database) -> int:
    async with db.unit_of_work() as uow:
        row = await (await uow.conn.execute("SELECT count(*) AS n FROM platform.outbox")).fetchone()
    assert row is not None
    return int(row["n"])


async def insert_row(uow_conn: psycopg.AsyncConnection[dict[str, object]]) -> None:
    await uow_conn.execute("INSERT INTO platform.outbox (event_type, payload) VALUES ('test.Probe', '{}')")


async def test_every_unit_of_work_runs_with_the_configured_limits(db: Database) -> None:
    async with db.unit_of_work() as uow:
        shown = {}
        for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout", "TimeZone",
                     "application_name"):
            row = await (await uow.conn.execute(f"SHOW {name}")).fetchone()
            assert row is not None
            shown[name] = next(iter(row.values()))

    assert shown == {
        "statement_timeout": "250ms",
        "lock_timeout": "150ms",
        "idle_in_transaction_session_timeout": "4s",
        "TimeZone": "UTC",
        "application_name": "lml",
    }


async def test_a_statement_over_the_timeout_is_cancelled(db: Database) -> None:
    with pytest.raises(psycopg.errors.QueryCanceled):
        async with db.unit_of_work() as uow:
            await uow.conn.execute("SELECT pg_sleep(2)")


async def test_the_defaults_are_sane_limits(resources: Resources) -> None:
    async with resources.db.unit_of_work() as uow:
        row = await (await uow.conn.execute("SHOW statement_timeout")).fetchone()

    assert row == {"statement_timeout": "5s"}


async def test_a_unit_of_work_left_without_commit_rolls_back(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await insert_row(uow.conn)

    assert await outbox_rows(db) == 0


async def test_a_committed_unit_of_work_is_kept(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await insert_row(uow.conn)
        await uow.commit()

    assert await outbox_rows(db) == 1


async def test_an_exception_rolls_back_and_reaches_the_caller(db: Database) -> None:
    with pytest.raises(LookupError, match="no such seat"):
        async with db.unit_of_work() as uow:
            await insert_row(uow.conn)
            raise LookupError("no such seat")

    assert await outbox_rows(db) == 0


async def test_a_failed_statement_leaves_a_clean_connection_for_the_next_unit_of_work(db: Database) -> None:
    with pytest.raises(psycopg.errors.UndefinedTable):
        async with db.unit_of_work() as uow:
            await uow.conn.execute("SELECT * FROM platform.no_such_table")

    async with db.unit_of_work() as uow:
        await insert_row(uow.conn)
        await uow.commit()
    assert await outbox_rows(db) == 1


async def test_writes_after_commit_are_not_kept(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await insert_row(uow.conn)
        await uow.commit()
        await insert_row(uow.conn)

    assert await outbox_rows(db) == 1


async def test_writes_committed_again_after_a_commit_are_kept(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await insert_row(uow.conn)
        await uow.commit()
        await insert_row(uow.conn)
        await uow.commit()

    assert await outbox_rows(db) == 2


async def test_a_savepoint_first_in_a_unit_of_work_keeps_nothing_on_its_own(db: Database) -> None:
    async with db.unit_of_work() as uow, uow.conn.transaction():
        await insert_row(uow.conn)

    assert await outbox_rows(db) == 0


async def test_a_malformed_organization_id_is_refused_before_any_query(db: Database) -> None:
    with pytest.raises(ValueError, match="badly formed"):
        async with db.unit_of_work(org_id="not-a-uuid"):
            pass


async def test_the_app_connects_as_lml_app_which_is_no_superuser_and_does_not_bypass_rls(db: Database) -> None:
    async with db.unit_of_work() as uow:
        role = await (
            await uow.conn.execute(
                "SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb"
                " FROM pg_roles WHERE rolname = current_user"
            )
        ).fetchone()
        owned = await (
            await uow.conn.execute(
                "SELECT count(*) AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
                " WHERE r.rolname = current_user"
            )
        ).fetchone()

    assert role == {
        "rolname": "lml_app", "rolsuper": False, "rolbypassrls": False, "rolcreaterole": False, "rolcreatedb": False
    }
    # It owns nothing: an owner would be exempt from its tables' policies unless they are FORCEd.
    assert owned == {"n": 0}


async def test_the_app_role_cannot_change_the_schema(db: Database) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with db.unit_of_work() as uow:
            await uow.conn.execute("CREATE TABLE platform.sneaky (id int)")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with db.unit_of_work() as uow:
            await uow.conn.execute("ALTER TABLE platform.outbox DISABLE ROW LEVEL SECURITY")


async def test_what_waits_for_the_commit_runs_once_after_it_and_never_after_a_rollback(db: Database) -> None:
    ran: list[str] = []
    async with db.unit_of_work() as uow:
        uow.after_commit(lambda: ran.append("rolled back"))
    async with db.unit_of_work() as uow:
        uow.after_commit(lambda: ran.append("committed"))
        assert ran == []
        await uow.commit()
        await uow.commit()  # a second commit (of nothing) runs nothing again
    assert ran == ["committed"]


async def test_what_waits_for_the_commit_in_a_savepoint_that_rolls_back_is_dropped_with_it(db: Database) -> None:
    ran: list[str] = []
    async with db.unit_of_work() as uow:
        uow.after_commit(lambda: ran.append("before"))
        with pytest.raises(LookupError):
            async with uow.savepoint():
                uow.after_commit(lambda: ran.append("undone"))
                raise LookupError("no such seat")
        async with uow.savepoint():
            uow.after_commit(lambda: ran.append("kept"))
        await uow.commit()
    assert ran == ["before", "kept"]


async def test_a_read_only_unit_of_work_refuses_to_write(db: Database) -> None:
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        async with db.unit_of_work(read_only=True) as uow:
            await insert_row(uow.conn)
    # A write given for the commit is refused too, not dropped without a word.
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        async with db.unit_of_work(read_only=True) as uow:
            uow.write_with_commit(("INSERT INTO platform.outbox (event_type, payload) VALUES (%s, %s)",
                                   ("test.Probe", "{}")))

    assert await outbox_rows(db) == 0


async def test_statements_prepared_in_read_only_units_of_work_stay_prepared(db: Database) -> None:
    query = "SELECT count(*) AS n FROM platform.outbox WHERE event_type = %s"
    for _ in range(8):  # past psycopg's prepare threshold, each run in a unit of work of its own
        async with db.unit_of_work(read_only=True) as uow:
            await uow.conn.execute(query, ("test.Probe",))

    async with db.unit_of_work(read_only=True) as uow:
        prepared = await (
            await uow.conn.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        ).fetchall()
    assert [row["statement"] for row in prepared] == [query.replace("%s", "$1")]


async def test_a_statement_run_alone_commits_with_the_limits_and_binds_its_parameters_safely(db: Database) -> None:
    [limits] = await db.run_alone("SELECT current_setting('statement_timeout') AS timeout,"
                                  " current_setting('app.org_id') AS org, %s::text AS quoted", ("it's; COMMIT",))
    assert limits == {"timeout": "250ms", "org": "", "quoted": "it's; COMMIT"}
    assert await db.run_alone("INSERT INTO platform.outbox (event_type, payload) VALUES (%s, %s)",
                              ("test.Probe", "{}")) == []
    assert await outbox_rows(db) == 1


async def test_a_statement_run_alone_that_fails_keeps_nothing_and_leaves_a_clean_connection(db: Database) -> None:
    with pytest.raises(psycopg.errors.QueryCanceled):
        await db.run_alone("WITH added AS (INSERT INTO platform.outbox (event_type, payload)"
                           " VALUES ('test.Probe', '{}')) SELECT pg_sleep(2)", ())
    assert await outbox_rows(db) == 0
    [row] = await db.run_alone("SELECT 1 AS one", ())
    assert row == {"one": 1}


async def test_a_first_statement_sent_with_the_opening_is_part_of_the_unit_of_work(db: Database) -> None:
    insert = ("INSERT INTO platform.outbox (event_type, payload) VALUES (%s, %s) RETURNING event_type",
              ("test.Probe", "{}"))
    async with db.unit_of_work(first=insert) as uow:
        assert uow.first_rows == [{"event_type": "test.Probe"}]
        row = await (await uow.conn.execute("SHOW statement_timeout")).fetchone()
        assert row == {"statement_timeout": "250ms"}
    assert await outbox_rows(db) == 0  # not committed
    async with db.unit_of_work(first=insert) as uow:
        await uow.commit()
    assert await outbox_rows(db) == 1


PROBE = ("INSERT INTO platform.outbox (event_type, payload) VALUES (%s, %s)", ("test.Probe", "{}"))


async def test_writes_sent_with_the_commit_are_kept_in_the_order_given_and_only_if_it_commits(db: Database) -> None:
    async with db.unit_of_work() as uow:
        uow.write_with_commit(PROBE)
    assert await outbox_rows(db) == 0  # rolled back: never sent

    async with db.unit_of_work() as uow:
        await insert_row(uow.conn)
        for n in range(3):
            uow.write_with_commit(("INSERT INTO platform.outbox (event_type, payload) VALUES (%s, %s)",
                                   (f"test.Probe{n}", "{}")))
        await uow.commit()
        await insert_row(uow.conn)  # after the commit: a new transaction, rolled back
    async with db.unit_of_work() as uow:
        kept = await (await uow.conn.execute("SELECT event_type FROM platform.outbox ORDER BY id")).fetchall()
    assert [row["event_type"] for row in kept] == ["test.Probe", "test.Probe0", "test.Probe1", "test.Probe2"]


async def test_a_write_sent_with_the_commit_that_fails_fails_the_commit_and_keeps_nothing(db: Database) -> None:
    with pytest.raises(psycopg.errors.NotNullViolation):
        async with db.unit_of_work() as uow:
            await insert_row(uow.conn)
            uow.write_with_commit(("INSERT INTO platform.outbox (event_type, payload) VALUES (%s, NULL)",
                                   ("test.Probe",)))
            await uow.commit()
    assert await outbox_rows(db) == 0
    async with db.unit_of_work() as uow:
        uow.write_with_commit(PROBE)
        await uow.commit()
    assert await outbox_rows(db) == 1


async def test_writes_given_in_a_savepoint_that_rolls_back_are_dropped_with_it(db: Database) -> None:
    async with db.unit_of_work() as uow:
        uow.write_with_commit(PROBE)
        with pytest.raises(LookupError):
            async with uow.savepoint():
                await insert_row(uow.conn)
                uow.write_with_commit(PROBE)
                raise LookupError("no such seat")
        async with uow.savepoint():
            uow.write_with_commit(PROBE)
        await uow.commit()

    assert await outbox_rows(db) == 2


async def test_savepoints_left_to_the_commit_each_undo_only_their_own_work(db: Database) -> None:
    async with db.unit_of_work() as uow:
        async with uow.savepoint():
            await insert_row(uow.conn)
            async with uow.savepoint():
                await insert_row(uow.conn)
        with pytest.raises(LookupError):
            async with uow.savepoint():
                await insert_row(uow.conn)
                raise LookupError("no such order")
        # A savepoint after one that rolled back, and one whose inner savepoint rolled back.
        async with uow.savepoint():
            await insert_row(uow.conn)
            with pytest.raises(psycopg.errors.UndefinedTable):
                async with uow.savepoint():
                    await insert_row(uow.conn)
                    await uow.conn.execute("SELECT * FROM platform.no_such_table")
        await uow.commit()

    assert await outbox_rows(db) == 3


async def test_a_savepoint_that_rolls_back_undoes_the_completed_savepoints_inside_it(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await insert_row(uow.conn)
        with pytest.raises(LookupError):
            async with uow.savepoint():
                async with uow.savepoint():
                    await insert_row(uow.conn)
                    uow.write_with_commit(PROBE)
                raise LookupError("the late payment's seats are gone")
        await uow.commit()

    assert await outbox_rows(db) == 1
