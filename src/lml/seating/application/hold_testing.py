"""In-memory fakes of the hold use cases' ports, for unit tests (and the model the Redis store is
checked against). The fake store keeps the same rules as the Lua scripts in the plainest Python:
a hold is live while its expiry is in the future, all or none, PostgreSQL's state wins over holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from lml.platform.domain.errors import present
from lml.platform.domain.rate_budget import RateBill
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
from lml.seating.domain.best_available import Shortfall, Spot, choose, free_besides, leaves_single_seat
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
    RateLimited,
)
from lml.seating.domain.sale_rules import SaleRules
from lml.seating.domain.seat_quality import PlacedSeat, SeatGeometry, SeatPlan, ShowRow, VenueGeometry


@dataclass
class _Show:
    seats: dict[str, tuple[str, int]] = field(default_factory=dict)  # seat → (status code, row version)
    zones: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # zone → (capacity, taken, version)
    ordered: dict[str, tuple[int, int]] = field(default_factory=dict)  # limit key → (places, version)
    holds: dict[str, Hold] = field(default_factory=dict)
    changes: int = 0
    places: dict[str, PlacedSeat] = field(default_factory=dict)
    rows: list[ShowRow] = field(default_factory=list)


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
        self, show_id: str, hold_id: str, holder: Holder, token_hash: str, request: HoldRequest, terms: HoldTerms,
        bill: RateBill | None = None,
    ) -> PlaceOutcome:
        """Rate budgets are the real store's business (tested against Redis): `bill` goes unspent."""
        show = self._live(show_id)
        if show is None:
            return InventoryNotLoaded()
        if request.best is not None:
            return self._place_best(show, show_id, hold_id, holder, token_hash, request, terms)
        unknown = tuple(s for s in request.seat_ids if s not in show.seats)
        unknown_zones = tuple(z for z, _ in request.zones if z not in show.zones)
        if unknown or unknown_zones:
            return HoldRefused("unknown", seat_ids=unknown, zone_ids=unknown_zones)
        blocked = tuple(s for s in request.seat_ids if show.seats[s][0] == "b")
        if blocked:
            return HoldRefused("blocked", seat_ids=blocked)
        refused = self._over_limits(show, holder, request.quantity, terms)
        if refused is not None:
            return refused
        taken = tuple(s for s in request.seat_ids
                      if show.seats[s][0] != AVAILABLE or self._holder(show, s) is not None)
        short = [(z, self._remaining(show, z)) for z, qty in request.zones if qty > self._remaining(show, z)]
        if taken or short:
            return HoldRefused("conflict", seat_ids=taken, zone_ids=tuple(z for z, _ in short),
                               zone_remaining=tuple(r for _, r in short))
        if terms.avoid_single_explicit:
            alone = self._single_left(show, request.seat_ids)
            if alone is not None:
                return HoldRefused("single_seat", seat_ids=(alone,))
        return self._take(show, show_id, hold_id, holder, token_hash, request.seat_ids, request, terms)

    def _take(self, show: _Show, show_id: str, hold_id: str, holder: Holder, token_hash: str,
              seat_ids: tuple[str, ...], request: HoldRequest, terms: HoldTerms) -> HoldPlaced:
        now = self.now_ms()
        show.holds[hold_id] = Hold(
            hold_id=hold_id, show_id=show_id, owner=holder.owner, limit_key=holder.limit_key, address=holder.address,
            token_hash=token_hash, seat_ids=seat_ids,
            zones=request.zones_dict(), created_at_ms=now, expires_at_ms=now + terms.hold_ms,
            max_expires_at_ms=now + terms.cap_ms,
        )
        show.changes += 1
        return HoldPlaced(now + terms.hold_ms, now + terms.cap_ms, seat_ids if request.best is not None else ())

    def _free(self, show: _Show, seat_id: str) -> bool:
        return show.seats[seat_id][0] == AVAILABLE and self._holder(show, seat_id) is None

    def _rows(self, show: _Show) -> list[list[Spot]]:
        """The show's rows as the chooser sees them, right now."""
        rows: list[list[PlacedSeat]] = [[] for _ in show.rows]
        for place in show.places.values():
            rows[place.row_no].append(place)
        return [[Spot(p.seat_id, p.rank, self._free(show, p.seat_id), p.tier_id, show.rows[r].section)
                 for p in sorted(row, key=lambda p: p.row_pos)] for r, row in enumerate(rows)]

    def _single_left(self, show: _Show, seat_ids: tuple[str, ...]) -> str | None:
        rows = self._rows(show)
        by_row: dict[int, list[int]] = {}
        for seat_id in seat_ids:
            if seat_id in show.places:
                by_row.setdefault(show.places[seat_id].row_no, []).append(show.places[seat_id].row_pos)
        for row_no, positions in by_row.items():
            row = rows[row_no]
            alone = leaves_single_seat(free_besides(row, set(positions)), len(row), positions)
            if alone is not None:
                return row[alone].seat_id
        return None

    def _place_best(self, show: _Show, show_id: str, hold_id: str, holder: Holder, token_hash: str,
                    request: HoldRequest, terms: HoldTerms) -> PlaceOutcome:
        best = present(request.best, "a best-available request")
        sections = {row.section for row in show.rows}
        tiers = {place.tier_id for place in show.places.values()}
        bad_tier = best.tier_id if best.tier_id is not None and best.tier_id not in tiers else ""
        unknown_sections = tuple(s for s in best.sections if s not in sections)
        if bad_tier or unknown_sections:
            return HoldRefused("unknown_choice", tier_id=bad_tier, sections=unknown_sections)
        unknown_zones = tuple(z for z, _ in request.zones if z not in show.zones)
        if unknown_zones:
            return HoldRefused("unknown", zone_ids=unknown_zones)
        refused = self._over_limits(show, holder, request.quantity, terms)
        if refused is not None:
            return refused
        short = [(z, self._remaining(show, z)) for z, qty in request.zones if qty > self._remaining(show, z)]
        if short:
            return HoldRefused("conflict", zone_ids=tuple(z for z, _ in short),
                               zone_remaining=tuple(r for _, r in short))
        chosen = choose(self._rows(show), best, avoid_single=terms.avoid_single_best)
        if isinstance(chosen, Shortfall):
            return HoldRefused("not_enough", together=chosen.together, apart=chosen.apart)
        return self._take(show, show_id, hold_id, holder, token_hash, tuple(chosen), request, terms)

    @staticmethod
    def _over_limits(show: _Show, holder: Holder, quantity: int, terms: HoldTerms) -> HoldRefused | None:
        held = sum(_places(h) for h in show.holds.values() if h.limit_key == holder.limit_key)
        ordered = show.ordered.get(holder.limit_key, (0, 0))[0]
        if held + ordered + quantity > terms.max_per_buyer:
            return HoldRefused("over_limit", held=held, ordered=ordered, limit=terms.max_per_buyer)
        from_address = sum(_places(h) for h in show.holds.values() if h.address == holder.address)
        if from_address + quantity > terms.max_per_address:
            return HoldRefused("address_cap", held=from_address, limit=terms.max_per_address)
        return None

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
        show = self.shows.setdefault(show_id, _Show())
        show.places = {place.seat_id: place for place in state.places}
        show.rows = list(state.rows)
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

    async def availability(
        self, show_id: str, known_version: str | None = None, bill: RateBill | None = None
    ) -> Availability | str | RateLimited | None:
        """Rate budgets are the real store's business (tested against Redis): `bill` goes unspent."""
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


class UnreadableLayouts:
    """A ShowRanking for shows whose pinned layout cannot be read: they load without ranks."""

    async def pinned_geometry(self, show_id: str) -> tuple[list[SeatGeometry], VenueGeometry] | None:
        return None

    async def save(self, show_id: str, plan: SeatPlan) -> None:
        raise AssertionError("nothing to save without a layout")


class NoWaitingRooms:
    """A QueueGate for shows without a waiting room: every hold goes as it always did."""

    async def admit_hold(self, *, show_id: str, buyer: str, pass_token: str | None) -> str | None:
        return None

    async def hold_placed(self, *, show_id: str, entry_id: str, until: datetime) -> None:
        raise AssertionError("no pass was given, so none is kept alive")
