"""In-memory fakes of venues' ports, for use-case tests: one organization per transaction, changes seen
by others and kept only once committed, writers of one layout queued, documents stored as plain dicts
(as a document store would hold them). They behave as the real stores do
(tests/integration/venues/test_*_contract.py run the same tests against both)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from lml.platform.clock import Clock
from lml.venues.application.ports import StoredLayout, Stores
from lml.venues.domain.errors import DraftAlreadyOpen, LayoutIntegrityError, VenueNameTaken
from lml.venues.domain.layout import LayoutContent
from lml.venues.domain.layout_version import LayoutVersion
from lml.venues.domain.venue import Venue


class _Layout(NamedTuple):
    org_id: str
    venue_id: str
    created_at: datetime


class _State(msgspec.Struct):
    """Rows: what is committed (`FakeDatabase.state`), or what one transaction wrote and has not committed."""

    venues: dict[str, Venue] = msgspec.field(default_factory=dict)
    layouts: dict[str, _Layout] = msgspec.field(default_factory=dict)
    versions: dict[tuple[str, int], LayoutVersion] = msgspec.field(default_factory=dict)
    events: list[msgspec.Struct] = msgspec.field(default_factory=list)


class _Transaction:
    """What one transaction sees: its own writes over the last committed rows (read committed)."""

    def __init__(self, database: FakeDatabase, org_id: str) -> None:
        self.database = database
        self.org_id = org_id
        self.written = _State()

    def venues(self) -> dict[str, Venue]:
        return {**self.database.state.venues, **self.written.venues}

    def layout(self, layout_id: str) -> _Layout | None:
        """The layout, when it is this organization's."""
        layout = self.written.layouts.get(layout_id) or self.database.state.layouts.get(layout_id)
        return layout if layout is not None and layout.org_id == self.org_id else None

    def layouts(self) -> dict[str, _Layout]:
        return {**self.database.state.layouts, **self.written.layouts}

    def versions(self) -> dict[tuple[str, int], LayoutVersion]:
        return {**self.database.state.versions, **self.written.versions}

    async def commit(self) -> None:
        committed = self.database.state
        committed.venues.update(self.written.venues)
        committed.layouts.update(self.written.layouts)
        committed.versions.update(self.written.versions)
        committed.events.extend(self.written.events)
        self.written = _State()
        await self.database.unlock(self)  # COMMIT releases the locks


class FakeVenueRepository:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def add(self, venue: Venue) -> None:
        if await self.by_name(venue.name) is not None:
            raise VenueNameTaken()
        self._tx.written.venues[venue.venue_id] = venue

    async def get(self, venue_id: str) -> Venue | None:
        venue = self._tx.venues().get(venue_id)
        return venue if venue is not None and venue.org_id == self._tx.org_id else None

    async def by_name(self, name: str) -> Venue | None:
        return next((v for v in await self.list() if v.name.lower() == name.lower()), None)

    async def list(self) -> list[Venue]:
        mine = (v for v in self._tx.venues().values() if v.org_id == self._tx.org_id)
        return sorted(mine, key=lambda v: (v.created_at, v.venue_id))

    async def save_capacity(self, venue: Venue) -> None:
        stored = await self.get(venue.venue_id)
        if stored is not None:
            self._tx.written.venues[venue.venue_id] = msgspec.structs.replace(
                stored, seat_capacity=venue.seat_capacity, standing_capacity=venue.standing_capacity)


class FakeLayoutRepository:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx

    async def add(self, first: LayoutVersion) -> None:
        self._tx.written.layouts[first.layout_id] = _Layout(self._tx.org_id, first.venue_id, first.created_at)
        await self.add_version(first)

    async def versions(self, layout_id: str, *, venue_id: str | None = None, lock: bool = False) -> list[LayoutVersion]:
        if self._tx.layout(layout_id) is None:
            return []
        if lock:
            await self._tx.database.lock(layout_id, self._tx)
        layout = self._tx.layout(layout_id)
        if layout is None or (venue_id is not None and layout.venue_id != venue_id):
            return []
        return sorted((v for (lid, _), v in self._tx.versions().items() if lid == layout_id), key=lambda v: v.version)

    async def of_venue(self, venue_id: str) -> list[LayoutVersion]:
        layouts = sorted((layout.created_at, layout_id) for layout_id, layout in self._tx.layouts().items()
                         if layout.org_id == self._tx.org_id and layout.venue_id == venue_id)
        return [version for _, layout_id in layouts for version in await self.versions(layout_id)]

    async def add_version(self, version: LayoutVersion) -> None:
        existing = await self.versions(version.layout_id)
        if any(v.status == "draft" or v.version == version.version for v in existing):
            raise DraftAlreadyOpen()
        self._tx.written.versions[(version.layout_id, version.version)] = version

    async def save_version(self, version: LayoutVersion) -> None:
        key = (version.layout_id, version.version)
        if self._tx.layout(version.layout_id) is not None and key in self._tx.versions():
            self._tx.written.versions[key] = version


