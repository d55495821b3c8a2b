"""A state machine drives holds (place, extend, release, time passing, holds becoming orders, buyers'
ordered places changing in PostgreSQL) on the real Redis store and on the plain in-memory model side
by side: every answer (refusals name the counts) and every availability must be the same."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from lml.config import Settings
from lml.platform.ids import new_id
from lml.seating.application.hold_testing import InMemoryHoldStore
from lml.seating.domain.availability import BuyerRow, InventoryState, SeatRow, ZoneRow
from lml.seating.domain.hold import Holder, HoldPlaced, HoldRequest, HoldTerms, new_hold_id
from lml.seating.infrastructure.redis_holds import RedisHoldStore
from tests.fixtures.seating import seat_ids
from tests.timing import TestClock

T = TypeVar("T")
SEATS = seat_ids(8)
# Owner → limit key: Bob's two guest sessions are one buyer for the limit.
BUYERS = {"user:ann": "user:ann", "guest:bob-1": "guest-email:bob", "guest:bob-2": "guest-email:bob",
          "user:cy": "user:cy"}
ADDRESSES = ["198.51.100.1", "198.51.100.2"]
TERMS = HoldTerms(hold_ms=10_000, cap_ms=20_000, max_per_buyer=5, max_per_address=6)
STATE = InventoryState(
    seats=[SeatRow(s, "blocked" if i == 0 else "sold" if i == 1 else "available", 1) for i, s in enumerate(SEATS)],
    zones=[ZoneRow("floor", 6, 1, 1)],
)


class HoldMachine(RuleBasedStateMachine):
    holds = Bundle("holds")

    def __init__(self, redis_url: str) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = TestClock(start=datetime.now(UTC))
        self.client = aioredis.Redis.from_url(redis_url)
        self.real = RedisHoldStore(self.client, "lml-model", now_ms=self.clock.now_ms)
        self.model = InMemoryHoldStore(self.clock.now_ms)
        self.show = new_id()
        self.versions: dict[str, int] = {}  # limit key → the last version PostgreSQL gave its count
        self.run(self.real.load(self.show, STATE))
        self.run(self.model.load(self.show, STATE))

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.client.aclose())
        self.loop.close()

    @rule(target=holds, owner=st.sampled_from(sorted(BUYERS)),
          seats=st.lists(st.sampled_from(SEATS), max_size=3, unique=True), floor=st.integers(0, 4),
          address=st.sampled_from(ADDRESSES))
    def place(self, owner: str, seats: list[str], floor: int, address: str) -> tuple[str, str]:
        zones = {"floor": floor} if floor else {}
        if not seats and not zones:
            zones = {"floor": 1}
        request = HoldRequest.parse(seats, zones)
        hold_id = new_hold_id(self.show, os.urandom(12))
        holder = Holder(owner=owner, limit_key=BUYERS[owner], address=address, guest=owner.startswith("guest:"))
        real = self.run(self.real.place(self.show, hold_id, holder, "t-" + hold_id, request, TERMS))
        model = self.run(self.model.place(self.show, hold_id, holder, "t-" + hold_id, request, TERMS))
        assert real == model
        return hold_id, owner if isinstance(real, HoldPlaced) else "nobody"

    @rule(hold=holds, places=st.integers(1, 5))
    def the_hold_becomes_an_order(self, hold: tuple[str, str], places: int) -> None:
        """PostgreSQL counted the order (its buyer now has `places` in orders); Redis follows and drops
        the hold in the same step."""
        hold_id, owner = hold
        buyer = BUYERS.get(owner, "user:nobody")
        self.versions[buyer] = self.versions.get(buyer, 0) + 1
        row = BuyerRow(buyer, places, self.versions[buyer])
        real = self.run(self.real.apply(self.show, [], [], [row], drop_holds=[hold_id]))
        assert real == self.run(self.model.apply(self.show, [], [], [row], drop_holds=[hold_id]))

    @rule(owner=st.sampled_from(sorted(BUYERS)), places=st.integers(0, 5), version=st.integers(1, 4))
    def postgresql_changes_a_buyers_orders(self, owner: str, places: int, version: int) -> None:
        """A release, a refund, or a late or replayed message (a version that is not newer)."""
        row = BuyerRow(BUYERS[owner], places, version)
        self.versions[row.buyer_key] = max(self.versions.get(row.buyer_key, 0), version)
        real = self.run(self.real.apply(self.show, [], [], [row]))
        assert real == self.run(self.model.apply(self.show, [], [], [row]))

    @rule(hold=holds, right_token=st.booleans())
    def extend(self, hold: tuple[str, str], right_token: bool) -> None:
        hold_id, owner = hold
        token = "t-" + hold_id if right_token else "wrong"
        real = self.run(self.real.extend(self.show, hold_id, owner, token, TERMS.hold_ms))
        assert real == self.run(self.model.extend(self.show, hold_id, owner, token, TERMS.hold_ms))

    @rule(hold=holds, right_token=st.booleans(), right_owner=st.booleans())
    def release(self, hold: tuple[str, str], right_token: bool, right_owner: bool) -> None:
        hold_id, owner = hold
        token = "t-" + hold_id if right_token else "wrong"
        owner = owner if right_owner else "user:mallory"
        real = self.run(self.real.release(self.show, hold_id, owner, token))
        assert real == self.run(self.model.release(self.show, hold_id, owner, token))

    @rule(ms=st.integers(0, 12_000))
    def time_passes(self, ms: int) -> None:
        self.clock.advance(milliseconds=ms)

    @rule(seat=st.sampled_from(SEATS[2:]), status=st.sampled_from(["sold", "available", "reserved"]),
          version=st.integers(1, 4))
    def postgresql_changes_a_seat(self, seat: str, status: Any, version: int) -> None:
        real = self.run(self.real.apply(self.show, [SeatRow(seat, status, version)], []))
        assert real == self.run(self.model.apply(self.show, [SeatRow(seat, status, version)], []))

    @invariant()
    def availability_is_the_same(self) -> None:
        real = self.run(self.real.availability(self.show))
        model = self.run(self.model.availability(self.show))
        assert real is not None and model is not None and not isinstance(real, str) and not isinstance(model, str)
        assert (real.seats, real.zones) == (model.seats, model.zones)


@settings(max_examples=40, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def _check(redis_url: str) -> None:
    run_state_machine_as_test(lambda: HoldMachine(redis_url))


@pytest.mark.usefixtures("clean_world")
def test_the_redis_store_behaves_like_the_model(base_settings: Settings) -> None:
    _check(base_settings.redis_url)
