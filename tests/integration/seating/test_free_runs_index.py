"""The index of free runs the best-available script finds blocks through (`runs`, lua/show_state.lua) and
the tallies a refusal is answered from (`free`, `longest`) stay exact whatever happens to a
show's seats: after a random sequence of holds (explicit and best available), releases, expiries, sales,
blocks and unblocks, cancelling and reloading, they equal what is rebuilt here from what buyers see (the
availability string) and the seats' places, the tallies' figures as the plain Python chooser gives them."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import msgspec
import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lml.config import Settings
from lml.platform.ids import new_id
from lml.seating.domain.availability import AVAILABLE, InventoryState, SeatRow, seat_order
from lml.seating.domain.best_available import BestAvailable, Shortfall, Spot, choose
from lml.seating.domain.hold import HoldPlaced, HoldRequest, HoldTerms, InventoryNotLoaded, new_hold_id
from lml.seating.domain.inventory import SeatStatus
from lml.seating.domain.seat_quality import PlacedSeat
from lml.seating.infrastructure.redis_holds import TABLE_FIELD, RedisHoldStore
from tests.integration.seating.test_best_available_model import World, holder, tiers_in_stretches

HOLD_MS = 60_000
PREFIX = "lml-runs-index"
INDEX_LAYOUT = 3  # lua/show_state.lua: INDEX_LAYOUT


def runs_member(tier: str, length: int, rank: int, row: int) -> str:
    """A member of `runs` (lua/show_state.lua): the filter ('' any tier), the length, the rank, the row."""
    return f"{len(tier):03d}{tier}{length:06d}{rank:010d}{row}"


def expected_runs(world: World, status: str) -> set[str]:
    """`runs` rebuilt from the seats: for any tier ('') and each tier, for each length, the rows with a run of
    that many of the filter's free seats side by side, with the best rank free in such a run; a tier's
    run inside a longer run of free seats is listed at one less too (a block one shorter may fit there)."""
    code = dict(zip(seat_order(list(world.status)), status, strict=True))
    best: dict[tuple[str, int, int], int] = {}

    def note(tier: str, length: int, rank: int, row_no: int) -> None:
        key = (tier, length, row_no)
        best[key] = min(best.get(key, rank), rank)

    rows: dict[int, list[PlacedSeat]] = {}
    for place in world.places:
        rows.setdefault(place.row_no, []).append(place)
    for row_no, places in rows.items():
        seats = sorted(places, key=lambda p: p.row_pos)
        for free, grouped in itertools.groupby(seats, key=lambda p: code[p.seat_id] == AVAILABLE):
            run = list(grouped)
            if not free:
                continue
            note("", len(run), min(p.rank for p in run), row_no)
            for tier, stretched in itertools.groupby(run, key=lambda p: p.tier_id):
                stretch = list(stretched)
                if tier is None:
                    continue
                note(tier, len(stretch), min(p.rank for p in stretch), row_no)
                if 1 < len(stretch) < len(run):
                    note(tier, len(stretch) - 1, min(p.rank for p in stretch), row_no)
    return {runs_member(tier, length, rank, row_no) for (tier, length, row_no), rank in best.items()}


Tally = dict[str, tuple[int, int, int]]  # tier ('' any) -> longest run, seats apart (single-seat rule), free


class Tallies(msgspec.Struct, frozen=True):
    free: dict[str, int]
    longest: set[str]


def expected_tallies(world: World, status: str) -> Tallies:
    """The tallies rebuilt from the seats, each row's figures as the chooser states them: the refusal of
    a request no row could serve, for any tier and for each tier of the row's free seats."""
    code = dict(zip(seat_order(list(world.status)), status, strict=True))
    spots: dict[int, list[tuple[int, Spot]]] = {}
    for p in world.places:
        spots.setdefault(p.row_no, []).append(
            (p.row_pos, Spot(p.seat_id, p.rank, code[p.seat_id] == AVAILABLE, p.tier_id, world.rows[p.row_no].section)))
    free: dict[str, int] = {"ready": INDEX_LAYOUT}
    longest: set[str] = set()
    for row_no, placed in spots.items():
        row = [spot for _, spot in sorted(placed)]
        tally: Tally = {}
        for tier in {None} | {spot.tier_id for spot in row if spot.free}:
            refused = choose([row], BestAvailable(quantity=10**6, tier_id=tier, together=False), avoid_single=True)
            assert isinstance(refused, Shortfall)
            count = sum(1 for spot in row if spot.free and tier in (None, spot.tier_id))
            if count:
                tally[tier or ""] = (refused.together, refused.apart, count)
        for tier, (run, apart, count) in tally.items():
            for group in (tier, f"{tier}|{world.rows[row_no].section}"):
                free[f"f{group}"] = free.get(f"f{group}", 0) + count
                if tier:
                    free[f"a{group}"] = free.get(f"a{group}", 0) + apart
                longest.add(f"{len(group):03d}{group}{999_999 - run:06d}{row_no}")
    return Tallies({field: n for field, n in free.items() if n}, longest)


