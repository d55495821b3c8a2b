"""In-memory fakes of the hold use cases' ports, for unit tests (and the model the Redis store is
checked against). The fake store keeps the same rules as the Lua scripts in the plainest Python:
a hold is live while its expiry is in the future, all or none, PostgreSQL's state wins over holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from lml.seating.domain.availability import (
    AVAILABLE,
    CODE_OF_STATUS,
    HELD,
    Availability,
    BuyerRow,
    InventoryState,
    SeatRow,
    ZoneAvailability,
    ZoneRow,
    seat_order,
)
from lml.seating.domain.errors import UnknownShow
from lml.seating.domain.hold import (
    Hold,
    HoldChangeRefused,
    Holder,
    HoldExtended,
    HoldPlaced,
    HoldRefused,
    HoldRequest,
    HoldTerms,
    InventoryNotLoaded,
    PlaceOutcome,
)
from lml.seating.domain.sale_rules import SaleRules


@dataclass
class _Show:
    seats: dict[str, tuple[str, int]] = field(default_factory=dict)  # seat → (status code, row version)
    zones: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # zone → (capacity, taken, version)
    ordered: dict[str, tuple[int, int]] = field(default_factory=dict)  # limit key → (places, version)
    holds: dict[str, Hold] = field(default_factory=dict)
    changes: int = 0


class InMemoryHoldStore:
    def __init__(self, now_ms: Callable[[], int]) -> None:
        self.now_ms = now_ms
        self.shows: dict[str, _Show] = {}
        self.loads = 0

    def _live(self, show_id: str) -> _Show | None:
        show = self.shows.get(show_id)
        if show is not None:
            expired = [h for h in show.holds.values() if h.expires_at_ms <= self.now_ms()]
            for hold in expired:
                del show.holds[hold.hold_id]
            show.changes += bool(expired)
        return show

    @staticmethod
    def _holder(show: _Show, seat_id: str) -> str | None:
        return next((h.hold_id for h in show.holds.values() if seat_id in h.seat_ids), None)

    @staticmethod
    def _held(show: _Show, zone_id: str) -> int:
        return sum(h.zones.get(zone_id, 0) for h in show.holds.values())

    def _remaining(self, show: _Show, zone_id: str) -> int:
        capacity, taken, _ = show.zones[zone_id]
        return max(0, capacity - taken - self._held(show, zone_id))

    async def place(
        self, show_id: str, hold_id: str, holder: Holder, token_hash: str, request: HoldRequest, terms: HoldTerms
    ) -> PlaceOutcome:
        show = self._live(show_id)
        if show is None:
            return InventoryNotLoaded()
        unknown = tuple(s for s in request.seat_ids if s not in show.seats)
        unknown_zones = tuple(z for z, _ in request.zones if z not in show.zones)
        if unknown or unknown_zones:
            return HoldRefused("unknown", seat_ids=unknown, zone_ids=unknown_zones)
        blocked = tuple(s for s in request.seat_ids if show.seats[s][0] == "b")
        if blocked:
            return HoldRefused("blocked", seat_ids=blocked)
        held = sum(_places(h) for h in show.holds.values() if h.limit_key == holder.limit_key)
        ordered = show.ordered.get(holder.limit_key, (0, 0))[0]
        if held + ordered + request.quantity > terms.max_per_buyer:
            return HoldRefused("over_limit", held=held, ordered=ordered, limit=terms.max_per_buyer)
        from_address = sum(_places(h) for h in show.holds.values() if h.address == holder.address)
        if from_address + request.quantity > terms.max_per_address:
            return HoldRefused("address_cap", held=from_address, limit=terms.max_per_address)
        taken = tuple(s for s in request.seat_ids
                      if show.seats[s][0] != AVAILABLE or self._holder(show, s) is not None)
        short = [(z, self._remaining(show, z)) for z, qty in request.zones if qty > self._remaining(show, z)]
        if taken or short:
            return HoldRefused("conflict", seat_ids=taken, zone_ids=tuple(z for z, _ in short),
                               zone_remaining=tuple(r for _, r in short))
        now = self.now_ms()
        show.holds[hold_id] = Hold(
            hold_id=hold_id, show_id=show_id, owner=holder.owner, limit_key=holder.limit_key, address=holder.address,
            token_hash=token_hash, seat_ids=request.seat_ids,
            zones=request.zones_dict(), created_at_ms=now, expires_at_ms=now + terms.hold_ms,
            max_expires_at_ms=now + terms.cap_ms,
        )
        show.changes += 1
        return HoldPlaced(now + terms.hold_ms, now + terms.cap_ms)

    def _own(self, show_id: str, hold_id: str, owner: str, token_hash: str) -> Hold | HoldChangeRefused:
        show = self._live(show_id)
        hold = show.holds.get(hold_id) if show else None
        if hold is None or hold.owner != owner:
            return "not_found"
        if hold.token_hash != token_hash:
            return "bad_token"
        return hold

    async def extend(
        self, show_id: str, hold_id: str, owner: str, token_hash: str, hold_ms: int
    ) -> HoldExtended | HoldChangeRefused:
        hold = self._own(show_id, hold_id, owner, token_hash)
        if isinstance(hold, str):
            return hold
        wanted = min(self.now_ms() + hold_ms, hold.max_expires_at_ms)
        if wanted <= hold.expires_at_ms:
            return "at_cap"
        self.shows[show_id].holds[hold_id] = msgspec.structs.replace(hold, expires_at_ms=wanted)
        return HoldExtended(wanted, hold.max_expires_at_ms)

    async def release(self, show_id: str, hold_id: str, owner: str, token_hash: str) -> HoldChangeRefused | None:
        hold = self._own(show_id, hold_id, owner, token_hash)
        if isinstance(hold, str):
            return hold
        del self.shows[show_id].holds[hold_id]
        self.shows[show_id].changes += 1
        return None

    async def get(self, show_id: str, hold_id: str) -> Hold | None:
        show = self._live(show_id)
        return show.holds.get(hold_id) if show else None

    async def load(self, show_id: str, state: InventoryState) -> None:
        self.loads += 1
        self.shows.setdefault(show_id, _Show())
        await self.apply(show_id, state.seats, state.zones, state.buyers)

    async def apply(
        self, show_id: str, seats: Sequence[SeatRow], zones: Sequence[ZoneRow], buyers: Sequence[BuyerRow] = (),
        *, drop_holds: Sequence[str] = (),
    ) -> int:
        show = self._live(show_id)
        if show is None:
            return 0
        applied = 0
        for hold_id in drop_holds:
            if show.holds.pop(hold_id, None) is not None:
                show.changes += 1
        for seat in seats:
            if seat.seat_id not in show.seats or show.seats[seat.seat_id][1] < seat.version:
                show.seats[seat.seat_id] = (CODE_OF_STATUS[seat.status], seat.version)
                applied += 1
        for zone in zones:
            if zone.zone_id not in show.zones or show.zones[zone.zone_id][2] < zone.version:
                show.zones[zone.zone_id] = (zone.capacity, zone.taken, zone.version)
                applied += 1
        show.changes += bool(applied)
        for buyer in buyers:
            if buyer.buyer_key not in show.ordered or show.ordered[buyer.buyer_key][1] < buyer.version:
                show.ordered[buyer.buyer_key] = (buyer.places, buyer.version)
                applied += 1
        return applied

    async def availability(self, show_id: str, known_version: str | None = None) -> Availability | str | None:
        show = self._live(show_id)
        if show is None:
            return None
        version = str(show.changes)
        if version == known_version:
            return version
        codes = []
        for seat_id in seat_order(list(show.seats)):
            code = show.seats[seat_id][0]
            codes.append(HELD if code == AVAILABLE and self._holder(show, seat_id) else code)
        zones = [ZoneAvailability(z, show.zones[z][0], self._remaining(show, z)) for z in sorted(show.zones)]
        return Availability(show_id=show_id, version=version, seats="".join(codes), zones=zones,
                            last_change_id=f"{show.changes}-0")


def _places(hold: Hold) -> int:
    return len(hold.seat_ids) + sum(hold.zones.values())


class StaticSaleRules:
    def __init__(self, rules: Sequence[SaleRules] = ()) -> None:
        self.by_show = {r.show_id: r for r in rules}

    async def rules(self, show_id: str) -> SaleRules:
        if show_id not in self.by_show:
            raise UnknownShow()
        return self.by_show[show_id]


class StaticInventory:
    def __init__(self) -> None:
        self.by_show: dict[str, InventoryState] = {}
        self.reads = 0

    async def state(self, show_id: str) -> InventoryState | None:
        self.reads += 1
        return self.by_show.get(show_id)


class NoWaitingRooms:
    """A QueueGate for shows without a waiting room: every hold goes as it always did."""

    async def admit_hold(self, *, show_id: str, buyer: str, pass_token: str | None) -> str | None:
        return None

    async def hold_placed(self, *, show_id: str, entry_id: str, until: datetime) -> None:
        raise AssertionError("no pass was given, so none is kept alive")
