"""In-memory fakes of the catalog's ports, for unit tests of the use cases (and tested themselves)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager

import msgspec

from lml.catalog.application.ports import (
    CatalogUnitOfWork,
    EventRepository,
    Inventory,
    InventorySummary,
    InventoryTally,
    LayoutUnavailable,
    ShowRepository,
    VenueUnavailable,
)
from lml.catalog.domain.event import Event, EventRevision
from lml.catalog.domain.show import InventoryPlan, Show
from lml.catalog.domain.venue import LayoutPin, LayoutSnapshot, VenueSnapshot
from lml.platform.domain.errors import Conflict, FieldError


class _State:
    def __init__(self) -> None:
        self.events: dict[str, Event] = {}
        self.revisions: list[EventRevision] = []
        self.shows: dict[str, Show] = {}
        self.seats: dict[str, dict[str, str]] = {}  # show → seat → status
        self.zones: dict[str, dict[str, int]] = {}  # show → zone → capacity
        self.closed_sales: set[str] = set()
        self.outbox: list[msgspec.Struct] = []
        self.touched: list[tuple[str, tuple[str, ...]]] = []


class _Events:
    def __init__(self, state: _State, org_id: str | None) -> None:
        self.state, self.org_id = state, org_id

    async def add(self, event: Event) -> None:
        self.state.events[event.event_id] = copy.copy(event)

    async def get(self, event_id: str, *, for_update: bool = False) -> Event | None:
        event = self.state.events.get(event_id)
        return copy.copy(event) if event is not None and event.org_id == self.org_id else None

    async def save(self, event: Event) -> None:
        self.state.events[event.event_id] = copy.copy(event)

    async def add_revision(self, revision: EventRevision) -> None:
        self.state.revisions.append(revision)

    async def revisions(self, event_id: str) -> list[EventRevision]:
        return [r for r in self.state.revisions if r.event_id == event_id]

    async def of_organization(self, *, status: str | None, after: str | None, limit: int) -> list[Event]:
        mine = sorted((e for e in self.state.events.values() if e.org_id == self.org_id
                       and (status is None or e.status == status)), key=lambda e: e.event_id, reverse=True)
        return [copy.copy(e) for e in mine if after is None or e.event_id < after][:limit]


class _Shows:
    def __init__(self, state: _State, org_id: str | None) -> None:
        self.state, self.org_id = state, org_id

    async def add(self, show: Show) -> None:
        self.state.shows[show.show_id] = copy.copy(show)

    async def get(self, show_id: str, *, for_update: bool = False) -> Show | None:
        show = self.state.shows.get(show_id)
        return copy.copy(show) if show is not None and show.org_id == self.org_id else None

    async def save(self, show: Show) -> None:
        self.state.shows[show.show_id] = copy.copy(show)

    async def of_event(self, event_id: str) -> list[Show]:
        shows = [s for s in self.state.shows.values() if s.event_id == event_id and s.org_id == self.org_id]
        return [copy.copy(s) for s in sorted(shows, key=lambda s: (s.starts_at, s.show_id))]


class SeatsNotChangeable(Conflict):
    """The fake's stand-in for seating's refusal."""


class _Inventory:
    def __init__(self, state: _State) -> None:
        self.state = state

    async def materialize(self, show: Show, plan: InventoryPlan) -> InventorySummary:
        show_id = show.show_id
        if show_id in self.state.seats:
            return InventorySummary(created=False, seats=len(self.state.seats[show_id]),
                                    zones=len(self.state.zones[show_id]))
        self.state.seats[show_id] = {s.seat_id: "blocked" if s.blocked else "available" for s in plan.seats}
        self.state.zones[show_id] = {z.zone_id: z.capacity for z in plan.zones}
        return InventorySummary(created=True, seats=len(plan.seats), zones=len(plan.zones))

    async def set_blocked(self, show_id: str, seat_ids: Sequence[str], blocked: bool) -> list[str]:
        seats = self.state.seats[show_id]
        source, target = ("available", "blocked") if blocked else ("blocked", "available")
        if any(seats.get(s) not in (source, target) for s in seat_ids):
            raise SeatsNotChangeable()
        changed = [s for s in dict.fromkeys(seat_ids) if seats[s] == source]
        for seat_id in changed:
            seats[seat_id] = target
        return changed

    async def tally(self, show_id: str) -> InventoryTally | None:
        if show_id not in self.state.seats:
            return None
        counts = dict.fromkeys(("available", "blocked", "reserved", "sold"), 0)
        for status in self.state.seats[show_id].values():
            counts[status] += 1
        capacity = sum(self.state.zones[show_id].values())
        return InventoryTally(seats=counts, zones=len(self.state.zones[show_id]), zone_capacity=capacity,
                              zone_remaining=capacity)

    async def close_sale(self, show_id: str) -> None:
        if show_id in self.state.seats:
            self.state.closed_sales.add(show_id)


class _UnitOfWork:
    def __init__(self, state: _State, org_id: str | None) -> None:
        self.events: EventRepository = _Events(state, org_id)
        self.shows: ShowRepository = _Shows(state, org_id)
        self.inventory: Inventory = _Inventory(state)
        self.state = state
        self.committed = False
        self._touched: list[tuple[str, tuple[str, ...]]] = []

    async def publish(self, event: msgspec.Struct) -> None:
        self.state.outbox.append(event)

    def touched(self, event_id: str, show_ids: Iterable[str] = ()) -> None:
        self._touched.append((event_id, tuple(show_ids)))

    async def commit(self) -> None:
        self.committed = True
        self.state.touched.extend(self._touched)


class InMemoryCatalog:
    """A UnitOfWorkFactory: each unit of work sees one organization's events and shows, and
    everything it changed is undone unless it commits."""

    def __init__(self) -> None:
        self.state = _State()

    @asynccontextmanager
    async def __call__(self, org_id: str | None) -> AsyncIterator[CatalogUnitOfWork]:
        before = copy.deepcopy(self.state.__dict__)
        uow = _UnitOfWork(self.state, org_id)
        try:
            yield uow
        finally:
            if not uow.committed:
                self.state.__dict__.update(before)


class FakeVenues:
    """A VenueDirectory of venues and published layouts put there by the test."""

    def __init__(self) -> None:
        self.venues: dict[tuple[str, str], VenueSnapshot] = {}
        self.layouts: dict[tuple[str, str], list[LayoutSnapshot]] = {}
        self.drafts: set[tuple[str, str]] = set()  # (org, layout id) known but never published

    def add_venue(self, org_id: str, venue: VenueSnapshot) -> None:
        self.venues[(org_id, venue.venue_id)] = venue

    def add_layout(self, org_id: str, layout: LayoutSnapshot) -> None:
        self.layouts.setdefault((org_id, layout.pin.layout_id), []).append(layout)

    async def venue(self, org_id: str, venue_id: str) -> VenueSnapshot:
        try:
            return self.venues[(org_id, venue_id)]
        except KeyError:
            raise VenueUnavailable(FieldError("/venue_id", "is not a venue of this organization")) from None

    async def published_layout(self, org_id: str, layout_id: str, version: int | None) -> LayoutSnapshot:
        if (org_id, layout_id) in self.drafts:
            raise LayoutUnavailable(FieldError("/layout_id", "is not published"))
        versions = self.layouts.get((org_id, layout_id))
        if not versions:
            raise LayoutUnavailable(FieldError("/layout_id", "is not a layout of this organization"))
        found = versions[-1] if version is None else next((v for v in versions if v.pin.version == version), None)
        if found is None:
            raise LayoutUnavailable(FieldError("/layout_version", "is not a published version of the layout"))
        return found

    async def pinned_layout(self, org_id: str, pin: LayoutPin) -> LayoutSnapshot:
        found = next((v for v in self.layouts.get((org_id, pin.layout_id), []) if v.pin == pin), None)
        if found is None:
            raise LayoutUnavailable(FieldError("/layout_id", "the pinned layout version is gone"))
        return found

