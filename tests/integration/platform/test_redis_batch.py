"""Scripts of concurrent callers sent together (`lml.platform.redis_batch`): each caller gets its own
reply or its own error; a connection Redis dropped fails the batch on it with a connection error (an
outage: the API answers 503), never anything else, and the next batch is answered over a new one.
Functions of a library (`lml.platform.redis.FunctionLibrary`) alike, the library loaded on first use,
again once Redis lost it, and beside another version of it."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from lml.config import Settings
from lml.platform.redis import FunctionLibrary, LibrarySource, RedisClient, create_redis, library_source
from lml.platform.redis_batch import ScriptBatcher

ECHO = "if ARGV[1] == 'fail' then return redis.error_reply('ERR refused ' .. KEYS[1]) end return {KEYS[1], ARGV[1]}"


@pytest.mark.redis_cluster
async def test_each_caller_gets_its_own_reply_and_a_failing_script_fails_only_its_caller(settings: Settings) -> None:
    client = create_redis(settings)
    try:
        script = client.register_script(ECHO)
        await script(keys=["{a}:k"], args=["warm"])  # loaded, as every script is before its first batch
        batcher = ScriptBatcher(client)

        answers = await asyncio.gather(
            *(batcher.run(script, [f"{{s{i}}}:k"], ["fail" if i == 3 else f"v{i}"]) for i in range(8)),
            return_exceptions=True,
        )

        for i, answer in enumerate(answers):
            if i == 3:
                assert isinstance(answer, ResponseError) and "refused {s3}:k" in str(answer)
            else:
                assert answer == [f"{{s{i}}}:k".encode(), f"v{i}".encode()]
    finally:
        await client.aclose()


async def test_after_redis_dropped_the_connection_the_next_batch_is_answered_over_a_new_one(
    settings: Settings,
) -> None:
    """One Redis: a cluster's batches go through redis-py's pipeline, not `_exchange`."""
    client = create_redis(settings)
    # Named, so that only its connections are dropped: other tests' clients share the server.
    client.connection_pool.connection_kwargs["client_name"] = name = f"lml-batch-test-{uuid.uuid4().hex}"
    admin = create_redis(settings)
    try:
        script = client.register_script(ECHO)
        batcher = ScriptBatcher(client)
        assert await batcher.run(script, ["{x}:k"], ["before"]) == [b"{x}:k", b"before"]
        # Redis drops the client's connections (a restart, a failover, an idle timeout).
        ours = [connection["id"] for connection in await admin.client_list() if connection["name"] == name]
        assert ours
        for connection_id in ours:
            await admin.client_kill_filter(_id=connection_id)

        on_the_dropped = await asyncio.gather(*(batcher.run(script, [f"{{y{i}}}:k"], ["after"]) for i in range(4)),
                                              return_exceptions=True)
        answers = await asyncio.gather(*(batcher.run(script, [f"{{y{i}}}:k"], ["again"]) for i in range(4)))

        assert all(isinstance(answer, RedisConnectionError) or answer == [f"{{y{i}}}:k".encode(), b"after"]
                   for i, answer in enumerate(on_the_dropped))
        assert answers == [[f"{{y{i}}}:k".encode(), b"again"] for i in range(4)]
    finally:
        await client.aclose()
        await admin.aclose()


@pytest.fixture
async def admin(settings: Settings) -> AsyncIterator[RedisClient]:
    client = create_redis(settings)
    try:
        yield client
    finally:
        await client.aclose()


def echo_library(prefix: str, version: str = "1") -> LibrarySource:
    """The test's library (a prefix of its own), its text changed by `version`."""
    shared = f"local VERSION = '{version}'\nlocal function echo(key, value) return {{key, value, VERSION}} end\n"
    body = ("if ARGV[1] == 'fail' then return redis.error_reply('ERR refused ' .. KEYS[1]) end\n"
            "return echo(KEYS[1], ARGV[1])")
    return library_source(prefix, shared, {"echo": body})


def own_prefix() -> str:
    return f"test_{os.urandom(6).hex()}"


async def libraries_on_every_primary(client: RedisClient) -> list[set[str]]:
    """The names of the libraries loaded on each primary (the one Redis: one set)."""
    if isinstance(client, aioredis.RedisCluster):
        await client.initialize()
        nodes = client.get_primaries()
        answers = [await client.execute_command("FUNCTION LIST", target_nodes=node) for node in nodes]
    else:
        answers = [await client.execute_command("FUNCTION LIST")]
    return [{_library_name(library) for library in answer} for answer in answers]


def _library_name(library: list[bytes] | dict[bytes, bytes]) -> str:
    fields = dict(zip(library[::2], library[1::2], strict=True)) if isinstance(library, list) else library
    return fields[b"library_name"].decode()


@pytest.mark.redis_cluster
async def test_a_librarys_functions_are_batched_loaded_on_first_use_on_every_primary_and_again_once_lost(
    settings: Settings, admin: RedisClient,
) -> None:
    client = create_redis(settings)
    source = echo_library(own_prefix())
    try:
        batcher = ScriptBatcher(client)
        echo = FunctionLibrary(client, source).function("echo")

        def calls(value: str) -> list[asyncio.Future[object]]:
            return [asyncio.ensure_future(batcher.run(echo, [f"{{f{i}}}:k"], ["fail" if i == 3 else value]))
                    for i in range(8)]

        async def answers_of(value: str) -> None:
            answers = await asyncio.gather(*calls(value), return_exceptions=True)
            for i, answer in enumerate(answers):
                if i == 3:
                    assert isinstance(answer, ResponseError) and "refused {f3}:k" in str(answer)
                else:
                    assert answer == [f"{{f{i}}}:k".encode(), value.encode(), b"1"]

        await answers_of("first")  # not loaded yet: the first calls load it
        assert all(source.name in names for names in await libraries_on_every_primary(admin))

        # As a restart or a failover to an empty replica would (this library only: other tests share the server).
        await admin.function_delete(source.name)
        await answers_of("after")
        assert all(source.name in names for names in await libraries_on_every_primary(admin))
    finally:
        await admin.function_delete(source.name)
        await client.aclose()


@pytest.mark.redis_cluster
async def test_two_versions_of_a_library_are_loaded_side_by_side_and_each_answers_as_its_own(
    settings: Settings, admin: RedisClient,
) -> None:
    prefix = own_prefix()
    older, newer = echo_library(prefix, "old"), echo_library(prefix, "new")
    assert older.name != newer.name and older.functions["echo"] != newer.functions["echo"]
    old_client, new_client = create_redis(settings), create_redis(settings)
    try:
        old_function = FunctionLibrary(old_client, older).function("echo")
        new_function = FunctionLibrary(new_client, newer).function("echo")
        assert await old_function(["{v}:k"], ["a"]) == [b"{v}:k", b"a", b"old"]  # an older process's, loaded first
        assert await ScriptBatcher(new_client).run(new_function, ["{v}:k"], ["b"]) == [b"{v}:k", b"b", b"new"]
        assert await ScriptBatcher(old_client).run(old_function, ["{v}:k"], ["c"]) == [b"{v}:k", b"c", b"old"]
        assert all({older.name, newer.name} <= names for names in await libraries_on_every_primary(admin))
    finally:
        for source in (older, newer):
            await admin.function_delete(source.name)
        await old_client.aclose()
        await new_client.aclose()
