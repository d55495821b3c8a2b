"""In-memory fakes of the catalog's ports, for unit tests of the use cases. They behave as the real
adapters do (tests/integration/catalog/test_*_contract.py run the same tests against both)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

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
from lml.platform.domain.errors import Conflict, FieldError, InvalidInput, NotFound

_Row = TypeVar("_Row")


@dataclass
class ShowInventory:
    """Seating's rows of one show, as far as the catalog can tell them apart."""

    org_id: str
    seats: dict[str, str]  # seat → status
    tiers: dict[str, str | None]  # seat → tier (None: a blocked seat nobody priced)
    zones: dict[str, int]  # zone → capacity
    closed: bool = False


@dataclass
class _State:
    """What is committed."""

    events: dict[str, Event] = field(default_factory=dict)
    revisions: list[EventRevision] = field(default_factory=list)
    shows: dict[str, Show] = field(default_factory=dict)
    inventories: dict[str, ShowInventory] = field(default_factory=dict)
    outbox: list[msgspec.Struct] = field(default_factory=list)
    touched: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


class _Rows(Generic[_Row]):
    """One kind of row as a unit of work sees it: what it wrote itself over what is committed, so
    that nobody else sees its changes before it commits (PostgreSQL's read committed)."""

    def __init__(self, committed: dict[str, _Row]) -> None:
        self.committed = committed
        self.written: dict[str, _Row] = {}

    def get(self, key: str) -> _Row | None:
        return copy.deepcopy(self.written.get(key, self.committed.get(key)))

    def put(self, key: str, row: _Row) -> None:
        self.written[key] = copy.deepcopy(row)

    def all(self) -> list[_Row]:
        return [copy.deepcopy(row) for row in {**self.committed, **self.written}.values()]

    def commit(self) -> None:
        self.committed.update(self.written)
        self.written.clear()


class _RowLocks:
    """`FOR UPDATE`: a row locked by one unit of work makes another that locks it wait until the first ends."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.waiting = 0

    async def acquire(self, key: tuple[str, str], held: set[tuple[str, str]]) -> None:
        if key in held:
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self.waiting += 1
        try:
            await lock.acquire()
        finally:
            self.waiting -= 1
        held.add(key)

    def release(self, held: set[tuple[str, str]]) -> None:
        for key in held:
            self._locks[key].release()
        held.clear()


class _Transaction:
    """What one unit of work sees and holds."""

    def __init__(self, state: _State, locks: _RowLocks, org_id: str | None) -> None:
        self.state = state
        self.org_id = org_id
        self.events = _Rows(state.events)
        self.shows = _Rows(state.shows)
        self.inventories = _Rows(state.inventories)
        self.revisions: list[EventRevision] = []
        self.outbox: list[msgspec.Struct] = []
        self.touched: list[tuple[str, tuple[str, ...]]] = []
        self.locks = locks
        self.held: set[tuple[str, str]] = set()

    def owns(self, org_id: str) -> bool:
        return org_id == self.org_id

    def sees_event(self, event: Event | None) -> bool:
        """An operator sees its organization's events; a buyer (no organization) the published ones."""
        if event is None:
            return False
        return self.owns(event.org_id) or (self.org_id is None and event.published_at is not None)

    def sees_show(self, show: Show | None) -> bool:
        return show is not None and (self.owns(show.org_id) or self.sees_event(self.events.get(show.event_id)))

    def inventory(self, show_id: str) -> ShowInventory | None:
        """Seating's rows: an operator sees its organization's, a unit of work of no organization every show's."""
        inventory = self.inventories.get(show_id)
        return inventory if inventory is not None and (self.org_id is None or self.owns(inventory.org_id)) else None

    def commit(self) -> None:
        for rows in (self.events, self.shows, self.inventories):
            rows.commit()
        self.state.revisions.extend(self.revisions)
        self.state.outbox.extend(self.outbox)
        self.state.touched.extend(self.touched)
        self.revisions, self.outbox, self.touched = [], [], []
        self.end()  # COMMIT releases the row locks

    def end(self) -> None:
        self.locks.release(self.held)


