"""The best-available script against the plain Python chooser (`lml.seating.domain.best_available`):
random rows of seats, some taken, blocked or held, random ranks, tiers and sections, a random request;
the real Redis store must choose exactly the seats the model chooses, or refuse with the same counts.
The single-seat check of explicit holds is held to the model the same way."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable, Sequence

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lml.config import Settings
from lml.platform.ids import new_id
from lml.seating.domain.availability import InventoryState, SeatRow
from lml.seating.domain.best_available import BestAvailable, Shortfall, Spot, choose, free_besides, leaves_single_seat
from lml.seating.domain.hold import Holder, HoldPlaced, HoldRefused, HoldRequest, HoldTerms, PlaceOutcome, new_hold_id
from lml.seating.domain.seat_quality import PlacedSeat, ShowRow
from lml.seating.infrastructure.redis_holds import RedisHoldStore

TERMS = HoldTerms(hold_ms=60_000, cap_ms=60_000, max_per_buyer=100, max_per_address=1000)
SECTIONS = ("A", "B")
TIERS = ("std", "vip")


def tiers_in_stretches(rng: random.Random, length: int) -> list[str | None]:
    """A row's seats' tiers as venues price them: a few stretches of seats side by side, each of one tier
    (or of none), so that a tier's free seats may stand beside another tier's in one run of free seats."""
    cuts = sorted(rng.sample(range(1, length), min(length - 1, rng.randint(0, 2)))) if length > 1 else []
    tiers: list[str | None] = []
    for start, end in itertools.pairwise([0, *cuts, length]):
        tiers += [rng.choice([*TIERS, None])] * (end - start)
    return tiers


def drawn_status(rng: random.Random) -> str:
    return rng.choice(["available"] * 5 + ["sold", "blocked", "held"])


class World:
    """One show laid out from a seed: rows, each seat's rank, tier and status. `stretches`: rows of up to
    twelve seats, tiers in stretches (tiers_in_stretches); else each seat's tier drawn alone."""

    def __init__(self, seed: int, *, stretches: bool = False) -> None:
        rng = random.Random(seed)
        sections = [rng.choice(SECTIONS) for _ in range(rng.randint(1, 4))]
        lengths = [rng.randint(1, 12 if stretches else 9) for _ in sections]
        count = sum(lengths)
        ranks = rng.sample(range(1, count + 1), count)
        rows = [[(tier, drawn_status(rng)) for tier in tiers_in_stretches(rng, length)] if stretches
                else [(rng.choice(TIERS), drawn_status(rng)) for _ in range(length)] for length in lengths]
        self._lay_out(sections, rows, ranks)

    @classmethod
    def laid_out(cls, rows: Sequence[Sequence[tuple[str | None, str]]]) -> World:
        """A show of the rows given (each seat's tier and status), in one section, ranked in reading order."""
        world = cls.__new__(cls)
        world._lay_out(["A"] * len(rows), rows, list(range(1, sum(len(row) for row in rows) + 1)))
        return world

    def _lay_out(self, sections: Sequence[str], rows: Sequence[Sequence[tuple[str | None, str]]],
                 ranks: Sequence[int]) -> None:
        self.rows = [ShowRow(section, str(r)) for r, section in enumerate(sections)]
        self.places: list[PlacedSeat] = []
        self.status: dict[str, str] = {}
        for row_no, seats in enumerate(rows):
            for pos, (tier, status) in enumerate(seats):
                seat_id = f"{len(self.places) + 1:016x}"
                self.places.append(PlacedSeat(seat_id, ranks[len(self.places)], row_no, pos, tier))
                self.status[seat_id] = status

    def state(self) -> InventoryState:
        seats = [SeatRow(p.seat_id, "available" if self.status[p.seat_id] == "held" else self.status[p.seat_id], 1)
                 for p in self.places]
        return InventoryState(seats=seats, zones=[], places=self.places, rows=self.rows)

    def model_rows(self) -> list[list[Spot]]:
        rows: list[list[Spot]] = [[] for _ in self.rows]
        for p in self.places:
            rows[p.row_no].append(Spot(p.seat_id, p.rank, self.status[p.seat_id] == "available", p.tier_id,
                                       self.rows[p.row_no].section))
        return rows


