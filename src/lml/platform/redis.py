"""Redis: one asyncio client per process, and Lua scripts loaded once and called by SHA."""

from __future__ import annotations

from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from lml.config import Settings


def create_redis(settings: Settings) -> aioredis.Redis:
    # Blocking: past 256 calls in flight a request waits for a connection instead of failing.
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.redis_url,
        decode_responses=False,
        health_check_interval=30,
        socket_connect_timeout=2,
        socket_timeout=5,
        max_connections=256,
        timeout=5,
    )
    return aioredis.Redis.from_pool(pool)  # the client owns the pool and closes it


def lua_source(package: str, *names: str) -> str:
    """The files of a package's `lua/` folder, one after the other: a prelude the scripts share (the
    keys they name, their helpers), then the script itself."""
    folder = resources.files(package).joinpath("lua")
    return "".join(folder.joinpath(name).read_text() for name in names)


class LuaScript:
    """A script from a package's `lua/` folder; redis-py calls EVALSHA and reloads on NOSCRIPT."""

    def __init__(self, client: aioredis.Redis, package: str, *names: str) -> None:
        """`names`: the script's preludes, then the script (see `lua_source`)."""
        self._script: AsyncScript = client.register_script(lua_source(package, *names))

    async def __call__(self, keys: list[Any], args: list[Any]) -> Any:
        return await self._script(keys=keys, args=args)
