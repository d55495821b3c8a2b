"""Redis connections closed under a call in flight: a connection error (retried by the cluster client,
an outage for the API: 503), never some other exception (a 500); on asyncio's loop and on uvloop, the
loop `lml serve` runs on."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
import uvloop
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


async def _send_while_another_task_closes(settings: Settings) -> list[BaseException]:
    """What sending a command raised, for every moment another task closed the connection meanwhile."""
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
    return [o for o in outcomes if o is not None and not isinstance(o, RedisConnectionError | RedisTimeoutError)]


async def test_a_connection_closed_by_another_task_while_a_command_is_sent_fails_as_a_connection_error(
    settings: Settings,
) -> None:
    assert await _send_while_another_task_closes(settings) == []


async def _send_on_a_connection_whose_peer_went_away(settings: Settings) -> BaseException | None:
    connection = await _a_connection_as_the_client_makes(settings)
    await connection.connect()
    assert connection._writer is not None
    connection._writer.transport.abort()  # as when a Redis node dies: the socket gone, the writer kept
    await asyncio.sleep(0)
    try:
        await connection.send_packed_command(connection.pack_command("PING"), check_health=False)
    except Exception as failure:  # noqa: BLE001 - what it raised is the point
        return failure
    finally:
        await connection.disconnect()
    return None


async def test_a_command_written_to_a_connection_whose_socket_is_gone_fails_as_a_connection_error(
    settings: Settings,
) -> None:
    assert isinstance(await _send_on_a_connection_whose_peer_went_away(settings), RedisConnectionError)


def test_on_uvloop_a_closed_connection_fails_as_a_connection_error_too(settings: Settings) -> None:
    # uvloop refuses a write to a closed transport with a RuntimeError where asyncio's loop drops it.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(_send_while_another_task_closes(settings)) == []
        assert isinstance(runner.run(_send_on_a_connection_whose_peer_went_away(settings)), RedisConnectionError)
