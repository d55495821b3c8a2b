"""Hold rules and use cases, on in-memory fakes of the ports."""

from __future__ import annotations

import asyncio
import base64
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lml.platform.domain.client_network import address_group
from lml.platform.domain.errors import InvalidInput
from lml.seating.application.change_hold import extend_hold, release_hold
from lml.seating.application.hold_testing import (
    InMemoryHoldStore,
    NoWaitingRooms,
    StaticInventory,
    StaticSaleRules,
    UnreadableLayouts,
)
from lml.seating.application.holding import Holding
from lml.seating.application.place_hold import place_hold
from lml.seating.application.verify_hold import verify_hold
from lml.seating.domain.availability import BuyerRow, InventoryState, SeatRow, ZoneRow
from lml.seating.domain.errors import (
    AddressHoldCapReached,
    BuyerLimitExceeded,
    HoldExtensionLimitReached,
    HoldNotFound,
    HoldTokenMismatch,
    HoldTokenRequired,
    SeatsBlocked,
    SeatsUnavailable,
    ShowNotOnSale,
    UnknownSeats,
    UnknownShow,
)
from lml.seating.domain.hold import MAX_SEATS_PER_REQUEST, Holder, HoldRequest, new_hold_id, show_of_hold
from lml.seating.domain.inventory import InventoryNotFound
from lml.seating.domain.sale_rules import SaleRules
from tests.fixtures.seating import seat_ids
from tests.timing import TestClock

NOW = datetime(2030, 5, 1, 20, 0, tzinfo=UTC)
SHOW = "01a20106-9beb-7d7f-b70f-8c6c39102a87"
SEATS = seat_ids(6)
ADDRESS_CAP = 6


def rules(**changes: object) -> SaleRules:
    values: dict[str, object] = {
        "show_id": SHOW, "cancelled": False, "opens_at": NOW - timedelta(days=1), "closes_at": NOW + timedelta(days=1),
        "max_seats_per_buyer": 4, "hold_seconds": 600,
    }
    return SaleRules(**{**values, **changes})  # type: ignore[arg-type]


@pytest.fixture
def clock() -> TestClock:
    return TestClock(start=NOW)


@pytest.fixture
def holding(clock: TestClock) -> Holding:
    inventory = StaticInventory()
    inventory.by_show[SHOW] = InventoryState(
        seats=[SeatRow(s, "blocked" if i == 0 else "available", 0) for i, s in enumerate(SEATS)],
        zones=[ZoneRow("floor", 10, 0, 0)],
    )
    counter = itertools.count(1)
    return Holding(holds=InMemoryHoldStore(clock.now_ms), rules=StaticSaleRules([rules()]), inventory=inventory,
                   clock=clock, max_held_per_address=ADDRESS_CAP, queue_gate=NoWaitingRooms(),
                   ranking=UnreadableLayouts(),
                   random_bytes=lambda n: next(counter).to_bytes(4, "big") * (n // 4))


def buyer(owner: str, *, limit_key: str | None = None, address: str | None = None) -> Holder:
    """A buyer counted by their owner id, on a network of their own, unless told otherwise."""
    return Holder(owner=owner, limit_key=limit_key or owner, address=address or f"net-{owner}",
                  guest=owner.startswith("guest:"))


def request(seats: list[str], zones: dict[str, int] | None = None) -> HoldRequest:
    return HoldRequest.parse(seats, zones or {})


class TestHoldRequest:
    def test_every_problem_is_named_at_once(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            HoldRequest.parse(["nope", SEATS[1], SEATS[1]], {"floor": 0, "bad zone": 1})
        assert [e.path for e in refused.value.errors] == ["/seat_ids/0", "/seat_ids/2", "/zones/floor",
                                                          "/zones/bad zone"]

    def test_too_many_seats_are_refused_without_looking_at_each(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            HoldRequest.parse(seat_ids(MAX_SEATS_PER_REQUEST + 1), {})
        assert [e.path for e in refused.value.errors] == ["/seat_ids"]

    def test_an_empty_request_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            HoldRequest.parse([], {})

    def test_quantity_counts_seats_and_places(self) -> None:
        assert request(SEATS[1:3], {"floor": 3}).quantity == 5


class TestHoldIds:
    def test_a_hold_id_names_its_show(self) -> None:
        hold_id = new_hold_id(SHOW, b"\x01" * 12)
        assert len(hold_id) == 38
        assert show_of_hold(hold_id) == SHOW

    @pytest.mark.parametrize("hold_id", ["", "x" * 38, "short", new_hold_id(SHOW, b"\x02" * 12) + "A", "é" * 38])
    def test_anything_else_names_no_show(self, hold_id: str) -> None:
        assert show_of_hold(hold_id) is None


class TestSaleRules:
    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"cancelled": True}, "cancelled"),
            ({"opens_at": None}, "not been put on sale"),
            ({"opens_at": NOW + timedelta(minutes=1)}, "opens at"),
            ({"closes_at": NOW}, "closed at"),
        ],
    )
    def test_a_closed_sale_says_why(self, changes: dict[str, object], reason: str) -> None:
        with pytest.raises(ShowNotOnSale) as refused:
            rules(**changes).ensure_open(NOW)
        assert reason in refused.value.detail

    def test_a_registered_buyers_hold_lives_up_to_twice_the_hold_time_a_guests_once(self) -> None:
        terms = rules().terms(guest=False, max_per_address=24)
        assert (terms.hold_ms, terms.cap_ms, terms.max_per_buyer, terms.max_per_address) == (600_000, 1_200_000, 4, 24)
        guest = rules().terms(guest=True, max_per_address=24)
        assert (guest.hold_ms, guest.cap_ms) == (600_000, 600_000)

    @pytest.mark.parametrize(
        ("address", "network"),
        [
            ("198.51.100.7", "198.51.100.7"),
            ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
            ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
            ("::ffff:198.51.100.7", "198.51.100.7"),
            ("unknown", "unknown"),
        ],
    )
    def test_an_ipv6_address_counts_as_its_64_network(self, address: str, network: str) -> None:
        assert address_group(address) == network


