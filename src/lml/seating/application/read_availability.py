"""A show's availability: every seat's status and each GA zone's remaining places."""

from __future__ import annotations

from lml.platform.domain.errors import BrokenInvariant
from lml.seating.application.holding import Holding
from lml.seating.domain.availability import Availability


async def read_availability(holding: Holding, *, show_id: str) -> Availability:
    """The snapshot."""
    found = await read_availability_since(holding, show_id=show_id, known_version=None)
    if isinstance(found, str):
        raise BrokenInvariant("only a known version is answered with a version")
    return found


async def read_availability_since(holding: Holding, *, show_id: str, known_version: str | None) -> Availability | str:
    """The snapshot, or only its version while that is still `known_version` (nothing to send)."""
    found = await holding.holds.availability(show_id, known_version)
    if found is None:
        await holding.load_inventory(show_id)
        found = await holding.holds.availability(show_id, known_version)
    if found is None:
        raise BrokenInvariant(f"the inventory of show {show_id} cannot be kept loaded")
    return found
