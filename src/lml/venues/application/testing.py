"""In-memory fakes of venues' ports, for use-case tests: one organization per transaction, changes kept
only on commit, documents stored as plain dicts (as a document store would hold them)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec

from lml.platform.clock import Clock
from lml.venues.application.ports import StoredLayout, Stores
from lml.venues.domain.errors import DraftAlreadyOpen, LayoutIntegrityError, VenueNameTaken
from lml.venues.domain.layout import LayoutContent
from lml.venues.domain.layout_version import LayoutVersion
from lml.venues.domain.venue import Venue


class _State(msgspec.Struct):
    venues: dict[str, Venue] = msgspec.field(default_factory=dict)
    layouts: dict[str, tuple[str, str]] = msgspec.field(default_factory=dict)  # layout_id → (org, venue)
    versions: dict[tuple[str, int], LayoutVersion] = msgspec.field(default_factory=dict)
    events: list[msgspec.Struct] = msgspec.field(default_factory=list)


class FakeVenueRepository:
    def __init__(self, state: _State, org_id: str) -> None:
        self._state = state
        self._org = org_id

    async def add(self, venue: Venue) -> None:
        if any(v.name.lower() == venue.name.lower() for v in await self.list()):
            raise VenueNameTaken()
        self._state.venues[venue.venue_id] = venue

    async def get(self, venue_id: str) -> Venue | None:
        venue = self._state.venues.get(venue_id)
        return venue if venue is not None and venue.org_id == self._org else None

    async def by_name(self, name: str) -> Venue | None:
        return next((v for v in await self.list() if v.name.lower() == name.lower()), None)

    async def list(self) -> list[Venue]:
        return [v for v in self._state.venues.values() if v.org_id == self._org]

    async def save_capacity(self, venue: Venue) -> None:
        self._state.venues[venue.venue_id] = venue


class FakeLayoutRepository:
    def __init__(self, state: _State, org_id: str) -> None:
        self._state = state
        self._org = org_id

    async def add(self, first: LayoutVersion) -> None:
        self._state.layouts[first.layout_id] = (self._org, first.venue_id)
        self._state.versions[(first.layout_id, first.version)] = first

    async def versions(self, layout_id: str, *, venue_id: str | None = None, lock: bool = False) -> list[LayoutVersion]:
        owner = self._state.layouts.get(layout_id)
        if owner is None or owner[0] != self._org or (venue_id is not None and owner[1] != venue_id):
            return []
        return sorted((v for (lid, _), v in self._state.versions.items() if lid == layout_id), key=lambda v: v.version)

    async def of_venue(self, venue_id: str) -> list[LayoutVersion]:
        return [
            v
            for layout_id, (org, venue) in self._state.layouts.items()
            if org == self._org and venue == venue_id
            for v in await self.versions(layout_id)
        ]

    async def add_version(self, version: LayoutVersion) -> None:
        if any(v.status == "draft" for v in await self.versions(version.layout_id)):
            raise DraftAlreadyOpen()
        self._state.versions[(version.layout_id, version.version)] = version

    async def save_version(self, version: LayoutVersion) -> None:
        self._state.versions[(version.layout_id, version.version)] = version


class FakeUnitOfWork:
    def __init__(self, state: _State, org_id: str) -> None:
        self.venues = FakeVenueRepository(state, org_id)
        self.layouts = FakeLayoutRepository(state, org_id)
        self.state = state
        self.committed = False

    async def publish(self, event: msgspec.Struct) -> None:
        self.state.events.append(event)

    async def commit(self) -> None:
        self.committed = True


class FakeDatabase:
    """The unit-of-work factory: each transaction works on a copy, kept only when committed."""

    def __init__(self) -> None:
        self.state = _State()
        self.transactions = 0

    @asynccontextmanager
    async def __call__(self, org_id: str) -> AsyncIterator[FakeUnitOfWork]:
        self.transactions += 1
        uow = FakeUnitOfWork(copy.deepcopy(self.state), org_id)
        yield uow
        if uow.committed:
            self.state = uow.state


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
        except msgspec.ValidationError:
            raise LayoutIntegrityError("The stored document no longer reads as a layout") from None
        return StoredLayout(org_id=doc["org_id"], venue_id=doc["venue_id"], content=content, hash=doc[hash_field])

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