class TestPlaceHold:
    async def test_the_inventory_is_loaded_on_first_use_then_the_hold_placed(self, holding: Holding) -> None:
        placed = await place_hold(holding, show_id=SHOW, holder=buyer("user:a"), request=request(SEATS[1:3]))
        assert placed.seat_ids == tuple(SEATS[1:3])
        assert placed.expires_at == NOW + timedelta(minutes=10)
        assert placed.max_expires_at == NOW + timedelta(minutes=20)
        assert show_of_hold(placed.hold_id) == SHOW
        assert placed.hold_token == base64.urlsafe_b64encode((1).to_bytes(4, "big") * 8).rstrip(b"=").decode()

    async def test_concurrent_first_holds_load_the_show_once(self, holding: Holding) -> None:
        await asyncio.gather(*(place_hold(holding, show_id=SHOW, holder=buyer(f"user:{i}"), request=request([SEATS[i]]))
                               for i in range(1, 5)))
        assert isinstance(holding.inventory, StaticInventory)
        assert holding.inventory.reads == 1

    async def test_refusals_become_the_problems_that_name_them(self, holding: Holding) -> None:
        await place_hold(holding, show_id=SHOW, holder=buyer("user:a"), request=request(SEATS[1:3]))
        with pytest.raises(SeatsUnavailable) as taken:
            await place_hold(holding, show_id=SHOW, holder=buyer("user:b"), request=request([SEATS[3], SEATS[2]]))
        assert taken.value.seat_ids == [SEATS[2]]
        with pytest.raises(SeatsBlocked):
            await place_hold(holding, show_id=SHOW, holder=buyer("user:b"), request=request([SEATS[0]]))
        with pytest.raises(UnknownSeats) as unknown:
            await place_hold(holding, show_id=SHOW, holder=buyer("user:b"), request=request(["f" * 16], {"x": 1}))
        assert [e.path for e in unknown.value.errors] == ["/seat_ids/0", "/zones/x"]
        with pytest.raises(BuyerLimitExceeded):
            await place_hold(holding, show_id=SHOW, holder=buyer("user:a"), request=request([SEATS[4]], {"floor": 2}))
        await place_hold(holding, show_id=SHOW, holder=buyer("user:c"), request=request([], {"floor": 4}))
        await place_hold(holding, show_id=SHOW, holder=buyer("user:d"), request=request([], {"floor": 4}))
        with pytest.raises(SeatsUnavailable) as short:
            await place_hold(holding, show_id=SHOW, holder=buyer("user:e"), request=request([], {"floor": 4}))
        assert short.value.zones == {"floor": 2}

    async def test_the_limit_counts_live_holds_and_orders_of_every_session_of_the_buyer(self, holding: Holding) -> None:
        guest_email = "guest-email:ada"
        await place_hold(holding, show_id=SHOW, holder=buyer("guest:s1", limit_key=guest_email),
                         request=request([SEATS[1]]))
        await holding.holds.apply(SHOW, [], [], [BuyerRow(guest_email, 2, 1)])
        with pytest.raises(BuyerLimitExceeded) as refused:
            await place_hold(holding, show_id=SHOW, holder=buyer("guest:s2", limit_key=guest_email),
                             request=request(SEATS[2:4]))
        assert refused.value.extensions == {"errors": refused.value.errors, "limit": 4, "held": 1, "ordered": 2,
                                            "requested": 2}
        await place_hold(holding, show_id=SHOW, holder=buyer("guest:s2", limit_key=guest_email),
                         request=request([SEATS[2]]))
        # An older count never replaces a newer one.
        await holding.holds.apply(SHOW, [], [], [BuyerRow(guest_email, 0, 1)])
        with pytest.raises(BuyerLimitExceeded):
            await place_hold(holding, show_id=SHOW, holder=buyer("guest:s3", limit_key=guest_email),
                             request=request([SEATS[3]]))

    async def test_one_address_holds_at_most_its_cap_at_once(self, holding: Holding) -> None:
        await place_hold(holding, show_id=SHOW, holder=buyer("guest:a", address="net"), request=request(SEATS[1:5]))
        with pytest.raises(AddressHoldCapReached) as refused:
            await place_hold(holding, show_id=SHOW, holder=buyer("guest:b", address="net"),
                             request=request([], {"floor": 3}))
        assert refused.value.retry_after > 0
        assert refused.value.extensions == {"cap": ADDRESS_CAP, "held": 4, "requested": 3}
        assert str(ADDRESS_CAP) in refused.value.detail
        await place_hold(holding, show_id=SHOW, holder=buyer("guest:b", address="net"),
                         request=request([], {"floor": 2}))
        await place_hold(holding, show_id=SHOW, holder=buyer("guest:c", address="elsewhere"),
                         request=request([], {"floor": 3}))

    async def test_a_guests_hold_cannot_be_extended(self, holding: Holding, clock: TestClock) -> None:
        placed = await place_hold(holding, show_id=SHOW, holder=buyer("guest:g"), request=request(SEATS[1:2]))
        assert placed.max_expires_at == placed.expires_at == NOW + timedelta(minutes=10)
        clock.advance(milliseconds=60_000)
        with pytest.raises(HoldExtensionLimitReached):
            await extend_hold(holding, hold_id=placed.hold_id, owner="guest:g", token=placed.hold_token)

    async def test_a_show_without_inventory_or_rules_is_refused(self, holding: Holding) -> None:
        with pytest.raises(UnknownShow):
            await place_hold(holding, show_id=str(uuid.uuid4()), holder=buyer("user:a"), request=request(SEATS[1:2]))
        assert isinstance(holding.rules, StaticSaleRules) and isinstance(holding.inventory, StaticInventory)
        holding.inventory.by_show.clear()
        with pytest.raises(InventoryNotFound):
            await place_hold(holding, show_id=SHOW, holder=buyer("user:a"), request=request(SEATS[1:2]))


