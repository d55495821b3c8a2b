"""Venues' use cases on in-memory fakes: the lifecycle, immutability, version pinning, integrity checks."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from lml.venues.application.edit_layouts import create_layout, patch_draft, replace_draft, start_version
from lml.venues.application.manage_venues import create_venue, get_venue, list_venues
from lml.venues.application.ports import Stores
from lml.venues.application.publish_layout import archive_version, publish_layout
from lml.venues.application.read_layouts import (
    export_layout,
    get_layout,
    list_layouts,
    pinned_layout,
    published_layout,
)
from lml.venues.application.testing import FakeDatabase, FakeLayoutDocuments, fake_stores
from lml.venues.domain.canonical import canonical_json, content_hash
from lml.venues.domain.errors import (
    DraftAlreadyOpen,
    InvalidLayout,
    InvalidVenue,
    LayoutImmutable,
    LayoutIntegrityError,
    LayoutNotFound,
    LayoutNotPublished,
    VenueNameTaken,
    VenueNotFound,
)
from lml.venues.domain.layout import LayoutDraft, LayoutPatch
from lml.venues.domain.venue import VenueDraft
from lml.venues.events import LayoutArchived, LayoutPublished, VenueCreated
from tests.fixtures.venues import layout_json
from tests.timing import TestClock

ORG = "0190a0b0-0000-7000-8000-0000000000aa"
OTHER_ORG = "0190a0b0-0000-7000-8000-0000000000bb"


def draft(seats: int = 20, **kwargs: Any) -> LayoutDraft:
    return msgspec.convert(layout_json(seats, **kwargs), LayoutDraft)


class World:
    def __init__(self) -> None:
        self.stores, self.db, self.documents = fake_stores(TestClock(start=datetime(2030, 1, 1, 12, tzinfo=UTC)))

    async def venue(self, org_id: str = ORG, name: str = "Lyric") -> str:
        draft = VenueDraft(name=name, city="London", timezone="Europe/London")
        return (await create_venue(self.stores, org_id=org_id, draft=draft)).venue_id


@pytest.fixture
def world() -> World:
    return World()


async def publish(stores: Stores, venue_id: str, layout: LayoutDraft | None = None) -> tuple[str, str]:
    created = await create_layout(stores, org_id=ORG, venue_id=venue_id, draft=layout or draft())
    published = await publish_layout(stores, org_id=ORG, venue_id=venue_id, layout_id=created.record.layout_id)
    return created.record.layout_id, published.hash or ""


# --- Venues


async def test_a_venue_is_created_listed_and_announced(world: World) -> None:
    venue_id = await world.venue()
    assert (await get_venue(world.stores, org_id=ORG, venue_id=venue_id)).timezone == "Europe/London"
    assert [v.venue_id for v in await list_venues(world.stores, org_id=ORG)] == [venue_id]
    assert isinstance(world.db.state.events[-1], VenueCreated)


async def test_a_venue_with_bad_fields_lists_them_all(world: World) -> None:
    with pytest.raises(InvalidVenue) as caught:
        await create_venue(world.stores, org_id=ORG,
                           draft=VenueDraft(name=" ", city="", timezone="Mars/Olympus", country="GBR"))
    assert {e.path for e in caught.value.errors} == {"/name", "/city", "/timezone", "/country"}


async def test_venue_names_are_unique_per_organization_only(world: World) -> None:
    await world.venue(name="Lyric")
    with pytest.raises(VenueNameTaken):
        await world.venue(name="LYRIC")
    await world.venue(org_id=OTHER_ORG, name="Lyric")


async def test_another_organizations_venue_is_not_found(world: World) -> None:
    venue_id = await world.venue()
    with pytest.raises(VenueNotFound):
        await get_venue(world.stores, org_id=OTHER_ORG, venue_id=venue_id)
    with pytest.raises(VenueNotFound):
        await create_layout(world.stores, org_id=OTHER_ORG, venue_id=venue_id, draft=draft())


# --- Drafts and publication


async def test_a_new_layout_is_a_draft_with_seat_ids(world: World) -> None:
    view = await create_layout(world.stores, org_id=ORG, venue_id=await world.venue(), draft=draft(12))
    assert (view.record.status, view.record.version, view.record.hash) == ("draft", 1, None)
    assert view.content.seat_count == 12 and all(len(s.seat_id) == 16 for _, _, s in view.content.seats())


async def test_a_rejected_layout_stores_nothing(world: World) -> None:
    venue_id = await world.venue()
    bad = layout_json(3)
    bad["sections"][0]["rows"][0]["seats"][0]["x"] = 7
    with pytest.raises(InvalidLayout):
        await create_layout(world.stores, org_id=ORG, venue_id=venue_id, draft=msgspec.convert(bad, LayoutDraft))
    assert world.documents.drafts == {} and world.db.state.versions == {}


async def test_publishing_hashes_the_canonical_content_and_drops_the_draft(world: World) -> None:
    venue_id = await world.venue()
    layout_id, digest = await publish(world.stores, venue_id, draft(30, zones={"floor": 200}))
    view = await get_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    assert view.record.status == "published" and view.record.hash == digest == content_hash(view.content)
    assert world.documents.drafts == {}
    event = world.db.state.events[-1]
    assert isinstance(event, LayoutPublished) and (event.hash, event.seat_count, event.zone_capacity) == (
        digest, 30, 200)
    venue = await get_venue(world.stores, org_id=ORG, venue_id=venue_id)
    assert (venue.seat_capacity, venue.standing_capacity) == (30, 200)


async def test_a_published_layout_refuses_changes_and_stays_the_same(world: World) -> None:
    venue_id = await world.venue()
    layout_id, digest = await publish(world.stores, venue_id)
    stored_before = copy.deepcopy(world.documents.published_docs)
    with pytest.raises(LayoutImmutable):
        await replace_draft(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id, draft=draft(3))
    with pytest.raises(LayoutImmutable):
        await patch_draft(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id,
                          patch=LayoutPatch(name="Renamed"))
    with pytest.raises(LayoutImmutable):
        await replace_draft(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id, draft=draft(3),
                            version=1)
    assert world.documents.published_docs == stored_before
    assert (await get_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)).record.hash == digest


async def test_a_draft_is_replaced_and_patched_until_published(world: World) -> None:
    venue_id = await world.venue()
    layout_id = (await create_layout(world.stores, org_id=ORG, venue_id=venue_id, draft=draft(5))).record.layout_id
    replaced = await replace_draft(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id, draft=draft(8))
    patched = await patch_draft(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id,
                                patch=LayoutPatch(name="Renamed"))
    assert (replaced.content.seat_count, patched.content.seat_count, patched.content.name) == (8, 8, "Renamed")
    assert [s.seat_id for _, _, s in patched.content.seats()] == [s.seat_id for _, _, s in replaced.content.seats()]


async def test_publishing_again_without_a_draft_answers_the_same_version(world: World) -> None:
    venue_id = await world.venue()
    layout_id, digest = await publish(world.stores, venue_id)
    again = await publish_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    assert (again.version, again.hash) == (1, digest)


# --- Versions


async def test_a_new_version_copies_the_published_one_and_keeps_its_seat_ids(world: World) -> None:
    venue_id = await world.venue()
    layout_id, first_hash = await publish(world.stores, venue_id)
    first = await get_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id, version=1)
    second = await start_version(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    assert (second.record.version, second.record.status) == (2, "draft")
    assert [s.seat_id for _, _, s in second.content.seats()] == [s.seat_id for _, _, s in first.content.seats()]
    with pytest.raises(DraftAlreadyOpen):
        await start_version(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    bigger = await replace_draft(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id, draft=draft(25))
    kept = {s.seat_id for _, _, s in first.content.seats()}
    assert kept < {s.seat_id for _, _, s in bigger.content.seats()}
    published = await publish_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    assert published.version == 2 and published.hash != first_hash
    pinned_v1 = await published_layout(world.stores, org_id=ORG, layout_id=layout_id, version=1)
    assert pinned_v1.record.hash == first_hash and pinned_v1.content == first.content
    latest = await published_layout(world.stores, org_id=ORG, layout_id=layout_id)
    assert latest.record.version == 2


async def test_a_draft_version_cannot_be_pinned(world: World) -> None:
    venue_id = await world.venue()
    view = await create_layout(world.stores, org_id=ORG, venue_id=venue_id, draft=draft())
    layout_id = view.record.layout_id
    with pytest.raises(LayoutNotPublished):
        await published_layout(world.stores, org_id=ORG, layout_id=layout_id)
    with pytest.raises(LayoutNotPublished):
        await published_layout(world.stores, org_id=ORG, layout_id=layout_id, version=1)
    with pytest.raises(LayoutNotPublished):
        await export_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    with pytest.raises(LayoutNotFound):
        await published_layout(world.stores, org_id=ORG, layout_id=layout_id, version=9)
    with pytest.raises(LayoutNotFound):
        await published_layout(world.stores, org_id=OTHER_ORG, layout_id=layout_id)


async def test_an_archived_version_is_not_pinned_again_but_pins_keep_working(world: World) -> None:
    venue_id = await world.venue()
    layout_id, digest = await publish(world.stores, venue_id)
    archived = await archive_version(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id, version=1)
    assert archived.status == "archived" and isinstance(world.db.state.events[-1], LayoutArchived)
    with pytest.raises(LayoutNotPublished):
        await published_layout(world.stores, org_id=ORG, layout_id=layout_id, version=1)
    with pytest.raises(LayoutNotPublished):
        await published_layout(world.stores, org_id=ORG, layout_id=layout_id)
    pinned = await pinned_layout(world.documents, layout_id=layout_id, version=1, content_hash=digest)
    assert content_hash(pinned.content) == digest
    with pytest.raises(LayoutNotPublished):
        await publish_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)


async def test_the_export_is_the_canonical_json_that_hashes_to_the_pin(world: World) -> None:
    venue_id = await world.venue()
    layout_id, digest = await publish(world.stores, venue_id)
    export = await export_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    pinned = await pinned_layout(world.documents, layout_id=layout_id, version=1, content_hash=digest)
    assert export.body == pinned.body == canonical_json(pinned.content)
    with pytest.raises(LayoutIntegrityError):
        await pinned_layout(world.documents, layout_id=layout_id, version=1, content_hash="0" * 64)
    with pytest.raises(LayoutNotFound):
        await pinned_layout(world.documents, layout_id=layout_id, version=2, content_hash=digest)


async def test_a_venue_lists_its_layouts_with_every_version(world: World) -> None:
    venue_id = await world.venue()
    layout_id, _ = await publish(world.stores, venue_id)
    await start_version(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    [history] = await list_layouts(world.stores, org_id=ORG, venue_id=venue_id)
    assert [(v.version, v.status) for v in history.versions] == [(1, "published"), (2, "draft")]


# --- Documents altered behind our back


async def test_a_draft_altered_behind_our_back_is_refused_at_publish(world: World) -> None:
    venue_id = await world.venue()
    layout_id = (await create_layout(world.stores, org_id=ORG, venue_id=venue_id, draft=draft())).record.layout_id
    world.documents.drafts[layout_id]["content"]["sections"][0]["rows"][0]["seats"][0]["x"] = 0.99
    with pytest.raises(LayoutIntegrityError):
        await publish_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    assert world.documents.published_docs == {}


async def test_a_published_version_altered_behind_our_back_is_not_served(world: World) -> None:
    venue_id = await world.venue()
    layout_id, digest = await publish(world.stores, venue_id)
    world.documents.published_docs[(layout_id, 1)]["content"]["name"] = "Tampered"
    for read in (
        published_layout(world.stores, org_id=ORG, layout_id=layout_id),
        export_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id),
        get_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id),
        pinned_layout(world.documents, layout_id=layout_id, version=1, content_hash=digest),
        publish_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id),
        start_version(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id),
    ):
        with pytest.raises(LayoutIntegrityError):
            await read


async def test_a_document_that_no_longer_reads_as_a_layout_is_not_served(world: World) -> None:
    venue_id = await world.venue()
    layout_id, digest = await publish(world.stores, venue_id)
    world.documents.published_docs[(layout_id, 1)]["content"]["sections"] = "gone"
    with pytest.raises(LayoutIntegrityError):
        await pinned_layout(world.documents, layout_id=layout_id, version=1, content_hash=digest)


async def test_the_leftover_of_a_publication_that_never_committed_is_replaced(world: World) -> None:
    venue_id = await world.venue()
    layout_id = (await create_layout(world.stores, org_id=ORG, venue_id=venue_id, draft=draft())).record.layout_id
    stale = (await create_layout(world.stores, org_id=ORG, venue_id=venue_id, draft=draft(3))).content
    orphan = msgspec.structs.replace(stale, layout_id=layout_id)
    await world.documents.insert_published(ORG, venue_id, orphan, content_hash(orphan))
    published = await publish_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    pinned = await pinned_layout(world.documents, layout_id=layout_id, version=1, content_hash=published.hash or "")
    assert pinned.content.seat_count == 20


async def test_a_draft_left_behind_after_publishing_does_not_fail_the_publication(world: World) -> None:
    venue_id = await world.venue()
    layout_id = (await create_layout(world.stores, org_id=ORG, venue_id=venue_id, draft=draft())).record.layout_id
    world.documents.fail_discarding = True
    published = await publish_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    assert published.status == "published"
    view = await get_layout(world.stores, org_id=ORG, venue_id=venue_id, layout_id=layout_id)
    assert view.record.status == "published"


# --- The fakes behave like the stores they stand for


async def test_the_fake_database_keeps_only_committed_changes() -> None:
    database = FakeDatabase()
    async with database(ORG) as uow:
        await uow.publish(VenueCreated(org_id=ORG, venue_id="v", name="n", city="c", country=None, timezone="UTC"))
    assert database.state.events == []


async def test_the_fake_documents_are_insert_only_for_published_versions(world: World) -> None:
    documents = FakeLayoutDocuments()
    content = (await create_layout(world.stores, org_id=ORG, venue_id=await world.venue(), draft=draft())).content
    assert await documents.insert_published(ORG, "v", content, "a" * 64) is None
    assert await documents.insert_published(ORG, "v", content, "b" * 64) == "a" * 64
    assert await documents.published(content.layout_id, 1, org_id=OTHER_ORG) is None