@dataclass
class Show:
    """The show as PostgreSQL would have it (statuses and row versions) and the live holds placed."""

    store: RedisHoldStore
    client: aioredis.Redis
    world: World
    clock: list[int]
    show_id: str = field(default_factory=new_id)
    versions: dict[str, int] = field(default_factory=dict)
    holds: list[tuple[str, str, str]] = field(default_factory=list)  # hold id, owner, token

    async def hold(self, rng: random.Random, request: HoldRequest, avoid: bool) -> None:
        owner = f"buyer-{rng.randrange(10**9)}"
        hold_id = new_hold_id(self.show_id, rng.randbytes(12))
        terms = HoldTerms(HOLD_MS, HOLD_MS, 100, 1000, avoid_single_explicit=avoid, avoid_single_best=avoid)
        if isinstance(await self.store.place(self.show_id, hold_id, holder(owner), "t", request, terms), HoldPlaced):
            self.holds.append((hold_id, owner, "t"))

    async def set_status(self, seat_ids: list[str], status: SeatStatus, drop: list[str]) -> None:
        rows = []
        for seat_id in seat_ids:
            self.versions[seat_id] = self.versions.get(seat_id, 1) + 1
            self.world.status[seat_id] = status
            rows.append(SeatRow(seat_id, status, self.versions[seat_id]))
        await self.store.apply(self.show_id, rows, [], drop_holds=drop)

    async def step(self, rng: random.Random, op: str) -> None:
        seats = list(self.world.status)
        if op == "explicit":
            await self.hold(rng, HoldRequest(tuple(rng.sample(seats, min(len(seats), rng.randint(1, 3)))), ()),
                            rng.random() < 0.5)
        elif op == "best":
            ask = BestAvailable(quantity=rng.randint(1, 4), together=rng.random() < 0.7,
                                tier_id=rng.choice([None, "std", "vip"]))
            await self.hold(rng, HoldRequest((), (), ask), rng.random() < 0.5)
        elif op == "release" and self.holds:
            hold_id, owner, token = self.holds.pop(rng.randrange(len(self.holds)))
            await self.store.release(self.show_id, hold_id, owner, token)
        elif op == "expire":
            self.clock[0] += HOLD_MS + 1
            self.holds.clear()
            await self.store.purge(self.show_id)
        elif op == "sell" and self.holds:
            # An order of a live hold: its seats sold, the hold dropped in the same step.
            hold_id, _, _ = self.holds.pop(rng.randrange(len(self.holds)))
            found = await self.store.get(self.show_id, hold_id)
            await self.set_status(list(found.seat_ids) if found else [], "sold", [hold_id])
        elif op in ("block", "unblock", "refund"):
            status: SeatStatus = "blocked" if op == "block" else "available"
            await self.set_status(rng.sample(seats, min(len(seats), rng.randint(1, 3))), status, [])
        elif op == "cancel":
            self.holds.clear()
            await self.store.close(self.show_id)
            await self.store.purge(self.show_id)
        elif op == "reload":
            # The show rebuilt from PostgreSQL over what Redis still has (as after a lost `loaded` marker).
            await self.client.delete(self.key("loaded"))
            await self.store.load(self.show_id, self.state())

    def key(self, name: str) -> str:
        return f"{PREFIX}:seating:{name}:{{{self.show_id}}}"

    def state(self) -> InventoryState:
        base = self.world.state()
        return InventoryState(seats=[SeatRow(s.seat_id, s.status, self.versions.get(s.seat_id, 1)) for s in base.seats],
                              zones=[], places=base.places, rows=base.rows)

    async def index(self) -> set[str]:
        return {member.decode() for member in await self.client.zrange(self.key("runs"), 0, -1)}

    async def tallies(self) -> Tallies:
        free = {field.decode(): int(n) for field, n in (await self.client.hgetall(self.key("free"))).items()
                if field != TABLE_FIELD}
        longest = {member.decode() for member in await self.client.zrange(self.key("longest"), 0, -1)}
        return Tallies(free, longest)

    async def rebuilt(self) -> tuple[set[str], Tallies]:
        availability = await self.store.availability(self.show_id)
        assert availability is not None and not isinstance(availability, str)
        return expected_runs(self.world, availability.seats), expected_tallies(self.world, availability.seats)

    async def current(self) -> tuple[set[str], Tallies]:
        return await self.index(), await self.tallies()


