"""Script calls of concurrent requests share round trips to Redis.

    batcher = ScriptBatcher(client)
    reply = await batcher.run(script, keys, args)        # a registered AsyncScript, or a LibraryFunction
    limiter = RateLimiter(BatchingScripts(client), prefix)  # anything that takes a client and registers scripts


Each call through redis-py costs its own connection checkout, socket write and read loop: tens of
microseconds of Python and a system call, more than the script itself takes in Redis. Calls made
while the event loop runs one turn are sent as one pipeline instead (no MULTI: each script is atomic
on its own, and they touch different shows or follow each other in order anyway), and each caller
gets its own reply or error. Under load a batch holds several requests' scripts; alone, a call waits
one loop turn more than it would have. A Redis Cluster's pipeline sends each script to the node of
its keys' slot."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, ResponseError

from lml.platform.redis import LibraryFunction, RedisClient, function_missing
from lml.platform.tracing.stores import batch_span

MAX_BATCH = 128

# A script sent by SHA (EVALSHA), or a function of a library (FCALL).
_Runnable = AsyncScript | LibraryFunction
_Call = tuple[_Runnable, Sequence[Any], Sequence[Any], "asyncio.Future[Any]"]


class ScriptBatcher:
    def __init__(self, client: RedisClient) -> None:
        self._client = client
        self._pending: list[_Call] = []
        self._scheduled = False
        self._sending: set[asyncio.Task[None]] = set()

    async def run(self, script: _Runnable, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((script, keys, args, future))
        if len(self._pending) >= MAX_BATCH:
            self._flush()
        elif not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[_Call]) -> None:
        commands = [_command(script, keys, args) for script, keys, args, _ in batch]
        try:
            client = self._client
            if isinstance(client, aioredis.RedisCluster):
                # A cluster pipeline sends each script to its keys' node (by name: it refuses `evalsha()`).
                await client.initialize()  # the slots are known once the client has met the cluster
                pipe = client.pipeline(transaction=False)
                for (script, keys, _, _), command in zip(batch, commands, strict=True):
                    if isinstance(script, LibraryFunction):
                        # Its keys' node named: redis-py would ask a node for an FCALL's keys (COMMAND GETKEYS)
                        # every call. A redirection or a retry after a failover finds the node the slow way.
                        pipe.execute_command(*command, target_nodes=client.get_node_from_key(keys[0]))
                    else:
                        pipe.execute_command(*command)
                replies = await pipe.execute(raise_on_error=False)
            else:
                replies = await _exchange(client.connection_pool, commands)
        except BaseException as exc:
            # Every caller of the batch gets the failure (a cancelled send, at shutdown, as an error).
            failure = exc if isinstance(exc, Exception) else aioredis.ConnectionError("the batch was cancelled")
            for *_, future in batch:
                if not future.done():
                    future.set_exception(failure)
            if not isinstance(exc, Exception):
                raise
            return
        for (script, keys, args, future), reply in zip(batch, replies, strict=True):
            if _lost(script, reply):
                # Redis lost its scripts or functions (restart, flush), or never had them (a function's
                # first use): this call loads it again, once.
                try:
                    reply = await _again(script, keys, args)
                except Exception as exc:  # noqa: BLE001 - handed to the caller
                    reply = exc
            if future.done():
                continue  # the caller went away (request cancelled)
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)


def _command(script: _Runnable, keys: Sequence[Any], args: Sequence[Any]) -> tuple[Any, ...]:
    if isinstance(script, LibraryFunction):
        return ("FCALL", script.name, len(keys), *keys, *args)
    return ("EVALSHA", script.sha, len(keys), *keys, *args)


def _lost(script: _Runnable, reply: Any) -> bool:
    """Redis answered that it does not have the script (NOSCRIPT) or the function."""
    if isinstance(script, LibraryFunction):
        return isinstance(reply, Exception) and function_missing(reply)
    return isinstance(reply, NoScriptError)


async def _again(script: _Runnable, keys: Sequence[Any], args: Sequence[Any]) -> Any:
    """The call once its script or library is loaded (redis-py's script loads itself on NOSCRIPT)."""
    if isinstance(script, LibraryFunction):
        return await script.loaded_and_called(keys, args)
    return await script(keys=list(keys), args=list(args))


async def _exchange(pool: aioredis.ConnectionPool, commands: list[tuple[Any, ...]]) -> list[Any]:
    """The commands written at once on one of the pool's connections, then their replies read (an error
    reply in its command's place): what redis-py's pipeline does for them, without its bookkeeping
    around each command and each reply. A connection that fails is closed (the batch's callers get the
    error, as from the pipeline, which retries nothing either); the next batch gets a new one."""
    connection = await pool.get_connection()  # type: ignore[no-untyped-call]
    try:
        with batch_span(len(commands)):
            await connection.send_packed_command(connection.pack_commands(commands))
            replies: list[Any] = []
            try:
                # One deadline for the whole batch, not one per reply.
                async with asyncio.timeout(connection.socket_timeout):
                    for _ in commands:
                        try:
                            replies.append(await connection.read_response(timeout=math.inf))
                        except ResponseError as error:
                            replies.append(error)
            except TimeoutError as exc:
                await connection.disconnect(nowait=True)  # its replies may still come: never reused
                raise aioredis.TimeoutError("Redis did not answer a batch of scripts in time") from exc
            return replies
    finally:
        await pool.release(connection)


class _BatchedScript:
    def __init__(self, batcher: ScriptBatcher, script: AsyncScript) -> None:
        self._batcher = batcher
        self._script = script

    async def __call__(self, keys: Sequence[Any] | None = None, args: Sequence[Any] | None = None) -> Any:
        return await self._batcher.run(self._script, keys or [], args or [])


class BatchingScripts:
    """Stands in for the client where only `register_script` is used (`lml.platform.redis.LuaScript`):
    the scripts it registers run through one ScriptBatcher."""

    def __init__(self, client: RedisClient) -> None:
        self._client = client
        self._batcher = ScriptBatcher(client)

    def register_script(self, source: str) -> _BatchedScript:
        return _BatchedScript(self._batcher, self._client.register_script(source))
