"""The process for the catalog benchmarks: on the LML_* settings' stores (a migrated database, Redis,
MongoDB), or with `--fresh` on a throwaway world like the tests' (new database, claimed Redis index,
nx-27017), removed after."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager

from lml.config import Settings
from lml.container import Container, build_container


def _fresh_settings(stack: ExitStack) -> Settings:
    from tests import services  # the test harness's throwaway services

    owner_dsn = os.environ.get("LML_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    work = stack.enter_context(services.workdir())
    owner, app_dsn = stack.enter_context(services.postgres_database(owner_dsn))
    mongo_url = stack.enter_context(services.mongo_server(work))
    redis_url = stack.enter_context(services.redis_database(os.environ.get("LML_TEST_REDIS_URL",
                                                                           "redis://127.0.0.1:6379")))
    return Settings(database_url=app_dsn, migrate_database_url=owner, redis_url=redis_url, mongo_url=mongo_url,
                    mongo_database="lml_bench", log_level="warning", db_pool_min=2, db_pool_max=20,
                    db_statement_timeout_ms=60_000,
                    # The concurrent buyers all come from this machine but stand for as many networks.
                    rate_limit_address_burst=10_000_000, rate_limit_address_per_second=1_000_000)


@asynccontextmanager
async def bench_container(fresh: bool) -> AsyncIterator[Container]:
    """The process's container, its resources open (and closed after)."""
    with ExitStack() as stack:
        container = build_container(_fresh_settings(stack) if fresh else Settings.from_env())
        await container.open()
        try:
            await container.resources.db.pool.wait(timeout=10)
            yield container
        finally:
            await container.close()
