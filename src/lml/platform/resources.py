"""The connections one process holds: opened at start, closed at stop, passed in (never global)."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from lml.config import Settings
from lml.platform.clock import Clock, SystemClock
from lml.platform.db import Database
from lml.platform.mongo import Mongo
from lml.platform.redis import create_redis
from lml.platform.tokens import TokenCodec


class Resources:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.db = Database(settings)
        self.redis: aioredis.Redis = create_redis(settings)
        self.mongo = Mongo(settings)
        self.tokens = TokenCodec(settings)

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        await asyncio.gather(self.db.close(), self.redis.aclose(), self.mongo.close(), return_exceptions=True)

    async def check(self) -> dict[str, str]:
        """Each store's health, `ok` or the reason it failed."""

        async def probe(check: object) -> str:
            try:
                await asyncio.wait_for(check, timeout=3)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - any failure means not ready
                return f"failed: {type(exc).__name__}"
            return "ok"

        names = ("postgresql", "redis", "mongodb")
        results = await asyncio.gather(probe(self.db.ping()), probe(self.redis.ping()), probe(self.mongo.ping()))
        return dict(zip(names, results, strict=True))
