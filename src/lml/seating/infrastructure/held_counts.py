"""Places in live holds per price tier, for an operator's sales report (not on a hot path)."""

from __future__ import annotations

from collections import Counter

from lml.seating.application.read_availability import read_availability
from lml.seating.domain.availability import HELD, seat_order
from lml.seating.infrastructure.services import SeatingServices


async def held_counts(services: SeatingServices, show_id: str) -> dict[str, int]:
    availability = await read_availability(services.holding, show_id=show_id)  # drops expired holds first
    seat_tier, zone_tier = await services.reads.tiers(show_id)
    counts: Counter[str] = Counter()
    for seat_id, code in zip(seat_order(list(seat_tier)), availability.seats, strict=False):
        tier = seat_tier[seat_id]
        if code == HELD and tier is not None:
            counts[tier] += 1
    for zone_id, held in (await services.store.zone_held(show_id)).items():
        if held > 0 and zone_id in zone_tier:
            counts[zone_tier[zone_id]] += held
    return dict(counts)
