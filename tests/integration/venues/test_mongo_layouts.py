"""The layout documents adapter against the nx-27017 MongoDB wire server: what we rely on works there."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest

from lml.platform.resources import Resources
from lml.venues.domain.canonical import canonical_json, content_hash
from lml.venues.domain.errors import LayoutIntegrityError
from lml.venues.domain.layout import LayoutContent, LayoutDraft
from lml.venues.domain.layout_rules import build_layout
from lml.venues.infrastructure.mongo_layouts import DRAFTS, VERSIONS, MongoLayoutDocuments, ensure_venues_collections
from tests.fixtures.venues import layout_json

ORG = "0190a0b0-0000-7000-8000-0000000000aa"
OTHER_ORG = "0190a0b0-0000-7000-8000-0000000000bb"
VENUE = "0190a0b0-0000-7000-8000-0000000000cc"


def content(seats: int = 12, *, layout_id: str = "0190a0b0-0000-7000-8000-000000000101", version: int = 1,
            **kwargs: Any) -> LayoutContent:
    return build_layout(layout_id, version, msgspec.convert(layout_json(seats, **kwargs), LayoutDraft))


@pytest.fixture
def documents(resources: Resources) -> MongoLayoutDocuments:
    return MongoLayoutDocuments(resources.mongo)


async def test_collections_indexes_and_validators_are_set_up_idempotently(resources: Resources) -> None:
    await ensure_venues_collections(resources.mongo)
    await ensure_venues_collections(resources.mongo)
    names = set(await resources.mongo.db.list_collection_names())
    assert {DRAFTS, VERSIONS} <= names
    indexes = await resources.mongo.db[VERSIONS].index_information()
    unique_keys = [info["key"] for info in indexes.values() if info.get("unique")]
    assert [("org_id", 1), ("layout_id", 1), ("version", 1)] in [list(map(tuple, k)) for k in unique_keys]


async def test_a_published_version_is_inserted_once_and_never_overwritten(
    documents: MongoLayoutDocuments, resources: Resources
) -> None:
    first = content(12)
    assert await documents.insert_published(ORG, VENUE, first, content_hash(first)) is None
    assert await documents.insert_published(ORG, VENUE, first, content_hash(first)) == content_hash(first)
    other = content(5)
    assert await documents.insert_published(ORG, VENUE, other, content_hash(other)) == content_hash(first)
    stored = await documents.published(first.layout_id, 1, org_id=ORG)
    assert stored is not None and stored.content == first and stored.hash == content_hash(first)
    assert await resources.mongo.db[VERSIONS].count_documents({"layout_id": first.layout_id}) == 1


async def test_the_unique_index_refuses_a_second_document_for_a_version(resources: Resources) -> None:
    from pymongo.errors import DuplicateKeyError

    await ensure_venues_collections(resources.mongo)
    versions = resources.mongo.db[VERSIONS]
    await versions.insert_one({"_id": "a", "org_id": ORG, "layout_id": "L", "version": 1})
    with pytest.raises(DuplicateKeyError):
        await versions.insert_one({"_id": "b", "org_id": ORG, "layout_id": "L", "version": 1})
    await versions.insert_one({"_id": "c", "org_id": OTHER_ORG, "layout_id": "L", "version": 1})


async def test_the_stored_content_gives_back_the_same_canonical_bytes(documents: MongoLayoutDocuments) -> None:
    body = layout_json(3, zones={"floor": 10})
    seats = body["sections"][0]["rows"][0]["seats"]
    seats[0].update(x=0.1 + 0.2, y=1 / 3, accessible=True, category="premium")  # 17 significant digits
    seats[1].update(x=math.pi / 4, y=1e-7, obstructed_view=True)
    seats[2].update(x=1, y=0)
    original = build_layout("0190a0b0-0000-7000-8000-000000000102", 1, msgspec.convert(body, LayoutDraft))
    await documents.insert_published(ORG, VENUE, original, content_hash(original))
    stored = await documents.published(original.layout_id, 1)
    assert stored is not None
    assert canonical_json(stored.content) == canonical_json(original)


async def test_a_draft_is_replaced_whole_and_discarded_by_version(documents: MongoLayoutDocuments) -> None:
    first, second = content(4), content(9)
    await documents.save_draft(ORG, VENUE, first, content_hash(first))
    await documents.save_draft(ORG, VENUE, second, content_hash(second))
    stored = await documents.draft(ORG, first.layout_id)
    assert stored is not None and stored.content == second and stored.hash == content_hash(second)
    await documents.discard_draft(ORG, first.layout_id, version=2)
    assert await documents.draft(ORG, first.layout_id) is not None
    await documents.discard_draft(ORG, first.layout_id, version=1)
    assert await documents.draft(ORG, first.layout_id) is None


async def test_another_organization_finds_nothing(documents: MongoLayoutDocuments) -> None:
    layout = content(4)
    await documents.save_draft(ORG, VENUE, layout, content_hash(layout))
    await documents.insert_published(ORG, VENUE, layout, content_hash(layout))
    assert await documents.draft(OTHER_ORG, layout.layout_id) is None
    assert await documents.published(layout.layout_id, 1, org_id=OTHER_ORG) is None
    assert await documents.published(layout.layout_id, 1) is not None  # by pin: no organization


async def test_an_unpublished_leftover_is_discarded_only_by_its_hash(
    documents: MongoLayoutDocuments, resources: Resources
) -> None:
    layout = content(4)
    await documents.insert_published(ORG, VENUE, layout, content_hash(layout))
    await documents.discard_unpublished(layout.layout_id, 1, "0" * 64)
    assert await documents.published(layout.layout_id, 1) is not None
    await documents.discard_unpublished(layout.layout_id, 1, content_hash(layout))
    assert await documents.published(layout.layout_id, 1) is None


async def test_a_document_that_no_longer_reads_as_a_layout_is_refused(
    documents: MongoLayoutDocuments, resources: Resources
) -> None:
    layout = content(4)
    await documents.insert_published(ORG, VENUE, layout, content_hash(layout))
    await resources.mongo.db[VERSIONS].update_one({"layout_id": layout.layout_id},
                                                  {"$set": {"content.layout_type": 42}})
    with pytest.raises(LayoutIntegrityError):
        await documents.published(layout.layout_id, 1)


async def test_a_large_layout_round_trips(documents: MongoLayoutDocuments) -> None:
    big = content(5_000, sections=5, zones={"floor": 1000})
    await documents.insert_published(ORG, VENUE, big, content_hash(big))
    stored = await documents.published(big.layout_id, 1, org_id=ORG)
    assert stored is not None and content_hash(stored.content) == content_hash(big)