class _Events:
    def __init__(self, tx: _Transaction) -> None:
        self.tx = tx

    async def add(self, event: Event) -> None:
        self.tx.events.put(event.event_id, event)

    async def get(self, event_id: str, *, for_update: bool = False) -> Event | None:
        if not self.tx.sees_event(self.tx.events.get(event_id)):
            return None
        if for_update:
            await self.tx.locks.acquire(("event", event_id), self.tx.held)
        return self.tx.events.get(event_id)  # as the holder before us left it

    async def save(self, event: Event) -> None:
        stored = self.tx.events.get(event.event_id)
        if stored is not None and self.tx.owns(stored.org_id):
            self.tx.events.put(event.event_id, event)

    async def add_revision(self, revision: EventRevision) -> None:
        event = self.tx.events.get(revision.event_id)
        if event is not None and self.tx.owns(event.org_id):
            self.tx.revisions.append(revision)

    async def revisions(self, event_id: str) -> list[EventRevision]:
        event = self.tx.events.get(event_id)
        if event is None or not self.tx.owns(event.org_id):
            return []
        recorded = [r for r in (*self.tx.state.revisions, *self.tx.revisions) if r.event_id == event_id]
        return sorted(recorded, key=lambda r: r.revision)

    async def of_organization(self, *, status: str | None, after: str | None, limit: int) -> list[Event]:
        mine = sorted((e for e in self.tx.events.all() if self.tx.owns(e.org_id)
                       and (status is None or e.status == status)), key=lambda e: e.event_id, reverse=True)
        return [e for e in mine if after is None or e.event_id < after][:limit]


class _Shows:
    def __init__(self, tx: _Transaction) -> None:
        self.tx = tx

    async def add(self, show: Show) -> None:
        self.tx.shows.put(show.show_id, show)

    async def get(self, show_id: str, *, for_update: bool = False) -> Show | None:
        if not self.tx.sees_show(self.tx.shows.get(show_id)):
            return None
        if for_update:
            await self.tx.locks.acquire(("show", show_id), self.tx.held)
        return self.tx.shows.get(show_id)

    async def save(self, show: Show) -> None:
        stored = self.tx.shows.get(show.show_id)
        if stored is not None and self.tx.owns(stored.org_id):
            self.tx.shows.put(show.show_id, show)

    async def of_event(self, event_id: str) -> list[Show]:
        shows = [s for s in self.tx.shows.all() if s.event_id == event_id and self.tx.sees_show(s)]
        return sorted(shows, key=lambda s: (s.starts_at, s.show_id))


class SeatsNotChangeable(Conflict):
    """The fake's stand-in for seating's refusal: `conflicts` names each seat that cannot move."""


def _check_plan(plan: InventoryPlan) -> None:
    """What seating refuses to materialize: a seat listed twice, a sellable seat without a tier."""
    seen: set[str] = set()
    errors = []
    for seat in plan.seats:
        if seat.seat_id in seen:
            errors.append(FieldError("/seats", f"seat {seat.seat_id} is listed twice"))
        elif seat.tier_id is None and not seat.blocked:
            errors.append(FieldError("/seats", f"seat {seat.seat_id} is sellable but has no tier"))
        seen.add(seat.seat_id)
    if errors:
        raise InvalidInput(errors, detail="The inventory to materialize is inconsistent")


class _Inventory:
    def __init__(self, tx: _Transaction) -> None:
        self.tx = tx

    async def materialize(self, show: Show, plan: InventoryPlan) -> InventorySummary:
        _check_plan(plan)
        existing = self.tx.inventories.get(show.show_id)
        if existing is not None:
            return InventorySummary(created=False, seats=len(existing.seats), zones=len(existing.zones))
        self.tx.inventories.put(show.show_id, ShowInventory(
            org_id=show.org_id,
            seats={s.seat_id: "blocked" if s.blocked else "available" for s in plan.seats},
            tiers={s.seat_id: s.tier_id for s in plan.seats},
            zones={z.zone_id: z.capacity for z in plan.zones},
        ))
        return InventorySummary(created=True, seats=len(plan.seats), zones=len(plan.zones))

    async def set_blocked(self, show_id: str, seat_ids: Sequence[str], blocked: bool) -> list[str]:
        inventory = self.tx.inventory(show_id)
        if inventory is None:
            raise NotFound("The show has no inventory: it has not gone on sale")
        unknown = [s for s in seat_ids if s not in inventory.seats]
        if unknown:
            raise InvalidInput([FieldError("/seat_ids", f"seat {s} is not in the show's inventory") for s in unknown])
        source, target = ("available", "blocked") if blocked else ("blocked", "available")
        changed, conflicts = [], []
        for seat_id in dict.fromkeys(seat_ids):
            status = inventory.seats[seat_id]
            if status == target:
                continue
            if status != source:
                conflicts.append({"seat_id": seat_id, "status": status})
            elif not blocked and inventory.tiers[seat_id] is None:
                conflicts.append({"seat_id": seat_id, "status": status, "reason": "no price tier"})
            else:
                changed.append(seat_id)
        if conflicts:
            raise SeatsNotChangeable(conflicts=conflicts)
        if changed:
            inventory.seats.update(dict.fromkeys(changed, target))
            self.tx.inventories.put(show_id, inventory)
        return changed

    async def tally(self, show_id: str) -> InventoryTally | None:
        inventory = self.tx.inventory(show_id)
        if inventory is None:
            return None
        counts = dict.fromkeys(("available", "blocked", "reserved", "sold"), 0)
        for status in inventory.seats.values():
            counts[status] += 1
        capacity = sum(inventory.zones.values())  # nobody buys through the catalog: every place is left
        return InventoryTally(seats=counts, zones=len(inventory.zones), zone_capacity=capacity,
                              zone_remaining=capacity)

    async def close_sale(self, show_id: str) -> None:
        inventory = self.tx.inventory(show_id)
        if inventory is not None and not inventory.closed:
            inventory.closed = True
            self.tx.inventories.put(show_id, inventory)


