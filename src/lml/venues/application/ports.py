"""What venues' use cases need from the outside world, as Protocols.

Two stores: PostgreSQL keeps venues and each layout version's lifecycle (status, hash, sizes),
scoped to one organization by row-level security; MongoDB keeps the seat maps themselves, drafts
replaceable, published versions insert-only.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

import msgspec

from lml.platform.clock import Clock
from lml.venues.domain.layout import LayoutContent
from lml.venues.domain.layout_version import LayoutVersion
from lml.venues.domain.venue import Venue


class VenueRepository(Protocol):
    async def add(self, venue: Venue) -> None:
        """Raises `VenueNameTaken` when the organization has a venue of that name (any letter case)."""

    async def get(self, venue_id: str) -> Venue | None: ...

    async def by_name(self, name: str) -> Venue | None: ...

    async def list(self) -> list[Venue]: ...

    async def save_capacity(self, venue: Venue) -> None: ...


class LayoutRepository(Protocol):
    async def add(self, first: LayoutVersion) -> None:
        """A new layout of `first.venue_id`, with its first version."""

    async def versions(self, layout_id: str, *, venue_id: str | None = None, lock: bool = False) -> list[LayoutVersion]:
        """Every version of the layout, oldest first; empty when there is no such layout (in that venue).
        `lock` holds the layout until the unit of work ends, so that its writers queue up; one that
        waits too long gets `LayoutBusy`."""

    async def of_venue(self, venue_id: str) -> list[LayoutVersion]:
        """Every version of every layout of the venue, by layout then version."""

    async def add_version(self, version: LayoutVersion) -> None:
        """Raises `DraftAlreadyOpen` when the layout has a draft already."""

    async def save_version(self, version: LayoutVersion) -> None: ...


class VenuesUnitOfWork(Protocol):
    """One transaction acting as one organization; leaving it without `commit()` undoes everything."""

    @property
    def venues(self) -> VenueRepository: ...

    @property
    def layouts(self) -> LayoutRepository: ...

    async def publish(self, event: msgspec.Struct) -> None:
        """Record an integration event, delivered after (and only if) the transaction commits."""

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, org_id: str) -> AbstractAsyncContextManager[VenuesUnitOfWork]: ...


class StoredLayout(msgspec.Struct, frozen=True, kw_only=True):
    """A seat map as stored, with the hash written next to it (a draft's checksum, a version's content hash).
    Nobody has checked yet that the two still agree."""

    org_id: str
    venue_id: str
    content: LayoutContent
    hash: str


class LayoutDocuments(Protocol):
    async def save_draft(self, org_id: str, venue_id: str, content: LayoutContent, checksum: str) -> None:
        """Store the layout's draft, replacing the one before (a layout has at most one)."""

    async def draft(self, org_id: str, layout_id: str) -> StoredLayout | None:
        """Raises `LayoutIntegrityError` when the stored document no longer reads as a layout."""

    async def discard_draft(self, org_id: str, layout_id: str, version: int) -> None: ...

    async def insert_published(
        self, org_id: str, venue_id: str, content: LayoutContent, content_hash: str
    ) -> str | None:
        """Insert-only: None once stored; when that version is stored already, the hash it was stored with."""

    async def discard_unpublished(self, layout_id: str, version: int, content_hash: str) -> None:
        """Remove the leftover of a publication that never committed (and only that document)."""

    async def published(self, layout_id: str, version: int, *, org_id: str | None = None) -> StoredLayout | None:
        """Raises `LayoutIntegrityError` when the stored document no longer reads as a layout."""


@dataclass(frozen=True)
class Stores:
    """What every venues use case is given."""

    uow: UnitOfWorkFactory
    documents: LayoutDocuments
    clock: Clock
