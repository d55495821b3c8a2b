"""The connections one process holds: opened at start, closed at stop, passed in (never global)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from lml.config import Settings
from lml.platform.clock import Clock, SystemClock
from lml.platform.db import Database
from lml.platform.logging import get_logger
from lml.platform.mongo import Mongo
from lml.platform.redis import RedisClient, create_redis
from lml.platform.session_revocation import SessionRevocations
from lml.platform.tokens import TokenCodec

log = get_logger("lml.resources")


class Resources:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.db = Database(settings)
        self.redis: RedisClient = create_redis(settings)
        self.mongo = Mongo(settings)
        self.tokens = TokenCodec(settings)
        self.revocations = SessionRevocations(self.redis, settings.redis_key_prefix, self.tokens.revoked)

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        # Each store is closed even when another fails to; a failure is logged, shutdown goes on.
        results = await asyncio.gather(
            self.db.close(), self.redis.aclose(), self.mongo.close(), return_exceptions=True
        )
        for store, result in zip(("postgresql", "redis", "mongodb"), results, strict=True):
            if isinstance(result, BaseException):
                log.warning("store_close_failed", store=store, error=type(result).__name__)

    async def check(self, seconds: float = 2.0) -> dict[str, str]:
        """Each store's health, `ok` or the reason it failed; all probed at once, each within `seconds`
        (as long as the pool waits for a connection, so that a busy pool alone is not "unready")."""

        async def probe(check: Awaitable[object]) -> str:
            try:
                await asyncio.wait_for(check, timeout=seconds)
            except Exception as exc:  # noqa: BLE001 - any failure means not ready
                return f"failed: {type(exc).__name__}"
            return "ok"

        names = ("postgresql", "redis", "mongodb")
        results = await asyncio.gather(probe(self.db.ping()), probe(self.redis.ping()), probe(self.mongo.ping()))
        return dict(zip(names, results, strict=True))
