"""Seat quality for a show that went on sale before seats were ranked: computed from its pinned layout
the first time its inventory is loaded into the fast store, as putting it on sale would have, and kept
with its inventory in PostgreSQL (the next load finds it there)."""

from __future__ import annotations

from lml.seating.application.hold_ports import ShowRanking
from lml.seating.domain.seat_quality import rank_seats


async def rank_older_show(ranking: ShowRanking, show_id: str) -> bool:
    """Whether the show has ranks now (False: its pinned layout cannot be read; it sells without best
    available, as before). Two processes may rank the same show at once: the first one's ranks stay."""
    pinned = await ranking.pinned_geometry(show_id)
    if pinned is None:
        return False
    geometry, venue = pinned
    await ranking.save(show_id, rank_seats(geometry, venue))
    return True
