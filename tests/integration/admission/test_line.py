"""One show's line in Redis (and in a Redis Cluster), driven as the worker's tick and the buyers'
requests drive it, with the time given: first come first served once the sale is open, a uniform
shuffle of the pre-queue, the pace and the cap on active passes never exceeded, ticks racing each
other, sold out and back, and the joins' and polls' rate budgets spent by the join and place scripts
(the show's slot)."""

from __future__ import annotations

import asyncio
import collections
import secrets
import uuid

import pytest

from lml.admission.application.line_places import PRE_QUEUE_RANKS
from lml.admission.application.ports import Joined, JoinRefused, Place, RateLimited, RoomFacts
from lml.admission.infrastructure.redis_line import RedisLine
from lml.container import Container
from lml.platform.domain.rate_budget import RateBill, RateLimit
from lml.platform.rate_limit import RateLimiter

pytestmark = pytest.mark.redis_cluster

ON_SALE = 1_800_000_000_000  # ms
MINUTE = 60_000


def facts(**overrides: object) -> RoomFacts:
    fields: dict[str, object] = {
        "enabled": True, "opens_ms": ON_SALE - 3_600_000, "on_sale_ms": ON_SALE, "closes_ms": ON_SALE + 86_400_000,
        "admit_per_minute": 60, "max_active": 1000, "pass_ms": 600_000, "paused": False, "closed": False}
    return RoomFacts(**{**fields, **overrides})  # type: ignore[arg-type]


async def a_room(line: RedisLine, **overrides: object) -> str:
    show_id = str(uuid.uuid4())
    await line.configure(show_id, facts(**overrides))
    return show_id


async def join(line: RedisLine, show_id: str, buyer: str, now_ms: int, bills: tuple[RateBill, ...] = ()) -> Joined:
    joined = await try_join(line, show_id, buyer, now_ms, bills)
    assert isinstance(joined, Joined), joined
    return joined


async def try_join(line: RedisLine, show_id: str, buyer: str, now_ms: int, bills: tuple[RateBill, ...] = ()
                   ) -> Joined | JoinRefused:
    return await line.join(show_id, buyer=buyer, entry_id=str(uuid.uuid4()),
                           pre_queue_rank=secrets.randbelow(PRE_QUEUE_RANKS), now_ms=now_ms, bills=bills)


def budget_of(container: Container, name: str, show_id: str, *capacities: int) -> RateBill:
    """A request's bill as the routes name its buckets (one per capacity, in turn): tagged with the show,
    refilled too slowly to matter during a test."""
    limiter = RateLimiter(container.resources.redis, container.resources.settings.redis_key_prefix)
    return RateBill([limiter.bucket(f"{name}:{{{show_id}}}:address:198.51.100.7:{n}",
                                    RateLimit(capacity=capacity, refill_per_second=0.001))
                     for n, capacity in enumerate(capacities)])


async def room_state(container: Container, show_id: str) -> list[bytes | None]:
    """Every key of the show's room, whole (DUMP)."""
    return [await container.resources.redis.dump(key) for key in container.admission.line.keys(show_id)]


async def test_after_the_sale_opens_buyers_are_let_in_as_they_came_within_the_pace_and_the_cap(
    container: Container,
) -> None:
    line = container.admission.line
    show = await a_room(line, admit_per_minute=30, max_active=20, pass_ms=45_000)
    buyers = [f"user:{n:03d}" for n in range(120)]
    for n, buyer in enumerate(buyers):
        await join(line, show, buyer, ON_SALE + n)

    active: dict[str, int] = {}
    for second in range(0, 300):
        now = ON_SALE + 1000 + second * 1000
        for entry in [e for e, lapses in active.items() if lapses <= now]:
            del active[entry]
        for admitted in await line.admit(show, now_ms=now, sold_out=False, closed=False, at_most=1000) or []:
            active[admitted.entry_id] = now + 45_000
        assert len(active) <= 20

    log = await line.admissions(show)
    assert [a.buyer for a in log] == buyers[:len(log)]  # in join order, nobody twice
    assert len(log) > 60
    times = [a.at_ms for a in log]
    assert max(sum(1 for t in times if start <= t < start + MINUTE) for start in times) <= 30