def on_show(redis_url: str, world: World, clock: list[int], check: Callable[[Show], Awaitable[None]]) -> None:
    """Runs `check` on a show of its own (one event loop per example: hypothesis drives sync tests)."""

    async def run() -> None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            show = Show(RedisHoldStore(client, PREFIX, now_ms=lambda: clock[0]), client, world, clock)
            await check(show)
        finally:
            await client.aclose()

    asyncio.run(run())


def with_varied_tiers(world: World, rng: random.Random) -> World:
    """The world's rows, some of one tier, some of seats without a tier, some mixed with seats without one,
    some of tiers in stretches: the index reads a row of one tier (or none) the short way, the others seat
    by seat, and lists a tier's run beside another tier's free seats at one less too."""
    kinds = [rng.choice(["one", "none", "mixed", "stretches", "as_is"]) for _ in world.rows]
    one = [rng.choice(["std", "vip"]) for _ in world.rows]
    lengths = Counter(p.row_no for p in world.places)
    stretched = [tiers_in_stretches(rng, lengths[row_no]) for row_no in range(len(world.rows))]
    places = []
    for p in world.places:
        kind = kinds[p.row_no]
        tier = {"one": one[p.row_no], "none": None, "mixed": rng.choice(["std", "vip", None]),
                "stretches": stretched[p.row_no][p.row_pos]}.get(kind, p.tier_id)
        places.append(PlacedSeat(p.seat_id, p.rank, p.row_no, p.row_pos, tier))
    world.places = places
    return world


OPS = ("explicit", "best", "release", "expire", "sell", "block", "unblock", "refund", "cancel", "reload")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), ops=st.lists(st.sampled_from(OPS), min_size=1, max_size=12))
def test_the_runs_index_and_the_tallies_equal_a_rebuild_after_any_changes(
    base_settings: Settings, seed: int, ops: list[str],
) -> None:
    rng = random.Random(seed)
    world = with_varied_tiers(World(seed), rng)
    for seat_id, status in world.status.items():
        if status == "held":
            world.status[seat_id] = "available"
    clock = [1_000_000]

    async def run(show: Show) -> None:
        await show.store.load(show.show_id, show.state())
        assert await show.current() == await show.rebuilt()
        for op in ops:
            await show.step(rng, op)
            assert await show.current() == await show.rebuilt(), op

    on_show(base_settings.redis_url, world, clock, run)


def test_a_rebuild_drops_what_the_index_had(base_settings: Settings) -> None:
    """Loading recomputes every row: an entry left from before is gone."""
    world = World(7)

    async def run(show: Show) -> None:
        await show.client.zadd(show.key("runs"), {runs_member("std", 3, 1, 999): 0})
        await show.client.hset(show.key("free"), mapping={"fstd": 999})
        await show.client.zadd(show.key("longest"), {"003std999990999": 0})
        await show.store.load(show.show_id, show.state())
        assert await show.current() == await show.rebuilt()

    on_show(base_settings.redis_url, world, [0], run)


