"""A hold storm over many shows spread across a Redis Cluster's nodes: buyers of several API
processes (each its own cluster client) race for the same seats of every show at once. No seat is
held twice, every refusal names a seat another buyer got, and every show's availability shows
exactly the seats its winners hold."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from lml.config import Settings
from lml.platform.ids import new_id
from lml.platform.redis import RedisClient, create_redis, shard_of
from lml.seating.domain.availability import InventoryState, SeatRow
from lml.seating.domain.hold import Holder, HoldPlaced, HoldRefused, HoldRequest, HoldTerms, new_hold_id
from lml.seating.infrastructure.redis_holds import RedisHoldStore
from tests.fixtures.seating import seat_ids
from tests.timing import TestClock

pytestmark = pytest.mark.parametrize("redis_mode", ["cluster"], indirect=True)

TERMS = HoldTerms(hold_ms=60_000, cap_ms=120_000, max_per_buyer=8, max_per_address=100)
PROCESSES = 4
SHOWS = 24
SEATS = 12
BUYERS = 480


@pytest.fixture
async def clients(settings: Settings) -> AsyncIterator[list[RedisClient]]:
    """Each API process's cluster client."""
    made = [create_redis(settings) for _ in range(PROCESSES)]
    try:
        yield made
    finally:
        for client in made:
            await client.aclose()


async def test_buyers_of_many_processes_racing_over_shows_on_every_node_never_share_a_seat(
    clients: list[RedisClient], settings: Settings,
) -> None:
    clock = TestClock(start=datetime.now(UTC))
    stores = [RedisHoldStore(client, settings.redis_key_prefix, now_ms=clock.now_ms) for client in clients]
    seats = seat_ids(SEATS)
    shows = [new_id() for _ in range(SHOWS)]
    for show_id in shows:
        await stores[0].load(show_id, InventoryState([SeatRow(s, "available", 0) for s in seats], []))
    nodes = {await shard_of(clients[0], stores[0].show_keys(show_id).channel) for show_id in shows}
    assert len(nodes) == 3

    pick = random.Random(os.urandom(8))

    async def buyer(number: int) -> tuple[str, str, list[str], HoldPlaced | HoldRefused]:
        show_id = shows[number % SHOWS]
        first = pick.randrange(SEATS - 1)
        wanted = seats[first : first + 2]
        holder = Holder(owner=f"guest:{number}", limit_key=f"guest:{number}", address=f"net-{number}", guest=True)
        hold_id = new_hold_id(show_id, os.urandom(12))
        outcome = await stores[number % PROCESSES].place(show_id, hold_id, holder, "digest",
                                                         HoldRequest.parse(wanted, {}), TERMS)
        assert isinstance(outcome, HoldPlaced | HoldRefused), outcome
        return show_id, hold_id, wanted, outcome

    results = await asyncio.gather(*(buyer(n) for n in range(BUYERS)))
    assert {type(outcome) for *_, outcome in results} == {HoldPlaced, HoldRefused}

    for show_id in shows:
        won: dict[str, str] = {}
        for show, hold_id, wanted, outcome in results:
            if show == show_id and isinstance(outcome, HoldPlaced):
                for seat in wanted:
                    assert seat not in won, f"seat {seat} of show {show_id} held twice"
                    won[seat] = hold_id
        for show, _, _, outcome in results:
            if show == show_id and isinstance(outcome, HoldRefused):
                assert outcome.reason == "conflict" and set(outcome.seat_ids) <= set(won)
        availability = await stores[1].availability(show_id)
        assert availability is not None and not isinstance(availability, str)
        assert availability.seats == "".join("h" if seat in won else "a" for seat in seats)
        for seat, hold_id in won.items():
            hold = await stores[2].get(show_id, hold_id)
            assert hold is not None and seat in hold.seat_ids
