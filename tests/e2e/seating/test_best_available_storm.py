"""A crowd asks for the best available seats of one show at once (500 requests of 1 to 6 seats, more
than the show has): no seat is held twice, every block held together is side by side in one row, no
request is refused while a choice for it remained, the holds take the best ranks in the order they
are placed, and where the single-seat rule is on no free seat is left alone."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lml.config import Settings
from lml.container import Container
from lml.platform.resources import Resources
from lml.seating.domain.availability import HELD
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.seating import ApiFrom, MakeBuyer, crowd, crowd_resources, seat_places

SEATS = 1500  # rows of ten: 150 rows
Ask = dict[str, Any]


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    async with crowd_resources(settings) as res:
        yield res


async def storm(api_from: ApiFrom, make_buyer: MakeBuyer, show: TestShow, asks: list[Ask]) -> list[httpx.Response]:
    url = f"/v1/shows/{show.show_id}/holds"
    answers = await asyncio.gather(*(client.post(url, json={"best_available": ask}, headers=make_buyer().headers)
                                     for ask, client in zip(asks, crowd(api_from, len(asks)), strict=True)))
    assert {a.status_code for a in answers} <= {201, 409}, {a.status_code: a.text for a in answers}
    return answers


def rows_of(places: dict[str, tuple[int, int, int]]) -> dict[int, list[str]]:
    rows: dict[int, list[tuple[int, str]]] = {}
    for seat, (_, row, pos) in places.items():
        rows.setdefault(row, []).append((pos, seat))
    return {row: [seat for _, seat in sorted(seats)] for row, seats in rows.items()}


async def held_seats(container: Container, show: TestShow, answers: list[httpx.Response]) -> dict[str, list[str]]:
    """hold id → seats, checked: no seat in two holds, and Redis holds exactly those seats."""
    holds = {a.json()["hold_id"]: a.json()["seats"] for a in answers if a.status_code == 201}
    every = [seat for seats in holds.values() for seat in seats]
    assert len(every) == len(set(every)), "a seat was held twice"
    availability = await container.seating.store.availability(show.show_id)
    assert not isinstance(availability, str | None)
    statuses = dict(zip(sorted(show.seat_ids), availability.seats, strict=True))
    assert {s for s, code in statuses.items() if code == HELD} == set(every)
    return holds


def mixed_asks(seed: int) -> list[Ask]:
    rng = random.Random(seed)
    return [{"quantity": rng.randint(1, 6), "together": rng.random() < 0.7} for _ in range(500)]


async def test_a_crowd_gets_contiguous_blocks_and_no_refusal_while_seats_fit(
    api_from: ApiFrom, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, container: Container,
    settings: Settings,
) -> None:
    show = await make_show_on_sale(seats=SEATS, avoid_single_seats="off")
    places = await seat_places(settings, show.show_id)
    asks = mixed_asks(16)
    answers = await storm(api_from, make_buyer, show, asks)
    holds = await held_seats(container, show, answers)
    assert sum(len(s) for s in holds.values()) > SEATS - 50, "the show should all but sell out"
    for ask, answer in zip(asks, answers, strict=True):
        if answer.status_code == 201 and ask["together"]:
            seats = answer.json()["seats"]
            assert len({places[s][1] for s in seats}) == 1, "a block spans rows"
            positions = [places[s][2] for s in seats]
            assert positions == list(range(positions[0], positions[0] + ask["quantity"])), "not side by side"
    # Seats were only taken during the storm, so a choice that fits at the end fitted at every earlier
    # moment too: a refused request must not fit the end state either.
    held = {seat for seats in holds.values() for seat in seats}
    longest_free_run = 0
    for seats in rows_of(places).values():
        run = 0
        for seat in seats:
            run = 0 if seat in held else run + 1
            longest_free_run = max(longest_free_run, run)
    free = SEATS - len(held)
    for ask, answer in zip(asks, answers, strict=True):
        if answer.status_code == 409:
            problem = answer.json()
            assert problem["type"].endswith("not-enough-seats")
            if ask["together"]:
                assert longest_free_run < ask["quantity"] and problem["together"] < ask["quantity"]
            else:
                assert free < ask["quantity"] and problem["apart"] < ask["quantity"]


async def test_holds_take_the_best_ranks_in_the_order_they_are_placed(
    api_from: ApiFrom, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, container: Container,
    settings: Settings,
) -> None:
    show = await make_show_on_sale(seats=1000, avoid_single_seats="off")
    places = await seat_places(settings, show.show_id)
    rng = random.Random(17)
    asks = [{"quantity": rng.randint(1, 6), "together": False} for _ in range(500)]
    answers = await storm(api_from, make_buyer, show, asks)
    holds = await held_seats(container, show, answers)
    # Each hold's ranks are one interval, the intervals follow each other from rank 1 without a gap:
    # whichever hold was placed first got the best seats, the next the best of the rest, and so on.
    intervals = sorted((min(ranks), max(ranks), len(ranks))
                       for ranks in ([places[s][0] for s in seats] for seats in holds.values()))
    expected_first = 1
    for low, high, count in intervals:
        assert (low, high) == (expected_first, expected_first + count - 1)
        expected_first = high + 1
    assert expected_first - 1 == 1000, "apart requests of at most 6 sell a 1,000-seat show out"


async def test_with_the_single_seat_rule_no_free_seat_is_left_alone(
    api_from: ApiFrom, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, container: Container,
    settings: Settings,
) -> None:
    show = await make_show_on_sale(seats=SEATS)  # the default rule: best available leaves no seat alone
    places = await seat_places(settings, show.show_id)
    asks = mixed_asks(18)
    answers = await storm(api_from, make_buyer, show, asks)
    holds = await held_seats(container, show, answers)
    held = {seat for seats in holds.values() for seat in seats}
    # The rule costs a little: runs of two may be left that no single seat request can split.
    assert len(held) > SEATS * 0.9
    for seats in rows_of(places).values():
        free = [seat not in held for seat in seats]
        for pos, is_free in enumerate(free):
            if is_free:
                beside = [free[p] for p in (pos - 1, pos + 1) if 0 <= p < len(free)]
                assert any(beside), f"seat {seats[pos]} is left alone"
    assert all(a.json()["type"].endswith("not-enough-seats") for a in answers if a.status_code == 409)
