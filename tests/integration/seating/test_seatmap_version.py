"""The seat map's version (its ETag) follows the show's terms as the terms reader hands them out."""

from __future__ import annotations

from typing import Any

import msgspec

from lml.platform.ids import new_id
from lml.seating.domain.sale_terms import SaleTerms, SaleTier
from lml.seating.infrastructure.seatmap import SeatMaps, seatmap_version
from tests.fixtures.seating import sale_terms


class _Terms:
    """The terms reader as the seat maps see it: whatever terms it holds now."""

    def __init__(self, terms: SaleTerms) -> None:
        self.now = terms

    async def terms(self, show_id: str) -> SaleTerms:
        return self.now


def _seatmaps(terms: _Terms) -> SeatMaps:
    unused: Any = None  # a version reads nothing but the terms
    return SeatMaps(unused, "lml", terms, unused, unused)  # type: ignore[arg-type]


async def test_the_version_is_the_terms_digest_and_changes_when_the_terms_read_again_differ() -> None:
    show_id = new_id()
    reader = _Terms(sale_terms(show_id, new_id()))
    seatmaps = _seatmaps(reader)
    first = await seatmaps.version(show_id)
    assert first == seatmap_version(reader.now) == await seatmaps.version(show_id)
    reader.now = msgspec.structs.replace(reader.now, tiers=(
        SaleTier(tier_id="std", name="Standard", price=6000, unit_total=6000),))
    assert await seatmaps.version(show_id) == seatmap_version(reader.now) != first
