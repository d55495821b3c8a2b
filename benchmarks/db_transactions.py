"""What one unit of work costs: the pool, its opening statement (the transaction's limits and
organization) and a one-row primary-key read, straight to PostgreSQL with and without prepared
statements, and through PgBouncer in transaction pooling mode.

    .venv/bin/python -m benchmarks.db_transactions                      # 5 rounds of 2,000 a case
    .venv/bin/python -m benchmarks.db_transactions --rounds 9 --transactions 5000

A throwaway database like the tests' (and PgBouncer 1.18 from Debian, started as the tests start it,
with as many server connections as the concurrent case's pool). The cases take turns, round after
round; reported is each case's median round. One after another on one connection (microseconds a
transaction): the read in a bare transaction on one psycopg connection (no pool), alone, after the
organization alone is set (`set_config('app.org_id', ...)`, the opening statement before the limits
moved into it), and after the unit of work's opening statement; then whole units of work. Then
units of work from 16 tasks at once on a pool of 8 (transactions a second). Nothing here fails on
timing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack

import msgspec
import psycopg
from tests import services

from lml.config import Settings
from lml.platform.db import BEGIN_STATEMENT, Database

READ = "SELECT id, status FROM platform.outbox WHERE id = %s"
TASKS, POOL = 16, 8


ORGANIZATION_ONLY = ("SELECT set_config('app.org_id', %s, true)", ("",))
OPENING = (BEGIN_STATEMENT, ("5000ms", "2000ms", "10000ms", ""))


async def bare(dsn: str, count: int, opening: tuple[str, tuple[str, ...]] | None = None) -> float:
    """Seconds for `count` bare transactions (`opening`, the read, then a rollback) on one connection."""
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        started = time.perf_counter()
        for i in range(count):
            if opening:
                await conn.execute(*opening)
            await conn.execute(READ, (i,))
            await conn.rollback()
        return time.perf_counter() - started


async def units_of_work(settings: Settings, count: int, tasks: int, pool: int) -> float:
    """Seconds for `count` units of work with the read, from `tasks` tasks on a pool of `pool`."""
    db = Database(msgspec.structs.replace(settings, db_pool_min=pool, db_pool_max=pool))
    await db.open()
    await db.pool.wait(timeout=10)

    async def run(share: range) -> None:
        for i in share:
            async with db.unit_of_work() as uow:
                await uow.conn.execute(READ, (i,))

    try:
        started = time.perf_counter()
        await asyncio.gather(*(run(range(t, count, tasks)) for t in range(tasks)))
        return time.perf_counter() - started
    finally:
        await db.close()


async def measure(cases: dict[str, Callable[[int], Awaitable[float]]], count: int, rounds: int) -> dict[str, float]:
    """Each case's median seconds for `count` transactions over `rounds` rounds."""
    for case in cases.values():
        await case(min(count, 500))  # warm up: caches, psycopg's prepared statements
    taken: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, case in cases.items():
            taken[name].append(await case(count))
    return {name: statistics.median(seconds) for name, seconds in taken.items()}


async def main(count: int, rounds: int) -> None:
    load = os.getloadavg()[0]
    owner_dsn = os.environ.get("LML_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    with ExitStack() as stack:
        work = stack.enter_context(services.workdir())
        _, app_dsn = stack.enter_context(services.postgres_database(owner_dsn))
        pooled_dsn = stack.enter_context(services.pgbouncer(app_dsn, work, pool_size=POOL))
        direct = Settings(database_url=app_dsn, log_level="warning")
        unprepared = msgspec.structs.replace(direct, db_prepared_statements=False)
        behind = msgspec.structs.replace(unprepared, database_url=pooled_dsn)

        sequential = await measure({
            "bare transaction, straight": lambda n: bare(app_dsn, n),
            "bare, organization only, straight": lambda n: bare(app_dsn, n, ORGANIZATION_ONLY),
            "bare, opening statement, straight": lambda n: bare(app_dsn, n, OPENING),
            "bare transaction, PgBouncer": lambda n: bare(pooled_dsn, n),
            "unit of work, straight, prepared": lambda n: units_of_work(direct, n, 1, 1),
            "unit of work, straight, not prepared": lambda n: units_of_work(unprepared, n, 1, 1),
            "unit of work, PgBouncer, not prepared": lambda n: units_of_work(behind, n, 1, 1),
        }, count, rounds)
        concurrent = await measure({
            "unit of work, straight, prepared": lambda n: units_of_work(direct, n, TASKS, POOL),
            "unit of work, straight, not prepared": lambda n: units_of_work(unprepared, n, TASKS, POOL),
            "unit of work, PgBouncer, not prepared": lambda n: units_of_work(behind, n, TASKS, POOL),
        }, count, rounds)

    print(f"median of {rounds} rounds of {count} transactions a case; load average at the start: {load:.2f}")
    print("one after another, on one connection (µs a transaction):")
    reference = sequential["bare transaction, straight"]
    for name, seconds in sequential.items():
        print(f"  {name:<38} {seconds / count * 1e6:8.0f} µs   x{seconds / reference:.2f} of a bare one")
    print(f"{TASKS} tasks at once, a pool of {POOL} (transactions a second):")
    for name, seconds in concurrent.items():
        print(f"  {name:<38} {count / seconds:8.0f} /s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=2000, help="transactions a case and round")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.transactions, arguments.rounds))
