"""Redis connections closed under a call in flight: a connection error (retried by the cluster client,
an outage for the API: 503), never some other exception (a 500)."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lml.config import Settings
from lml.platform.redis import create_redis

pytestmark = pytest.mark.redis_cluster


async def _a_connection_as_the_client_makes(settings: Settings) -> aioredis.Connection:
    client = create_redis(settings)
    try:
        if isinstance(client, aioredis.RedisCluster):
            await client.initialize()  # the nodes it learnt of, beyond the one it was given
            node = client.get_primaries()[-1]
            return node.connection_class(**{**node.connection_kwargs, "socket_timeout": 0.5})
        pool = client.connection_pool
        return pool.connection_class(**{**pool.connection_kwargs, "socket_timeout": 0.5})
    finally:
        await client.aclose()


async def test_a_connection_closed_by_another_task_while_a_command_is_sent_fails_as_a_connection_error(
    settings: Settings,
) -> None:
    outcomes = []
    # Another task closes the connection after so many turns of the loop: somewhere between connecting
    # and writing the command, and between the last check and the write.
    for turns in range(1, 16):
        connection = await _a_connection_as_the_client_makes(settings)

        async def close_later(turns: int = turns, connection: aioredis.Connection = connection) -> None:
            for _ in range(turns):
                await asyncio.sleep(0)
            await connection.disconnect(nowait=True)

        sent, _ = await asyncio.gather(connection.send_command("PING"), close_later(), return_exceptions=True)
        await connection.disconnect()
        outcomes.append(sent)
    unexpected = [o for o in outcomes if o is not None and not isinstance(o, RedisConnectionError | RedisTimeoutError)]
    assert unexpected == []
