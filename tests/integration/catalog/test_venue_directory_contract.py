"""The catalog's venue directory, one contract run against the fake the unit tests use (`FakeVenues`)
and against the real one (`FacadeVenueDirectory` over the venues context: PostgreSQL and MongoDB).

It pins down what creating a show, putting it on sale and blocking its seats rely on: a venue and a
layout are known to their organization only; a new show pins the latest published version unless
it names one, and never a draft or an archived version, the field at fault named; a show's pin
reads its version whatever became of the layout since, and only that version (its hash)."""

from __future__ import annotations

import uuid
from typing import Protocol

import msgspec
import pytest

from lml.catalog.application.ports import LayoutUnavailable, VenueDirectory, VenueUnavailable
from lml.catalog.application.testing import FakeVenues
from lml.catalog.domain.venue import LayoutPin, LayoutSeat, LayoutSnapshot, LayoutZone, VenueSnapshot
from lml.container import Container
from lml.platform.ids import new_id
from lml.venues.application.edit_layouts import create_layout, replace_draft, start_version
from lml.venues.application.manage_venues import create_venue
from lml.venues.application.publish_layout import archive_version, publish_layout
from lml.venues.domain.canonical import content_hash
from lml.venues.domain.layout import LayoutContent, LayoutDraft
from lml.venues.domain.layout_rules import build_layout
from lml.venues.domain.venue import VenueDraft
from tests.fixtures.venues import layout_json


def a_draft(seats: int, zones: dict[str, int] | None = None) -> LayoutDraft:
    return msgspec.convert(layout_json(seats, zones=zones), LayoutDraft)


def snapshot_of(content: LayoutContent, venue_id: str, digest: str) -> LayoutSnapshot:
    """What the catalog keeps of a published version: its pin, its seats in map order, its GA zones."""
    return LayoutSnapshot(
        pin=LayoutPin(layout_id=content.layout_id, version=content.version, hash=digest), venue_id=venue_id,
        seats=tuple(LayoutSeat(seat_id=seat.seat_id, section=section.label, row=row.label, number=str(seat.number),
                               x=seat.x, y=seat.y, rank=seat.rank)
                    for section, row, seat in content.seats()),
        zones=tuple(LayoutZone(zone_id=z.zone_id, name=z.name, capacity=z.capacity) for z in content.zones),
        focal_point=(0.5, 0.0) if content.focal_point is None else (content.focal_point.x, content.focal_point.y),
        viewport=(content.viewport.width, content.viewport.height),
    )


class Venues(Protocol):
    """The venues context as a test arranges it, and the directory the catalog reads it through."""

    directory: VenueDirectory

    async def venue(self, org_id: str) -> VenueSnapshot: ...

    async def publish(self, org_id: str, venue_id: str, seats: int, *, layout_id: str | None = None,
                      zones: dict[str, int] | None = None) -> LayoutSnapshot:
        """Version 1 of a new layout, or the next version of `layout_id` (which has no open draft)."""

    async def open_draft(self, org_id: str, venue_id: str, *, layout_id: str | None = None) -> str:
        """A new layout that is only a draft, or a draft of `layout_id`'s next version."""

    async def archive(self, org_id: str, venue_id: str, layout_id: str, version: int) -> None: ...


class InMemoryVenues:
    def __init__(self) -> None:
        self.directory = FakeVenues()
        self._versions: dict[str, int] = {}  # layout id → its highest version, draft included

    async def venue(self, org_id: str) -> VenueSnapshot:
        venue = VenueSnapshot(venue_id=new_id(), name=f"Hall {uuid.uuid4().hex[:8]}", city="Leeds", country="GB",
                              timezone="Europe/London")
        self.directory.add_venue(org_id, venue)
        return venue

    async def publish(self, org_id: str, venue_id: str, seats: int, *, layout_id: str | None = None,
                      zones: dict[str, int] | None = None) -> LayoutSnapshot:
        layout_id = layout_id or new_id()
        self._versions[layout_id] = self._versions.get(layout_id, 0) + 1
        content = build_layout(layout_id, self._versions[layout_id], a_draft(seats, zones))
        snapshot = snapshot_of(content, venue_id, content_hash(content))
        self.directory.add_layout(org_id, snapshot)
        return snapshot

    async def open_draft(self, org_id: str, venue_id: str, *, layout_id: str | None = None) -> str:
        layout_id = layout_id or new_id()
        self._versions[layout_id] = self._versions.get(layout_id, 0) + 1
        self.directory.drafts.add((org_id, layout_id))
        return layout_id

    async def archive(self, org_id: str, venue_id: str, layout_id: str, version: int) -> None:
        self.directory.archive(org_id, layout_id, version)


class RealVenues:
    def __init__(self, container: Container) -> None:
        self.directory = container.catalog.ports.venues
        self._stores = container.venues.stores

    async def venue(self, org_id: str) -> VenueSnapshot:
        venue = await create_venue(self._stores, org_id=org_id, draft=VenueDraft(
            name=f"Hall {uuid.uuid4().hex[:8]}", city="Leeds", country="GB", timezone="Europe/London"))
        return VenueSnapshot(venue_id=venue.venue_id, name=venue.name, city=venue.city, country=venue.country,
                             timezone=venue.timezone)

    async def publish(self, org_id: str, venue_id: str, seats: int, *, layout_id: str | None = None,
                      zones: dict[str, int] | None = None) -> LayoutSnapshot:
        if layout_id is None:
            layout_id = await self.open_draft(org_id, venue_id)
        else:
            await start_version(self._stores, org_id=org_id, venue_id=venue_id, layout_id=layout_id)
        view = await replace_draft(self._stores, org_id=org_id, venue_id=venue_id, layout_id=layout_id,
                                   draft=a_draft(seats, zones))
        published = await publish_layout(self._stores, org_id=org_id, venue_id=venue_id, layout_id=layout_id)
        return snapshot_of(view.content, venue_id, published.hash or "")

    async def open_draft(self, org_id: str, venue_id: str, *, layout_id: str | None = None) -> str:
        if layout_id is not None:
            await start_version(self._stores, org_id=org_id, venue_id=venue_id, layout_id=layout_id)
            return layout_id
        view = await create_layout(self._stores, org_id=org_id, venue_id=venue_id, draft=a_draft(4))
        return view.record.layout_id

    async def archive(self, org_id: str, venue_id: str, layout_id: str, version: int) -> None:
        await archive_version(self._stores, org_id=org_id, venue_id=venue_id, layout_id=layout_id, version=version)


