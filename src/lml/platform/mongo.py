"""MongoDB: pymongo's async client, opened with the app and closed with it."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from lml.config import Settings


class Mongo:
    def __init__(self, settings: Settings) -> None:
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            settings.mongo_url, serverSelectionTimeoutMS=3_000, connectTimeoutMS=3_000, tz_aware=True
        )
        self.db: AsyncDatabase[dict[str, Any]] = self.client[settings.mongo_database]

    async def ping(self) -> None:
        await self.client.admin.command("ping")

    async def close(self) -> None:
        await self.client.close()
