"""What the catalog's use cases need from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import msgspec

from lml.catalog.domain.event import Event, EventRevision
from lml.catalog.domain.show import InventoryPlan, Show
from lml.catalog.domain.venue import LayoutPin, LayoutSnapshot, VenueSnapshot
from lml.platform.clock import Clock
from lml.platform.domain.errors import FieldError, InvalidInput


class EventRepository(Protocol):
    async def add(self, event: Event) -> None: ...

    async def get(self, event_id: str, *, for_update: bool = False) -> Event | None:
        """None when there is no such event or it belongs to another organization."""

    async def save(self, event: Event) -> None: ...

    async def add_revision(self, revision: EventRevision) -> None: ...

    async def revisions(self, event_id: str) -> list[EventRevision]:
        """Oldest first."""

    async def of_organization(self, *, status: str | None, after: str | None, limit: int) -> list[Event]:
        """The organization's events, newest first, after the event id `after`."""


class ShowRepository(Protocol):
    async def add(self, show: Show) -> None: ...

    async def get(self, show_id: str, *, for_update: bool = False) -> Show | None: ...

    async def save(self, show: Show) -> None: ...

    async def of_event(self, event_id: str) -> list[Show]:
        """In order of start."""


class InventorySummary(msgspec.Struct, frozen=True, kw_only=True):
    created: bool
    seats: int
    zones: int


class InventoryTally(msgspec.Struct, frozen=True, kw_only=True):
    """A show's inventory as the catalog cares for it: seats per status, GA places left."""

    seats: dict[str, int]
    zones: int
    zone_capacity: int
    zone_remaining: int

    @property
    def seat_total(self) -> int:
        return sum(self.seats.values())

    @property
    def sold_out(self) -> bool:
        return self.seats.get("available", 0) == 0 and self.zone_remaining <= 0


class Inventory(Protocol):
    """A show's seat inventory (owned by seating), in the catalog's transaction."""

    async def materialize(self, show: Show, plan: InventoryPlan) -> InventorySummary:
        """The inventory of a show going on sale, with the terms it sells on (its window, limits,
        hold time, currency, tiers and pinned layout): seating keeps its own copy of them."""

    async def set_blocked(self, show_id: str, seat_ids: Sequence[str], blocked: bool) -> list[str]:
        """The seats that changed; raises (naming the seats) when any cannot."""

    async def tally(self, show_id: str) -> InventoryTally | None:
        """None when the show has no inventory yet."""

    async def close_sale(self, show_id: str) -> None:
        """The show is cancelled: seating sells none of it any more (nothing when it never went on sale)."""


class LayoutUnavailable(InvalidInput):
    """The layout a show names cannot be pinned (unknown, not published, no such version)."""

    def __init__(self, error: FieldError) -> None:
        super().__init__([error], detail=f"{error.path}: {error.message}")


class VenueUnavailable(InvalidInput):
    """The venue an event names is unknown (to this organization)."""

    def __init__(self, error: FieldError) -> None:
        super().__init__([error], detail=f"{error.path}: {error.message}")


class VenueDirectory(Protocol):
    """Venues and their published layouts (owned by the venues context)."""

    async def venue(self, org_id: str, venue_id: str) -> VenueSnapshot:
        """Raises VenueUnavailable naming `/venue_id`."""

    async def published_layout(self, org_id: str, layout_id: str, version: int | None) -> LayoutSnapshot:
        """A version a new show may pin: `version` None is the latest published one. Raises
        LayoutUnavailable naming the field at fault."""

    async def pinned_layout(self, org_id: str, pin: LayoutPin) -> LayoutSnapshot:
        """The version a show pinned, whatever became of the layout since (archived or not), checked
        against its hash. Raises LayoutUnavailable when it is gone."""


class CatalogUnitOfWork(Protocol):
    """One transaction acting as one organization (or as none, for public reads)."""

    events: EventRepository
    shows: ShowRepository
    inventory: Inventory

    async def publish(self, event: msgspec.Struct) -> None:
        """Record an integration event, delivered once this unit of work commits."""

    def touched(self, event_id: str, show_ids: Iterable[str] = ()) -> None:
        """Buyer-visible data of this event and these shows changed: the public listing's rows of the event
        are rebuilt before commit, and public caches drop it after."""

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, org_id: str | None) -> AbstractAsyncContextManager[CatalogUnitOfWork]: ...


class CatalogPorts(msgspec.Struct, frozen=True):
    """Everything a catalog use case may reach, handed in by the composition root."""

    uow: UnitOfWorkFactory
    venues: VenueDirectory
    clock: Clock
