"""Load once at a time: callers that want the same key while it is being loaded wait for that one
load instead of starting their own (a show's inventory rebuilt, a cache filled, a set-up done).
A failure is every waiter's answer; the next call tries again. A load whose caller was cancelled
answers nobody: its waiters load again themselves."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        while (running := self._running.get(key)) is not None:
            await asyncio.wait([running])
            if not running.cancelled():
                return running.result()
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await load()
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved: without waiters, asyncio would log it as lost
            raise
        finally:
            del self._running[key]
        future.set_result(value)
        return value