class TestChangeHold:
    async def test_extend_and_release_are_fenced_by_token_and_owner(self, holding: Holding,
                                                                    clock: TestClock) -> None:
        placed = await place_hold(holding, show_id=SHOW, holder=buyer("user:a"), request=request(SEATS[1:2]))
        with pytest.raises(HoldTokenRequired):
            await extend_hold(holding, hold_id=placed.hold_id, owner="user:a", token=None)
        with pytest.raises(HoldTokenMismatch):
            await release_hold(holding, hold_id=placed.hold_id, owner="user:a", token="wrong")
        with pytest.raises(HoldNotFound):
            await release_hold(holding, hold_id=placed.hold_id, owner="user:b", token=placed.hold_token)
        with pytest.raises(HoldNotFound):
            await release_hold(holding, hold_id="not-a-hold", owner="user:a", token=placed.hold_token)
        clock.advance(milliseconds=300_000)
        extended = await extend_hold(holding, hold_id=placed.hold_id, owner="user:a", token=placed.hold_token)
        assert extended.expires_at == placed.expires_at + timedelta(minutes=5)
        clock.advance(milliseconds=500_000)
        extended = await extend_hold(holding, hold_id=placed.hold_id, owner="user:a", token=placed.hold_token)
        assert extended.expires_at == placed.max_expires_at
        with pytest.raises(HoldExtensionLimitReached):
            await extend_hold(holding, hold_id=placed.hold_id, owner="user:a", token=placed.hold_token)
        await release_hold(holding, hold_id=placed.hold_id, owner="user:a", token=placed.hold_token)
        with pytest.raises(HoldNotFound):
            await release_hold(holding, hold_id=placed.hold_id, owner="user:a", token=placed.hold_token)


class TestVerifyHold:
    class Places:
        async def seats(self, show_id: str, seat_ids: object) -> dict[str, tuple[str | None, str | None]]:
            return {SEATS[1]: ("standard", "A, row 1, seat 2")}

        async def zone_tiers(self, show_id: str, zone_ids: object) -> dict[str, str]:
            return {"floor": "ga"}

    async def test_ordering_gets_the_hold_with_tiers_only_with_its_token(self, holding: Holding) -> None:
        placed = await place_hold(holding, show_id=SHOW, holder=buyer("user:a"),
                                  request=request([SEATS[1]], {"floor": 2}))
        verified = await verify_hold(holding, self.Places(), hold_id=placed.hold_id, token=placed.hold_token,
                                     owner="user:a")
        assert [(s.seat_id, s.tier_id, s.label) for s in verified.seats] == [(SEATS[1], "standard",
                                                                              "A, row 1, seat 2")]
        assert [(z.zone_id, z.tier_id, z.quantity) for z in verified.zones] == [("floor", "ga", 2)]
        assert verified.expires_at == placed.expires_at
        with pytest.raises(HoldTokenMismatch):
            await verify_hold(holding, self.Places(), hold_id=placed.hold_id, token="x", owner="user:a")
        with pytest.raises(HoldNotFound):
            await verify_hold(holding, self.Places(), hold_id=placed.hold_id, token=placed.hold_token,
                              owner="user:b")