def test_a_show_loaded_before_the_tallies_is_loaded_again_by_its_first_best_available_request(
    base_settings: Settings,
) -> None:
    """Without its tallies a show would refuse every best-available request: the script asks for a new
    load instead (the caller loads it and retries), and the load builds them."""
    world = World(11)
    ask = HoldRequest((), (), BestAvailable(quantity=1, together=False))

    async def run(show: Show) -> None:
        await show.store.load(show.show_id, show.state())
        await show.client.delete(show.key("free"), show.key("longest"))
        await show.hold(random.Random(1), ask, avoid=False)
        assert not show.holds
        assert isinstance(await show.store.place(show.show_id, new_hold_id(show.show_id, b"x" * 12), holder("b"), "t",
                                                 ask, HoldTerms(HOLD_MS, HOLD_MS, 100, 1000)), InventoryNotLoaded)
        await show.store.load(show.show_id, show.state())
        assert await show.current() == await show.rebuilt()
        await show.hold(random.Random(2), ask, avoid=False)
        assert len(show.holds) == 1

    on_show(base_settings.redis_url, world, [1_000_000], run)


def test_a_show_loaded_again_with_its_seats_ranked_otherwise_is_indexed_by_their_new_ranks(
    base_settings: Settings,
) -> None:
    """Once the show is loaded again with its seats ranked the other way round, its index and best available
    go by the new ranks, not by what an earlier call read of the rows."""
    world = World(13)
    for seat_id in world.status:
        world.status[seat_id] = "available"

    async def run(show: Show) -> None:
        await show.store.load(show.show_id, show.state())
        assert await show.current() == await show.rebuilt()
        last = len(world.places) + 1
        world.places = [PlacedSeat(p.seat_id, last - p.rank, p.row_no, p.row_pos, p.tier_id) for p in world.places]
        await show.client.delete(show.key("loaded"))
        await show.store.load(show.show_id, show.state())
        assert await show.current() == await show.rebuilt()
        await show.hold(random.Random(3), HoldRequest((), (), BestAvailable(quantity=1, together=True)), avoid=False)
        found = await show.store.get(show.show_id, show.holds[0][0])
        assert found is not None
        assert found.seat_ids == (min(world.places, key=lambda p: p.rank).seat_id,)

    on_show(base_settings.redis_url, world, [1_000_000], run)


async def as_layout_1(show: Show) -> None:
    """The index as layout 1 left it: no seats' ranks by row."""
    await show.client.delete(show.key("rowranks"))
    await show.client.hset(show.key("free"), "ready", 1)


async def as_layout_2(show: Show) -> None:
    """The index as layout 2 left it: `runs` scored by a run's length and best rank, over any tier's runs."""
    await show.client.delete(show.key("runs"))
    await show.client.zadd(show.key("runs"), {"0:3": 3 * 2**32 + 1})
    await show.client.hset(show.key("free"), "ready", 2)


@pytest.mark.parametrize("as_older", [as_layout_1, as_layout_2])
def test_a_show_an_older_version_loaded_is_loaded_again_before_its_index_is_read(
    base_settings: Settings, as_older: Callable[[Show], Awaitable[None]],
) -> None:
    """After an upgrade, a show whose index an older version built is not read: scripts that change its
    seats may leave the index as it is, the first hold asks for a new load, and the load rebuilds the index
    whole."""
    world = World(5)
    for seat_id in world.status:
        world.status[seat_id] = "available"
    seats = list(world.status)

    async def run(show: Show) -> None:
        await show.store.load(show.show_id, show.state())
        await as_older(show)
        await show.set_status(seats[:1], "blocked", [])
        await show.hold(random.Random(1), HoldRequest(tuple(seats[1:2]), ()), avoid=False)
        assert not show.holds
        assert not await show.client.exists(show.key("loaded"))
        await show.store.load(show.show_id, show.state())
        assert await show.current() == await show.rebuilt()
        await show.hold(random.Random(2), HoldRequest(tuple(seats[1:2]), ()), avoid=False)
        assert len(show.holds) == 1
        assert await show.current() == await show.rebuilt()

    on_show(base_settings.redis_url, world, [1_000_000], run)
