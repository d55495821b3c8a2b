"""What the request path keeps in process for a few seconds: gone after its time, bounded in number."""

from __future__ import annotations

import asyncio

from lml.platform.expiring_map import ExpiringMap, ReadThrough


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_kept_for_its_time_from_when_it_was_last_put() -> None:
    clock = Clock()
    kept: ExpiringMap[str, int] = ExpiringMap(maxsize=10, ttl=5.0, clock=clock)
    kept["show"] = 1
    clock.now += 4.9
    assert kept.get("show") == 1
    kept["show"] = 2  # put again: five more seconds
    clock.now += 4.9
    assert kept.get("show") == 2
    clock.now += 0.1
    assert kept.get("show") is None
    assert kept.get("never put") is None


def test_when_full_the_value_put_longest_ago_makes_room() -> None:
    clock = Clock()
    kept: ExpiringMap[str, int] = ExpiringMap(maxsize=3, ttl=60.0, clock=clock)
    for number, key in enumerate("abc"):
        kept[key] = number
    kept["a"] = 10  # put again: now the latest
    kept["d"] = 3

    assert [kept.get(key) for key in "abcd"] == [10, None, 2, 3]


def test_expired_values_make_room_before_live_ones() -> None:
    clock = Clock()
    kept: ExpiringMap[str, int] = ExpiringMap(maxsize=3, ttl=5.0, clock=clock)
    kept["old"] = 0
    clock.now += 6
    kept["b"], kept["c"] = 1, 2
    kept["d"] = 3  # full of live ones again: only the expired one went

    assert [kept.get(key) for key in ("old", "b", "c", "d")] == [None, 1, 2, 3]


def test_a_value_popped_is_gone_and_popping_an_unknown_key_is_harmless() -> None:
    kept: ExpiringMap[str, int] = ExpiringMap(maxsize=3, ttl=5.0)
    kept["room"] = 1
    kept.pop("room")
    kept.pop("room")
    assert kept.get("room") is None


async def test_a_read_through_answer_none_included_is_read_once_for_callers_at_once_and_kept() -> None:
    reads: list[str] = []
    release = asyncio.Event()

    async def read(show: str) -> int | None:
        reads.append(show)
        await release.wait()
        return None if show == "unknown" else len(show)

    kept: ReadThrough[str, int | None] = ReadThrough(read, maxsize=10, ttl=60.0)
    waiting = [asyncio.create_task(kept.get(show)) for show in ("unknown", "unknown", "abc")]
    await asyncio.sleep(0)
    release.set()

    assert await asyncio.gather(*waiting) == [None, None, 3]
    assert [await kept.get("unknown"), await kept.get("abc")] == [None, 3]
    assert reads == ["unknown", "abc"]


async def test_a_forgotten_read_through_answer_is_read_again() -> None:
    answers = iter([1, 2])

    async def read(_: str) -> int:
        return next(answers)

    kept: ReadThrough[str, int] = ReadThrough(read, maxsize=10, ttl=60.0)
    assert await kept.get("room") == 1
    kept.forget("room")
    assert await kept.get("room") == 2
