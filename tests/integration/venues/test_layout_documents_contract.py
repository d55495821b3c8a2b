"""Venues' layout documents, one contract run against the fake the unit tests use
(`FakeLayoutDocuments`) and against MongoDB (`MongoLayoutDocuments`; here the nx-27017 wire server).

It pins down what editing, publishing and reading layouts rely on: a layout's one draft is
replaced whole and read back by its organization only, and discarded only in the version asked
for; a published version is inserted once and never overwritten (a second insert answers the hash
stored first), read back exactly, by pin or within its organization; the leftover of a publication
that never committed goes only by its hash; a document that no longer reads as a layout is
refused, never served. Each implementation lets a test alter a stored document, as an intruder
would, to check that last point."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from lml.container import Container
from lml.platform.ids import new_id
from lml.venues.application.ports import LayoutDocuments, StoredLayout
from lml.venues.application.testing import FakeLayoutDocuments
from lml.venues.domain.canonical import content_hash
from lml.venues.domain.errors import LayoutIntegrityError
from lml.venues.domain.layout import LayoutContent, LayoutDraft
from lml.venues.domain.layout_rules import build_layout
from lml.venues.infrastructure.mongo_layouts import DRAFTS, VERSIONS
from tests.fixtures.venues import layout_json

ORG, OTHER_ORG, VENUE = new_id(), new_id(), new_id()
# Changes an intruder makes to a stored document: (dotted field, new value); None removes the field.
Alteration = tuple[str, Any]


@dataclass(frozen=True)
class Documents:
    documents: LayoutDocuments
    # Alters the stored draft (version None) or published version of a layout.
    alter: Callable[[str, int | None, Alteration], Awaitable[None]]


def _in_memory() -> Documents:
    fake = FakeLayoutDocuments()

    async def alter(layout_id: str, version: int | None, alteration: Alteration) -> None:
        doc = fake.drafts[layout_id] if version is None else fake.published_docs[(layout_id, version)]
        *parents, name = alteration[0].split(".")
        for parent in parents:
            doc = doc[parent]
        if alteration[1] is None:
            del doc[name]
        else:
            doc[name] = alteration[1]

    return Documents(documents=fake, alter=alter)


def _mongodb(container: Container) -> Documents:
    db = container.resources.mongo.db

    async def alter(layout_id: str, version: int | None, alteration: Alteration) -> None:
        collection, query = (db[DRAFTS], {"_id": layout_id}) if version is None else (
            db[VERSIONS], {"layout_id": layout_id, "version": version})
        field, value = alteration
        update = {"$unset": {field: ""}} if value is None else {"$set": {field: value}}
        assert (await collection.update_one(query, update)).modified_count == 1

    return Documents(documents=container.venues.stores.documents, alter=alter)


@pytest.fixture(params=["memory", "mongodb"])
def store(request: pytest.FixtureRequest) -> Documents:
    if request.param == "memory":
        return _in_memory()
    return _mongodb(request.getfixturevalue("container"))


def content(seats: int = 12, *, layout_id: str | None = None, version: int = 1,
            zones: dict[str, int] | None = None) -> LayoutContent:
    body = layout_json(seats, zones=zones)
    row = body["sections"][0]["rows"][0]["seats"]
    # Values a document store could bend: floats of 17 significant digits, tiny ones, flags, categories.
    row[0].update(x=0.1 + 0.2, y=1 / 3, accessible=True, category="premium")
    row[1].update(x=math.pi / 4, y=1e-7, obstructed_view=True)
    return build_layout(layout_id or new_id(), version, msgspec.convert(body, LayoutDraft))


def stored(layout: LayoutContent, org_id: str = ORG) -> StoredLayout:
    return StoredLayout(org_id=org_id, venue_id=VENUE, content=layout, hash=content_hash(layout))


async def test_a_draft_is_replaced_whole_and_read_back_by_its_organization_only(store: Documents) -> None:
    docs = store.documents
    first = content(4)
    second = content(9, layout_id=first.layout_id, zones={"floor": 50})
    await docs.save_draft(ORG, VENUE, first, content_hash(first))
    await docs.save_draft(ORG, VENUE, second, content_hash(second))
    assert await docs.draft(ORG, first.layout_id) == stored(second)
    assert await docs.draft(OTHER_ORG, first.layout_id) is None
    assert await docs.draft(ORG, new_id()) is None
    assert await docs.published(first.layout_id, 1) is None  # a draft is never a published version


async def test_a_draft_is_discarded_only_by_its_organization_in_the_version_asked_for(store: Documents) -> None:
    docs = store.documents
    draft = content(4, version=2)
    await docs.save_draft(ORG, VENUE, draft, content_hash(draft))
    await docs.discard_draft(ORG, draft.layout_id, 1)
    await docs.discard_draft(OTHER_ORG, draft.layout_id, 2)
    assert await docs.draft(ORG, draft.layout_id) == stored(draft)
    await docs.discard_draft(ORG, draft.layout_id, 2)
    assert await docs.draft(ORG, draft.layout_id) is None
    await docs.discard_draft(ORG, draft.layout_id, 2)  # nothing left: nothing to do


async def test_a_published_version_is_inserted_once_and_read_back_exactly(store: Documents) -> None:
    docs = store.documents
    first = content(12)
    digest = content_hash(first)
    assert await docs.insert_published(ORG, VENUE, first, digest) is None
    assert await docs.insert_published(ORG, VENUE, first, digest) == digest
    other = content(5, layout_id=first.layout_id)
    assert await docs.insert_published(OTHER_ORG, VENUE, other, content_hash(other)) == digest
    assert await docs.published(first.layout_id, 1) == stored(first)
    assert await docs.published(first.layout_id, 1, org_id=ORG) == stored(first)
    assert await docs.published(first.layout_id, 1, org_id=OTHER_ORG) is None
    assert await docs.published(first.layout_id, 2) is None
    assert await docs.published(new_id(), 1) is None
    assert await docs.draft(ORG, first.layout_id) is None


async def test_a_leftover_publication_is_discarded_only_by_its_hash(store: Documents) -> None:
    docs = store.documents
    leftover = content(4)
    await docs.insert_published(ORG, VENUE, leftover, content_hash(leftover))
    await docs.discard_unpublished(leftover.layout_id, 1, "0" * 64)
    await docs.discard_unpublished(leftover.layout_id, 2, content_hash(leftover))
    assert await docs.published(leftover.layout_id, 1) == stored(leftover)
    await docs.discard_unpublished(leftover.layout_id, 1, content_hash(leftover))
    assert await docs.published(leftover.layout_id, 1) is None
    replacement = content(6, layout_id=leftover.layout_id)
    assert await docs.insert_published(ORG, VENUE, replacement, content_hash(replacement)) is None
    assert await docs.published(leftover.layout_id, 1) == stored(replacement)


@pytest.mark.parametrize("alteration", [("content.layout_type", 42), ("content.sections", "gone"),
                                        ("content", None)], ids=["wrong-type", "wrong-shape", "no-content"])
async def test_a_document_that_no_longer_reads_as_a_layout_is_refused(
    store: Documents, alteration: Alteration
) -> None:
    docs = store.documents
    layout = content(4)
    await docs.save_draft(ORG, VENUE, layout, content_hash(layout))
    await docs.insert_published(ORG, VENUE, layout, content_hash(layout))
    await store.alter(layout.layout_id, None, alteration)
    await store.alter(layout.layout_id, 1, alteration)
    with pytest.raises(LayoutIntegrityError):
        await docs.draft(ORG, layout.layout_id)
    for org_id in (ORG, None):
        with pytest.raises(LayoutIntegrityError):
            await docs.published(layout.layout_id, 1, org_id=org_id)