def holder(name: str) -> Holder:
    return Holder(owner=name, limit_key=name, address=name, guest=False)


async def arranged(store: RedisHoldStore, world: World) -> str:
    show_id = new_id()
    await store.load(show_id, world.state())
    held = tuple(seat for seat, status in world.status.items() if status == "held")
    if held:
        placed = await store.place(show_id, new_hold_id(show_id, b"h" * 12), holder("other"), "t",
                                   HoldRequest(held, ()), TERMS)
        assert isinstance(placed, HoldPlaced)
    return show_id


asks = st.builds(
    BestAvailable, quantity=st.integers(1, 6), together=st.booleans(),
    tier_id=st.one_of(st.none(), st.sampled_from(TIERS)),
    sections=st.one_of(st.just(()), st.sampled_from(SECTIONS).map(lambda s: (s,))),
)


@pytest.fixture
def redis_url(base_settings: Settings) -> str:
    return base_settings.redis_url


def on_store(redis_url: str, check: Callable[[RedisHoldStore], Awaitable[None]]) -> None:
    """Runs `check` on a store of its own (one event loop per example: hypothesis drives sync tests)."""

    async def run() -> None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            await check(RedisHoldStore(client, "lml-best-model"))
        finally:
            await client.aclose()

    asyncio.run(run())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), ask=asks, avoid=st.booleans(), stretches=st.booleans())
def test_the_script_chooses_as_the_model_does(
    redis_url: str, seed: int, ask: BestAvailable, avoid: bool, stretches: bool,
) -> None:
    world = World(seed, stretches=stretches)
    terms = HoldTerms(TERMS.hold_ms, TERMS.cap_ms, TERMS.max_per_buyer, TERMS.max_per_address,
                      avoid_single_best=avoid)

    async def run(store: RedisHoldStore) -> None:
        show_id = await arranged(store, world)
        outcome = await store.place(show_id, new_hold_id(show_id, b"b" * 12), holder("buyer"), "t",
                                    HoldRequest((), (), ask), terms)
        sections = {row.section for row in world.rows}
        tiers = {p.tier_id for p in world.places}
        if (ask.tier_id is not None and ask.tier_id not in tiers) or any(s not in sections for s in ask.sections):
            assert isinstance(outcome, HoldRefused) and outcome.reason == "unknown_choice"
            return
        expected = choose(world.model_rows(), ask, avoid_single=avoid)
        if isinstance(expected, Shortfall):
            assert outcome == HoldRefused("not_enough", together=expected.together, apart=expected.apart)
        else:
            assert isinstance(outcome, HoldPlaced), outcome
            assert list(outcome.chosen) == expected

    on_store(redis_url, run)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), picks=st.integers(1, 4), data=st.data())
def test_an_explicit_hold_leaves_no_single_seat_as_the_model_says(
    redis_url: str, seed: int, picks: int, data: st.DataObject,
) -> None:
    world = World(seed)
    free = [p for p in world.places if world.status[p.seat_id] == "available"]
    if not free:
        return
    chosen = data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=picks, unique=True))
    terms = HoldTerms(TERMS.hold_ms, TERMS.cap_ms, TERMS.max_per_buyer, TERMS.max_per_address,
                      avoid_single_explicit=True)

    async def run(store: RedisHoldStore) -> None:
        show_id = await arranged(store, world)
        outcome = await store.place(show_id, new_hold_id(show_id, b"e" * 12), holder("buyer"), "t",
                                    HoldRequest(tuple(p.seat_id for p in chosen), ()), terms)
        rows = world.model_rows()
        by_row: dict[int, list[int]] = {}
        for p in chosen:
            by_row.setdefault(p.row_no, []).append(p.row_pos)
        alone = None
        for row_no, positions in by_row.items():
            found = leaves_single_seat(free_besides(rows[row_no], set(positions)), len(rows[row_no]), positions)
            if found is not None:
                alone = rows[row_no][found].seat_id
                break
        if alone is None:
            assert isinstance(outcome, HoldPlaced), outcome
        else:
            assert outcome == HoldRefused("single_seat", seat_ids=(alone,))

    on_store(redis_url, run)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32))