class FakeUnitOfWork:
    def __init__(self, tx: _Transaction) -> None:
        self._tx = tx
        self.venues = FakeVenueRepository(tx)
        self.layouts = FakeLayoutRepository(tx)

    async def publish(self, event: msgspec.Struct) -> None:
        self._tx.written.events.append(event)

    async def commit(self) -> None:
        await self._tx.commit()


class FakeDatabase:
    """The unit-of-work factory. `state` is what is committed; `lock_waiters` counts the transactions
    waiting for a layout another one locked."""

    def __init__(self) -> None:
        self.state = _State()
        self.lock_waiters = 0
        self._holders: dict[str, _Transaction] = {}  # layout id → the transaction that locked it
        self._released = asyncio.Condition()

    async def lock(self, layout_id: str, tx: _Transaction) -> None:
        async with self._released:
            self.lock_waiters += 1
            try:
                # Taken as soon as nobody else holds it (`FOR UPDATE` on the layout's row).
                await self._released.wait_for(lambda: self._holders.setdefault(layout_id, tx) is tx)
            finally:
                self.lock_waiters -= 1

    async def unlock(self, tx: _Transaction) -> None:
        async with self._released:
            for layout_id in [k for k, holder in self._holders.items() if holder is tx]:
                del self._holders[layout_id]
            self._released.notify_all()

    @asynccontextmanager
    async def __call__(self, org_id: str) -> AsyncIterator[FakeUnitOfWork]:
        tx = _Transaction(self, org_id)
        try:
            yield FakeUnitOfWork(tx)
        finally:
            await self.unlock(tx)


class FakeLayoutDocuments:
    """Documents as dicts keyed like the real collections; tests may alter them to play an intruder."""

    def __init__(self) -> None:
        self.drafts: dict[str, dict[str, Any]] = {}
        self.published_docs: dict[tuple[str, int], dict[str, Any]] = {}
        self.fail_discarding = False

    @staticmethod
    def _read(doc: dict[str, Any], hash_field: str) -> StoredLayout:
        try:
            content = msgspec.convert(doc["content"], LayoutContent)
            return StoredLayout(org_id=doc["org_id"], venue_id=doc["venue_id"], content=content,
                                hash=str(doc[hash_field]))
        except (KeyError, TypeError, msgspec.ValidationError):
            raise LayoutIntegrityError("The stored document no longer reads as a layout") from None

    async def save_draft(self, org_id: str, venue_id: str, content: LayoutContent, checksum: str) -> None:
        self.drafts[content.layout_id] = {
            "org_id": org_id, "venue_id": venue_id, "version": content.version, "checksum": checksum,
            "content": msgspec.to_builtins(content),
        }

    async def draft(self, org_id: str, layout_id: str) -> StoredLayout | None:
        doc = self.drafts.get(layout_id)
        return self._read(doc, "checksum") if doc is not None and doc["org_id"] == org_id else None

    async def discard_draft(self, org_id: str, layout_id: str, version: int) -> None:
        if self.fail_discarding:
            raise ConnectionError("the document store is unreachable")
        doc = self.drafts.get(layout_id)
        if doc is not None and doc["org_id"] == org_id and doc["version"] == version:
            del self.drafts[layout_id]

    async def insert_published(
        self, org_id: str, venue_id: str, content: LayoutContent, content_hash: str
    ) -> str | None:
        key = (content.layout_id, content.version)
        if key in self.published_docs:
            return str(self.published_docs[key]["hash"])
        self.published_docs[key] = {
            "org_id": org_id, "venue_id": venue_id, "hash": content_hash, "content": msgspec.to_builtins(content),
        }
        return None

    async def discard_unpublished(self, layout_id: str, version: int, content_hash: str) -> None:
        doc = self.published_docs.get((layout_id, version))
        if doc is not None and doc["hash"] == content_hash:
            del self.published_docs[(layout_id, version)]

    async def published(self, layout_id: str, version: int, *, org_id: str | None = None) -> StoredLayout | None:
        doc = self.published_docs.get((layout_id, version))
        if doc is None or (org_id is not None and doc["org_id"] != org_id):
            return None
        return self._read(doc, "hash")


def fake_stores(clock: Clock) -> tuple[Stores, FakeDatabase, FakeLayoutDocuments]:
    database, documents = FakeDatabase(), FakeLayoutDocuments()
    return Stores(uow=database, documents=documents, clock=clock), database, documents
