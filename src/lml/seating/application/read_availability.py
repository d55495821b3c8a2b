"""A show's availability: every seat's status and each GA zone's remaining places."""

from __future__ import annotations

from lml.seating.application.holding import Holding
from lml.seating.domain.availability import Availability


async def read_availability(holding: Holding, *, show_id: str, known_version: str | None = None) -> Availability | str:
    """The snapshot, or only its version while that is still `known_version` (nothing to send)."""
    found = await holding.holds.availability(show_id, known_version)
    if found is None:
        await holding.load_inventory(show_id)
        found = await holding.holds.availability(show_id, known_version)
    if found is None:
        raise RuntimeError(f"the inventory of show {show_id} cannot be kept loaded")
    return found