@pytest.fixture(params=["memory", "venues"])
def venues(request: pytest.FixtureRequest) -> Venues:
    if request.param == "memory":
        return InMemoryVenues()
    return RealVenues(request.getfixturevalue("container"))


@pytest.fixture
def org() -> str:
    return new_id()


async def refused(venues: Venues, field: str, org_id: str, layout_id: str, version: int | None) -> None:
    with pytest.raises(LayoutUnavailable) as caught:
        await venues.directory.published_layout(org_id, layout_id, version)
    assert [e.path for e in caught.value.errors] == [field], (layout_id, version)


async def test_a_venue_is_known_to_its_organization_only(venues: Venues, org: str) -> None:
    venue = await venues.venue(org)
    assert await venues.directory.venue(org, venue.venue_id) == venue
    for org_id, venue_id in ((new_id(), venue.venue_id), (org, new_id()), (org, "not-an-id")):
        with pytest.raises(VenueUnavailable) as caught:
            await venues.directory.venue(org_id, venue_id)
        assert [e.path for e in caught.value.errors] == ["/venue_id"]


async def test_a_new_show_pins_the_latest_published_version_unless_it_names_one(venues: Venues, org: str) -> None:
    venue = await venues.venue(org)
    first = await venues.publish(org, venue.venue_id, 6)
    layout_id = first.pin.layout_id
    second = await venues.publish(org, venue.venue_id, 12, layout_id=layout_id, zones={"floor": 80})
    assert (first.pin.version, second.pin.version) == (1, 2)
    assert await venues.directory.published_layout(org, layout_id, None) == second
    assert await venues.directory.published_layout(org, layout_id, 1) == first
    assert [s.number for s in second.seats[:11]] == [str(n) for n in (*range(1, 11), 1)]
    await refused(venues, "/layout_version", org, layout_id, 3)


async def test_a_draft_is_never_pinned(venues: Venues, org: str) -> None:
    venue = await venues.venue(org)
    draft_only = await venues.open_draft(org, venue.venue_id)
    await refused(venues, "/layout_id", org, draft_only, None)
    await refused(venues, "/layout_version", org, draft_only, 1)
    await refused(venues, "/layout_id", org, draft_only, 2)
    published = await venues.publish(org, venue.venue_id, 6)
    layout_id = published.pin.layout_id
    await venues.open_draft(org, venue.venue_id, layout_id=layout_id)
    assert await venues.directory.published_layout(org, layout_id, None) == published
    await refused(venues, "/layout_version", org, layout_id, 2)


async def test_an_archived_version_is_not_pinned_again_but_its_pins_still_read_it(venues: Venues, org: str) -> None:
    venue = await venues.venue(org)
    first = await venues.publish(org, venue.venue_id, 6)
    layout_id = first.pin.layout_id
    second = await venues.publish(org, venue.venue_id, 8, layout_id=layout_id)
    await venues.archive(org, venue.venue_id, layout_id, 2)
    assert await venues.directory.published_layout(org, layout_id, None) == first
    await refused(venues, "/layout_version", org, layout_id, 2)
    await venues.archive(org, venue.venue_id, layout_id, 1)
    await refused(venues, "/layout_id", org, layout_id, None)
    await refused(venues, "/layout_version", org, layout_id, 1)
    await refused(venues, "/layout_id", org, layout_id, 3)
    assert await venues.directory.pinned_layout(org, first.pin) == first
    assert await venues.directory.pinned_layout(org, second.pin) == second


async def test_unknown_layouts_and_another_organizations_are_neither_pinned_nor_read(
    venues: Venues, org: str
) -> None:
    venue = await venues.venue(org)
    layout = await venues.publish(org, venue.venue_id, 6)
    intruder = new_id()
    for org_id, layout_id in ((intruder, layout.pin.layout_id), (org, new_id()), (org, "not-an-id")):
        for version in (None, 1):
            await refused(venues, "/layout_id", org_id, layout_id, version)
    with pytest.raises(LayoutUnavailable) as caught:
        await venues.directory.pinned_layout(intruder, layout.pin)
    assert [e.path for e in caught.value.errors] == ["/layout_id"]


async def test_a_pin_reads_only_the_version_it_names(venues: Venues, org: str) -> None:
    venue = await venues.venue(org)
    layout = await venues.publish(org, venue.venue_id, 6)
    for pin in (msgspec.structs.replace(layout.pin, hash="0" * 64), msgspec.structs.replace(layout.pin, version=2),
                msgspec.structs.replace(layout.pin, layout_id=new_id())):
        with pytest.raises(LayoutUnavailable) as caught:
            await venues.directory.pinned_layout(org, pin)
        assert [e.path for e in caught.value.errors] == ["/layout_id"], pin