class _UnitOfWork:
    def __init__(self, tx: _Transaction) -> None:
        self.tx = tx
        self.events: EventRepository = _Events(tx)
        self.shows: ShowRepository = _Shows(tx)
        self.inventory: Inventory = _Inventory(tx)

    async def publish(self, event: msgspec.Struct) -> None:
        self.tx.outbox.append(event)

    def touched(self, event_id: str, show_ids: Iterable[str] = ()) -> None:
        self.tx.touched.append((event_id, tuple(show_ids)))

    async def commit(self) -> None:
        self.tx.commit()


class InMemoryCatalog:
    """A UnitOfWorkFactory: each unit of work sees one organization's events and shows (a buyer's,
    with no organization, the published ones), nobody sees its changes before it commits, and they
    are dropped unless it does. `state` is what is committed; `lock_waiters` counts the units of
    work waiting for a row another one locked."""

    def __init__(self) -> None:
        self.state = _State()
        self._locks = _RowLocks()

    @property
    def lock_waiters(self) -> int:
        return self._locks.waiting

    @asynccontextmanager
    async def __call__(self, org_id: str | None) -> AsyncIterator[CatalogUnitOfWork]:
        tx = _Transaction(self.state, self._locks, org_id)
        try:
            yield _UnitOfWork(tx)
        finally:
            tx.end()


class FakeVenues:
    """A VenueDirectory of venues and layouts put there by the test: `add_layout` adds a published
    version, `drafts` names the layouts with an open draft (their next version, never published),
    `archive` archives a published version (shows that pinned it keep it; no new show pins it)."""

    def __init__(self) -> None:
        self.venues: dict[tuple[str, str], VenueSnapshot] = {}
        self.layouts: dict[tuple[str, str], list[LayoutSnapshot]] = {}  # (org, layout id) → published versions
        self.drafts: set[tuple[str, str]] = set()  # (org, layout id)
        self.archived: set[tuple[str, str, int]] = set()  # (org, layout id, version)

    def add_venue(self, org_id: str, venue: VenueSnapshot) -> None:
        self.venues[(org_id, venue.venue_id)] = venue

    def add_layout(self, org_id: str, layout: LayoutSnapshot) -> None:
        self.layouts.setdefault((org_id, layout.pin.layout_id), []).append(layout)

    def archive(self, org_id: str, layout_id: str, version: int) -> None:
        self.archived.add((org_id, layout_id, version))

    async def venue(self, org_id: str, venue_id: str) -> VenueSnapshot:
        try:
            return self.venues[(org_id, venue_id)]
        except KeyError:
            raise VenueUnavailable(FieldError("/venue_id", "is not a venue of this organization")) from None

    async def published_layout(self, org_id: str, layout_id: str, version: int | None) -> LayoutSnapshot:
        versions = self.layouts.get((org_id, layout_id), [])
        has_draft = (org_id, layout_id) in self.drafts
        if not versions and not has_draft:
            raise LayoutUnavailable(FieldError("/layout_id", "is not a layout of this organization"))
        published = [v for v in versions if (org_id, layout_id, v.pin.version) not in self.archived]
        if version is None:
            if not published:
                raise LayoutUnavailable(FieldError("/layout_id", "the layout has no published version"))
            return max(published, key=lambda v: v.pin.version)
        found = next((v for v in published if v.pin.version == version), None)
        if found is not None:
            return found
        draft_version = max((v.pin.version for v in versions), default=0) + 1 if has_draft else None
        if version == draft_version or any(v.pin.version == version for v in versions):
            raise LayoutUnavailable(FieldError("/layout_version", f"version {version} is not published"))
        if published:
            raise LayoutUnavailable(FieldError("/layout_version", f"the layout has no version {version}"))
        raise LayoutUnavailable(FieldError("/layout_id", "is not a layout of this organization"))

    async def pinned_layout(self, org_id: str, pin: LayoutPin) -> LayoutSnapshot:
        found = next((v for v in self.layouts.get((org_id, pin.layout_id), []) if v.pin == pin), None)
        if found is None:
            raise LayoutUnavailable(FieldError("/layout_id", "the pinned layout version is gone"))
        return found
