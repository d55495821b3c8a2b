"""Fixtures: a clean world per test on real services started once per run."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import msgspec
import psycopg
import psycopg.conninfo
import psycopg.sql
import pytest
import redis
from litestar import Litestar
from pymongo import MongoClient

from lml.app import create_app
from lml.config import Settings
from lml.container import Container, build_container
from lml.platform.resources import Resources
from tests import services
from tests.fixtures.http import api_client
from tests.timing import TestClock

pytest_plugins = [
    "tests.fixtures.identity",
    "tests.fixtures.venues",
    "tests.fixtures.catalog",
    "tests.fixtures.seating",
    "tests.fixtures.ordering",
    "tests.fixtures.payments",
    "tests.fixtures.mail",
    "tests.fixtures.sms",
    "tests.fixtures.pgbouncer",
    "tests.fixtures.tracing",
]

# Tables that hold reference data the migrations insert; everything else is emptied per test.
_KEEP = {"platform.schema_migrations"}


@pytest.fixture(scope="session")
def service_urls() -> Iterator[dict[str, str]]:
    owner_dsn = os.environ.get("LML_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("LML_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    with (
        services.workdir() as work,
        services.postgres_database(owner_dsn) as (owner, app_dsn),
        services.mongo_server(work) as mongo_url,
        services.stripe_emulator(work) as stripe_url,
        services.redis_database(redis_url) as isolated_redis_url,
    ):
        yield {
            "owner_dsn": owner,
            "app_dsn": app_dsn,
            "redis_url": isolated_redis_url,
            "mongo_url": mongo_url,
            "stripe_url": stripe_url,
        }


@pytest.fixture
def fresh_dsn(service_urls: dict[str, str]) -> Iterator[str]:
    """The owner's DSN for a database that does not exist yet; dropped after the test if it was created."""
    name = f"lml_mig_{uuid.uuid4().hex[:10]}"
    admin = psycopg.conninfo.make_conninfo(service_urls["owner_dsn"], dbname="postgres")
    yield psycopg.conninfo.make_conninfo(service_urls["owner_dsn"], dbname=name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name)))


@pytest.fixture(scope="session")
def base_settings(service_urls: dict[str, str]) -> Settings:
    return Settings(
        env="development",
        database_url=service_urls["app_dsn"],
        migrate_database_url=service_urls["owner_dsn"],
        redis_url=service_urls["redis_url"],
        mongo_url=service_urls["mongo_url"],
        mongo_database="lml_test",
        stripe_api_base=service_urls["stripe_url"],
        stripe_secret_key="sk_test_lml",
        stripe_webhook_secret="whsec_test_lml",
        log_level="warning",
        db_pool_min=1,
        db_pool_max=10,
    )


@pytest.fixture(scope="session")
def _tables(service_urls: dict[str, str]) -> list[str]:
    with psycopg.connect(service_urls["owner_dsn"]) as conn:
        rows = conn.execute(
            "SELECT schemaname || '.' || tablename FROM pg_tables"
            " WHERE schemaname IN ('platform','identity','venues','catalog','seating','ordering','payments',"
            "'notifications','admission')"
        ).fetchall()
    return [r[0] for r in rows if r[0] not in _KEEP]


@pytest.fixture
def clean_world(service_urls: dict[str, str], base_settings: Settings, _tables: list[str]) -> None:
    """Every test starts with empty tables, an empty Redis database and an empty Mongo database."""
    with psycopg.connect(service_urls["owner_dsn"], autocommit=True) as conn:
        # TRUNCATE of every table costs a third of a second; most tests touch a few tables only.
        probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT FROM {t})" for t in _tables)
        used = [row[0] for row in conn.execute(probe).fetchall()] if _tables else []
        if used:
            conn.execute(f"TRUNCATE {', '.join(used)} RESTART IDENTITY CASCADE")
    client = redis.Redis.from_url(base_settings.redis_url)
    client.flushdb()
    client.close()
    mongo: MongoClient[dict[str, object]] = MongoClient(base_settings.mongo_url, serverSelectionTimeoutMS=5000)
    mongo.drop_database(base_settings.mongo_database)
    mongo.close()


@pytest.fixture(scope="session")
def redis_cluster_url() -> Iterator[str]:
    """A Redis Cluster of three masters, started for the run once a test asks for it."""
    with services.workdir() as work, services.redis_cluster(work) as cluster:
        yield cluster.url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests (marked `slow`) first, in their order, then the rest in theirs: the test processes
    (`pytest -n`) share out the short ones as they finish, rather than one running a long test alone
    at the end of the run while the other waits."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `redis_cluster` run on one Redis and on the cluster."""
    if metafunc.definition.get_closest_marker("redis_cluster") and "redis_mode" in metafunc.fixturenames:
        metafunc.parametrize("redis_mode", ["single", "cluster"], indirect=True)


@pytest.fixture
def redis_mode(request: pytest.FixtureRequest) -> str:
    """`single` (one Redis), or `cluster` for tests marked `redis_cluster`."""
    return str(getattr(request, "param", "single"))


@pytest.fixture
def settings(base_settings: Settings, clean_world: None, redis_mode: str, request: pytest.FixtureRequest) -> Settings:
    if redis_mode == "single":
        return base_settings
    # On the cluster, emptied; the worker's queues stay on the run's plain Redis.
    url = request.getfixturevalue("redis_cluster_url")
    cluster = redis.RedisCluster.from_url(url)
    cluster.flushall(target_nodes=redis.RedisCluster.PRIMARIES)
    cluster.close()
    return msgspec.structs.replace(base_settings, redis_url=url, redis_cluster=True,
                                   broker_url=base_settings.redis_url)


@pytest.fixture
def clock() -> TestClock:
    """Every context's clock in this test (the system's, moved only when the test says so)."""
    return TestClock()


@pytest.fixture
async def container(settings: Settings, clock: TestClock, hold_clock: TestClock) -> AsyncIterator[Container]:
    """The test's process, built by the composition root's own builder: every context's services on
    `clock`, the hold scripts on `hold_clock`."""
    built = build_container(settings, clock=clock, hold_now_ms=hold_clock.now_ms)
    await built.open()
    await built.resources.db.pool.wait(timeout=10)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
def resources(container: Container) -> Resources:
    return container.resources


@pytest.fixture
def app(container: Container) -> Litestar:
    return create_app(container=container)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The test's API client, on the stores `container` opened."""
    async with api_client(app) as test_client:
        yield test_client