def test_a_refusal_counts_as_the_model_does_for_every_tier_and_section(redis_url: str, seed: int) -> None:
    """A request nothing can fit (more seats than the show has), with every tier and section filter, both
    ways, with and without the single-seat rule: the refusal's figures are the model's."""
    world = World(seed)
    tiers = sorted({p.tier_id for p in world.places if p.tier_id})
    sections = sorted({row.section for row in world.rows})
    filters = [(tier, chosen) for tier in [None, *tiers] for chosen in [(), *((s,) for s in sections), tuple(sections)]]

    async def run(store: RedisHoldStore) -> None:
        show_id = await arranged(store, world)
        for (tier, chosen), together, avoid in itertools.product(filters, (True, False), (True, False)):
            ask = BestAvailable(quantity=len(world.places) + 1, tier_id=tier, sections=chosen, together=together)
            terms = HoldTerms(TERMS.hold_ms, TERMS.cap_ms, TERMS.max_per_buyer, TERMS.max_per_address,
                              avoid_single_best=avoid)
            outcome = await store.place(show_id, new_hold_id(show_id, b"r" * 12), holder("buyer"), "t",
                                        HoldRequest((), (), ask), terms)
            expected = choose(world.model_rows(), ask, avoid_single=avoid)
            assert isinstance(expected, Shortfall)
            assert outcome == HoldRefused("not_enough", together=expected.together, apart=expected.apart), (ask, avoid)

    on_store(redis_url, run)


def place_best(store: RedisHoldStore, show_id: str, ask: BestAvailable) -> Awaitable[PlaceOutcome]:
    terms = HoldTerms(TERMS.hold_ms, TERMS.cap_ms, TERMS.max_per_buyer, TERMS.max_per_address,
                      avoid_single_best=True)
    return store.place(show_id, new_hold_id(show_id, random.randbytes(12)), holder("buyer"), "t",
                       HoldRequest((), (), ask), terms)


def test_a_tier_left_only_in_runs_one_seat_too_long_refuses_a_block_with_the_models_figures(redis_url: str) -> None:
    """The case the runs index of the tier exists for: many better rows of another tier, and the tier's free
    seats only in runs of 3. A block of 2 in the tier would leave a seat alone in each; the buyer is told what
    the model says could be had, and a block of 3 in the tier is the best such run."""
    world = World.laid_out([[("std", "available")] * 10] * 40 + [[("vip", "available")] * 3 + [("vip", "sold")]] * 20)

    async def run(store: RedisHoldStore) -> None:
        show_id = await arranged(store, world)
        for quantity in (2, 3):
            ask = BestAvailable(quantity=quantity, tier_id="vip")
            expected = choose(world.model_rows(), ask, avoid_single=True)
            outcome = await place_best(store, show_id, ask)
            if isinstance(expected, Shortfall):
                assert quantity == 2
                assert outcome == HoldRefused("not_enough", together=expected.together, apart=expected.apart)
            else:
                assert quantity == 3
                assert isinstance(outcome, HoldPlaced) and list(outcome.chosen) == expected

    on_store(redis_url, run)


def test_a_block_one_seat_shorter_than_the_tiers_run_fits_beside_another_tiers_free_seat(redis_url: str) -> None:
    """2 together in `vip` among [std free, vip, vip, vip, sold]: the block at the run's end leaves the third
    `vip` seat beside a free `std` seat, not alone, so the row holds it though its `vip` run is one seat
    longer than the block."""
    world = World.laid_out([[("std", "sold"), ("vip", "available"), ("vip", "available"), ("vip", "available")],
                            [("std", "available"), ("vip", "available"), ("vip", "available"), ("vip", "available"),
                             ("std", "sold")]])

    async def run(store: RedisHoldStore) -> None:
        show_id = await arranged(store, world)
        outcome = await place_best(store, show_id, BestAvailable(quantity=2, tier_id="vip"))
        assert isinstance(outcome, HoldPlaced)
        assert list(outcome.chosen) == [world.places[6].seat_id, world.places[7].seat_id]

    on_store(redis_url, run)
