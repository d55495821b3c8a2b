"""Readers of one show whose availability reads start in the same turn of the event loop share one
snapshot call (lua/snapshot.lua). The call goes out after every one of them arrived, so each still reads
the show as it was when its request came in, or later: a buyer who has just held seats sees them held.
Each reader's rate budget is spent and answered on its own, in the same call. Under a surge of readers
of one show that is one script run in Redis and one reply to read per turn, not one per reader."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import msgspec

from lml.platform.domain.errors import BrokenInvariant
from lml.platform.domain.rate_budget import RateBucket

# Readers per call: each one's buckets are spent inside the script, which holds Redis meanwhile.
READERS_PER_CALL = 64

# The snapshot script's answer, JSON text of [rates, reply]: each reader's budget's answer (`{}`, which
# cjson writes for an empty table, when the reader spent none), and the reply they all share.
_ANSWER = msgspec.json.Decoder(tuple[list[list[int] | dict[str, int]], list[str | int]])

# (show, version the readers have, each reader's buckets) -> the script's answer.
SnapshotCall = Callable[[str, str, list[Sequence[RateBucket]]], Awaitable[bytes]]
Read = tuple[list[int], list[str | int]]


class _Readers:
    __slots__ = ("buckets", "waiting")

    def __init__(self) -> None:
        self.buckets: list[Sequence[RateBucket]] = []
        self.waiting: list[asyncio.Future[Read]] = []


class SharedSnapshots:
    def __init__(self, call: SnapshotCall) -> None:
        self._call = call
        self._open: dict[tuple[str, str], _Readers] = {}
        self._calls: set[asyncio.Task[None]] = set()

    async def read(self, show_id: str, known_version: str, buckets: Sequence[RateBucket]) -> Read:
        """This reader's budget's answer (`[]`: none spent) and the snapshot's reply."""
        loop = asyncio.get_running_loop()
        key = (show_id, known_version)
        readers = self._open.get(key)
        if readers is None or len(readers.buckets) >= READERS_PER_CALL:
            readers = self._open[key] = _Readers()
            loop.call_soon(self._send, key, readers)
        future: asyncio.Future[Read] = loop.create_future()
        readers.buckets.append(buckets)
        readers.waiting.append(future)
        return await future

    def _send(self, key: tuple[str, str], readers: _Readers) -> None:
        if self._open.get(key) is readers:
            del self._open[key]
        task = asyncio.get_running_loop().create_task(self._answer(key, readers))
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)

    async def _answer(self, key: tuple[str, str], readers: _Readers) -> None:
        try:
            rates, reply = _ANSWER.decode(await self._call(*key, readers.buckets))
            if len(rates) != len(readers.waiting):
                raise BrokenInvariant(f"a snapshot answered {len(rates)} readers of {len(readers.waiting)}")
        except BaseException as failure:
            # Every reader's own failure, raised where it waits; the call cancelled (the process
            # stopping), every reader's wait with it. A reader gone (its request cancelled) waits no more.
            for future in readers.waiting:
                if future.done():
                    continue
                if isinstance(failure, Exception):
                    future.set_exception(failure)
                else:
                    future.cancel()
            if not isinstance(failure, Exception):
                raise
            return
        for future, rate in zip(readers.waiting, rates, strict=True):
            if not future.done():
                future.set_result((rate if isinstance(rate, list) else [], reply))