async def test_the_pre_queue_is_shuffled_uniformly_and_ahead_of_everyone_who_joins_later(container: Container) -> None:
    line = container.admission.line
    runs, size = 2400, 4
    counts: collections.Counter[tuple[int, int]] = collections.Counter()

    async def one_run() -> None:
        show = await a_room(line)
        for n in range(size):
            await join(line, show, f"user:{n}", ON_SALE - 10_000 + n)
        later = await join(line, show, "user:late", ON_SALE + 1)
        assert later.place.rank == size + 1
        for n in range(size):
            place = await line.place(show, buyer=f"user:{n}", now_ms=ON_SALE + 2)
            assert isinstance(place, Place) and place.rank is not None
            counts[(n, place.rank)] += 1

    for start in range(0, runs, 100):
        await asyncio.gather(*(one_run() for _ in range(min(100, runs - start))))

    expected = runs / size
    chi_square = sum((counts[(n, p)] - expected) ** 2 / expected for n in range(size) for p in range(1, size + 1))
    # 9 degrees of freedom: a uniform shuffle exceeds 46 less than once in a million runs of this test,
    # while a shuffle that kept join order even one time in ten lands far beyond it.
    assert chi_square < 46.0, counts


async def test_ticks_racing_each_other_admit_exactly_what_one_would(container: Container) -> None:
    line = container.admission.line
    show = await a_room(line, admit_per_minute=600, max_active=7)
    for n in range(50):
        await join(line, show, f"user:{n}", ON_SALE + n)

    ticks = await asyncio.gather(*(
        line.admit(show, now_ms=ON_SALE + 1000, sold_out=False, closed=False, at_most=1000) for _ in range(10)))

    admitted = [a.entry_id for tick in ticks for a in tick or []]
    assert len(admitted) == len(set(admitted)) == 7
    assert (await line.figures(show, now_ms=ON_SALE + 1000)).active == 7


async def test_sold_out_stops_admission_and_tells_the_line_until_places_come_back(container: Container) -> None:
    line = container.admission.line
    show = await a_room(line)
    for n in range(3):
        await join(line, show, f"user:{n}", ON_SALE + n)

    assert await line.admit(show, now_ms=ON_SALE + 1000, sold_out=True, closed=False, at_most=10) == []
    assert [(await line.place(show, buyer=f"user:{n}", now_ms=ON_SALE + 1000)).state  # type: ignore[union-attr]
            for n in range(3)] == ["sold_out"] * 3

    back = await line.admit(show, now_ms=ON_SALE + 2000, sold_out=False, closed=False, at_most=1)
    assert [a.buyer for a in back or []] == ["user:0"]
    assert [(await line.place(show, buyer=f"user:{n}", now_ms=ON_SALE + 2000)).state  # type: ignore[union-attr]
            for n in range(3)] == ["admitted", "waiting", "waiting"]


async def test_a_buyer_whose_pass_lapsed_leaves_the_line_and_may_join_again_at_its_end(container: Container) -> None:
    line = container.admission.line
    show = await a_room(line, pass_ms=60_000)
    first = await join(line, show, "user:first", ON_SALE + 1)
    await join(line, show, "user:second", ON_SALE + 2)
    await line.admit(show, now_ms=ON_SALE + 1000, sold_out=False, closed=False, at_most=1)

    assert await line.place(show, buyer="user:first", now_ms=ON_SALE + 61_000) is None
    again = await join(line, show, "user:first", ON_SALE + 62_000)
    assert again.new and again.place.entry_id != first.place.entry_id
    assert (again.place.state, again.place.rank) == ("waiting", 2)


async def test_joins_racing_on_one_budget_take_exactly_its_tokens_and_the_refused_leave_the_line_as_it_was(
    container: Container,
) -> None:
    line = container.admission.line
    show, other = await a_room(line), await a_room(line)

    outcomes = await asyncio.gather(*(
        try_join(line, show, f"user:{n}", ON_SALE + 1, (budget_of(container, "joins", show, 50),)) for n in range(60)))

    joined = [n for n, outcome in enumerate(outcomes) if isinstance(outcome, Joined)]
    refused = [n for n, outcome in enumerate(outcomes) if isinstance(outcome, JoinRefused)]
    assert (len(joined), len(refused)) == (50, 10)
    assert {outcome.reason for outcome in outcomes if isinstance(outcome, JoinRefused)} == {"rate_limited"}
    assert (await line.figures(show, now_ms=ON_SALE + 2)).waiting == 50
    assert [await line.place(show, buyer=f"user:{n}", now_ms=ON_SALE + 2) for n in refused] == [None] * 10
    # The budget is the show's: the same address joins another show's line with a budget of its own.
    assert (await join(line, other, "user:0", ON_SALE + 3, (budget_of(container, "joins", other, 50),))).new


