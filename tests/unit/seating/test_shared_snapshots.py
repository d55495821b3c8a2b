"""Readers of a show at once share a snapshot call: one call per turn and version (at most
READERS_PER_CALL readers each), sent after they all arrived; each reader gets its own budget's answer,
and every reader the call's failure."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import pytest

from lml.platform.domain.rate_budget import RateBucket, RateLimit
from lml.seating.infrastructure.shared_snapshots import READERS_PER_CALL, SharedSnapshots


class Script:
    """Stands in for the snapshot script: answers each reader with its bucket's number, and the version."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.failure: BaseException | None = None
        self.called = asyncio.Event()

    async def __call__(self, show_id: str, known_version: str, readers: list[Sequence[RateBucket]]) -> bytes:
        self.calls.append((show_id, known_version, len(readers)))
        self.called.set()
        await asyncio.sleep(0)  # the reply comes in a later turn, as Redis' does
        if self.failure is not None:
            raise self.failure
        rates = [[1, int(buckets[0].key), 0, 0, 1] if buckets else {} for buckets in readers]
        return json.dumps([rates, ["same", known_version or "v1"]]).encode()


def buckets(n: int) -> list[RateBucket]:
    return [RateBucket(str(n), RateLimit(10, 1.0))]


async def test_readers_in_one_turn_share_a_call_per_version_and_each_gets_its_own_answer() -> None:
    script = Script()
    snapshots = SharedSnapshots(script)
    reads = [snapshots.read("s", "v1", buckets(n)) for n in range(5)]
    answers = await asyncio.gather(*reads, snapshots.read("s", "v0", ()), snapshots.read("t", "v1", buckets(9)))
    assert sorted(script.calls) == [("s", "v0", 1), ("s", "v1", 5), ("t", "v1", 1)]
    assert [rate for rate, _ in answers] == [[1, n, 0, 0, 1] for n in range(5)] + [[], [1, 9, 0, 0, 1]]
    assert {tuple(reply) for _, reply in answers} == {("same", "v1"), ("same", "v0")}


async def test_a_reader_that_comes_while_a_call_is_out_waits_for_a_call_of_its_own() -> None:
    script = Script()
    snapshots = SharedSnapshots(script)
    first = asyncio.ensure_future(snapshots.read("s", "v1", buckets(1)))
    await script.called.wait()  # the first call is out
    await asyncio.gather(first, snapshots.read("s", "v1", buckets(2)))
    assert script.calls == [("s", "v1", 1), ("s", "v1", 1)]


async def test_a_call_holds_a_bounded_number_of_readers() -> None:
    script = Script()
    snapshots = SharedSnapshots(script)
    answers = await asyncio.gather(*(snapshots.read("s", "v1", buckets(n)) for n in range(2 * READERS_PER_CALL + 1)))
    assert [n for _, _, n in script.calls] == [READERS_PER_CALL, READERS_PER_CALL, 1]
    assert [rate[1] for rate, _ in answers] == list(range(2 * READERS_PER_CALL + 1))


async def test_a_failing_call_fails_every_reader_and_one_gone_takes_nobody_with_it() -> None:
    script = Script()
    script.failure = ConnectionError("Redis went away")
    snapshots = SharedSnapshots(script)
    gone = asyncio.ensure_future(snapshots.read("s", "v1", buckets(0)))
    staying = [asyncio.ensure_future(snapshots.read("s", "v1", buckets(n))) for n in (1, 2)]
    await asyncio.sleep(0)
    gone.cancel()
    for reader in staying:
        with pytest.raises(ConnectionError):
            await reader
    script.failure = None
    assert (await snapshots.read("s", "v1", buckets(3)))[0][1] == 3


async def test_a_call_cancelled_cancels_its_readers_waits() -> None:
    script = Script()
    script.failure = asyncio.CancelledError()  # as when the process stops with the call out
    snapshots = SharedSnapshots(script)
    reader = asyncio.ensure_future(snapshots.read("s", "v1", buckets(1)))
    with pytest.raises(asyncio.CancelledError):
        await reader
