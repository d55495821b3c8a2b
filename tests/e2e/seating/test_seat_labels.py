"""The labels of held seats come from the show's pinned layout, read once per show and process: many
requests needing them at once (the first seconds of a best-available surge) wait for one read."""

from __future__ import annotations

import asyncio

from lml.container import Container
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
    places = LayoutPlaceDescriptions(container.resources.db, container.seating.terms, venues)
    answers = await asyncio.gather(*(places.labels(show.show_id, show.seat_ids[i : i + 2]) for i in range(20)))
    assert venues.reads == 1
    assert all(len(answer) == 2 and all(label.startswith("A, row ") for label in answer.values())
               for answer in answers)
