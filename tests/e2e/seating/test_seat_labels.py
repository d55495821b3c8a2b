"""The labels of held seats come from the show's pinned layout, and their tiers from its inventory, read
once per show and process: many requests needing them at once (the first seconds of a best-available
surge) wait for one read, and checking a hold for an order then asks PostgreSQL nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lml.container import Container
from lml.seating.infrastructure.pg_sales import PgInventoryReads
from lml.seating.infrastructure.place_descriptions import LayoutPlaceDescriptions
from lml.venues.facade import PinnedLayout, VenuesFacade
from tests.fixtures.catalog import MakeShowOnSale


class CountedVenues(VenuesFacade):
    """The real facade, counting the pinned-layout reads."""

    reads = 0

    async def get_pinned_layout(self, *, layout_id: str, version: int, hash: str) -> PinnedLayout:
        self.reads += 1
        return await super().get_pinned_layout(layout_id=layout_id, version=version, hash=hash)


async def test_requests_racing_for_a_shows_labels_read_its_layout_once(
    container: Container, make_show_on_sale: MakeShowOnSale,
) -> None:
    show = await make_show_on_sale(seats=30)
    venues = CountedVenues(container.venues)
    places = LayoutPlaceDescriptions(PgInventoryReads(container.resources.db), container.seating.terms, venues)
    answers = await asyncio.gather(*(places.labels(show.show_id, show.seat_ids[i : i + 2]) for i in range(20)))
    assert venues.reads == 1
    assert all(len(answer) == 2 and all(label.startswith("A, row ") for label in answer.values())
               for answer in answers)


async def test_held_seats_tiers_and_labels_are_read_once_per_show_then_asked_of_no_store(
    container: Container, make_show_on_sale: MakeShowOnSale, monkeypatch: pytest.MonkeyPatch,
) -> None:
    show = await make_show_on_sale(seats=30)
    db = container.resources.db
    places = LayoutPlaceDescriptions(PgInventoryReads(db), container.seating.terms, VenuesFacade(container.venues))
    await container.seating.terms.terms(show.show_id)  # the hold path has read the show's terms already
    opened: list[bool] = []
    unit_of_work = db.unit_of_work

    def counted(**options: Any) -> Any:
        opened.append(True)
        return unit_of_work(**options)

    monkeypatch.setattr(db, "unit_of_work", counted)
    first = await places.seats(show.show_id, show.seat_ids[:3])
    again = [await places.seats(show.show_id, show.seat_ids[i : i + 2]) for i in range(0, 30, 2)]
    assert len(opened) == 1
    monkeypatch.undo()
    async with container.resources.db.unit_of_work(read_only=True) as uow:
        rows = await (await uow.conn.execute("SELECT seat_id, tier_id FROM seating.show_seats WHERE show_id = %s",
                                             (show.show_id,))).fetchall()
    tiers = {row["seat_id"]: row["tier_id"] for row in rows}
    for answer in [first, *again]:
        assert answer and all(tier == tiers[seat] and label and label.startswith("A, row ")
                              for seat, (tier, label) in answer.items())
    assert await places.seats(show.show_id, ["not-a-seat-of-the-show"]) == {}
