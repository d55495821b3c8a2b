"""Scripts of concurrent callers sent together (`lml.platform.redis_batch`): each caller gets its own
reply or its own error; a connection Redis dropped fails the batch on it with a connection error (an
outage: the API answers 503), never anything else, and the next batch is answered over a new one."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from lml.config import Settings
from lml.platform.redis import create_redis
from lml.platform.redis_batch import ScriptBatcher

pytestmark = pytest.mark.redis_cluster

ECHO = "if ARGV[1] == 'fail' then return redis.error_reply('ERR refused ' .. KEYS[1]) end return {KEYS[1], ARGV[1]}"


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
    client = create_redis(settings)
    admin = create_redis(settings)
    try:
        script = client.register_script(ECHO)
        batcher = ScriptBatcher(client)
        assert await batcher.run(script, ["{x}:k"], ["before"]) == [b"{x}:k", b"before"]
        # Redis drops every connection of the client's (a restart, a failover, an idle timeout).
        await admin.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")

        on_the_dropped = await asyncio.gather(*(batcher.run(script, [f"{{y{i}}}:k"], ["after"]) for i in range(4)),
                                              return_exceptions=True)
        answers = await asyncio.gather(*(batcher.run(script, [f"{{y{i}}}:k"], ["again"]) for i in range(4)))

        assert all(isinstance(answer, RedisConnectionError) or answer == [f"{{y{i}}}:k".encode(), b"after"]
                   for i, answer in enumerate(on_the_dropped))
        assert answers == [[f"{{y{i}}}:k".encode(), b"again"] for i in range(4)]
    finally:
        await client.aclose()
        await admin.aclose()