async def test_a_join_spends_its_bills_in_turn_each_settled_on_its_own_and_none_past_one_that_refuses(
    container: Container,
) -> None:
    line = container.admission.line
    show = await a_room(line)
    first, second = budget_of(container, "general", show, 1), budget_of(container, "joins", show, 5)

    joined = await join(line, show, "user:1", ON_SALE + 1, (first, second))

    assert joined.new
    assert first.decision is not None and (first.decision.limit, first.decision.remaining) == (1, 0)
    assert second.decision is not None and (second.decision.limit, second.decision.remaining) == (5, 4)
    refused_first, untouched = budget_of(container, "general", show, 1), budget_of(container, "joins", show, 5)
    assert await try_join(line, show, "user:2", ON_SALE + 2, (refused_first, untouched)) == JoinRefused(
        reason="rate_limited")
    assert refused_first.decision is not None and not refused_first.decision.allowed
    assert untouched.decision is None
    # Its bucket was left as it was: four tokens; and a bill already settled is not spent again.
    assert (await join(line, show, "user:3", ON_SALE + 3, (first, budget_of(container, "joins", show, 5)))).new
    assert first.decision.remaining == 0


async def test_polls_racing_on_one_budget_read_exactly_its_tokens_and_the_refused_read_nothing(
    container: Container,
) -> None:
    line = container.admission.line
    show, other = await a_room(line), await a_room(line)
    await join(line, show, "user:1", ON_SALE + 1)
    bills = [budget_of(container, "polls", show, 1000, 50) for _ in range(60)]

    places = await asyncio.gather(*(line.place(show, buyer="user:1", now_ms=ON_SALE + 2, bills=(bill,))
                                    for bill in bills))

    assert sum(isinstance(place, Place) for place in places) == 50
    assert sum(isinstance(place, RateLimited) for place in places) == 10
    refusals = [bill.decision for bill, place in zip(bills, places, strict=True) if isinstance(place, RateLimited)]
    assert {(d.allowed, d.limit, d.remaining) for d in refusals if d is not None} == {(False, 50, 0)}
    assert sorted(bill.decision.remaining for bill in bills if bill.decision and bill.decision.allowed) == list(
        range(50))
    # The budget is the show's: the same buyer reads their place in another show's line on a budget of its own.
    await join(line, other, "user:1", ON_SALE + 3)
    assert isinstance(await line.place(other, buyer="user:1", now_ms=ON_SALE + 4,
                                       bills=(budget_of(container, "polls", other, 1000, 50),)), Place)


async def test_a_refused_poll_changes_nothing_in_the_line_and_one_that_passes_reads_it_as_a_join_would(
    container: Container,
) -> None:
    line = container.admission.line
    show = await a_room(line, pass_ms=60_000)
    await join(line, show, "user:first", ON_SALE + 1)
    await line.admit(show, now_ms=ON_SALE + 1000, sold_out=False, closed=False, at_most=1)
    spent = budget_of(container, "polls", show, 1)
    assert isinstance(await line.place(show, buyer="user:first", now_ms=ON_SALE + 2000, bills=(spent,)), Place)
    before = await room_state(container, show)

    # The pass has lapsed: a poll that read the line would purge it and find nobody.
    refused, untouched = budget_of(container, "polls", show, 1), budget_of(container, "other", show, 5)
    assert await line.place(show, buyer="user:first", now_ms=ON_SALE + 61_000, bills=(refused, untouched)
                            ) == RateLimited()

    assert await room_state(container, show) == before
    assert refused.decision is not None and not refused.decision.allowed and untouched.decision is None
    assert await line.place(show, buyer="user:first", now_ms=ON_SALE + 61_000,
                            bills=(untouched,)) is None
    assert untouched.decision is not None and untouched.decision.remaining == 4
