"""Seat quality: each seat's rank (lower is better), its row and its place in the row, computed once
when a show goes on sale from the pinned layout, and kept with the show's inventory.

A seat the layout ranks itself keeps that order, ahead of every seat it does not rank; the others
follow by their distance to the layout's focal point (measured in the viewport's proportions, so a
wide map is not squashed into a square), then row order (the layout's order of sections and rows),
then their place in the row. The ranks are 1..N, each used once: the best-available chooser never
meets a tie."""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec


class SeatGeometry(msgspec.Struct, frozen=True, array_like=True):
    """A seat as the layout draws it, in the layout's order (sections, rows, seats in the row)."""

    seat_id: str
    section: str
    row: str
    x: float  # normalized to the viewport, as the focal point
    y: float
    rank: int | None = None  # the layout's own rank, if it gives one


class VenueGeometry(msgspec.Struct, frozen=True, kw_only=True):
    focal_point: tuple[float, float]
    viewport: tuple[float, float]  # width, height


class SeatPlace(msgspec.Struct, frozen=True, array_like=True):
    """Where a seat stands for best available: its rank among the show's seats, its row (index into
    the show's rows) and its position in the row (seats side by side have consecutive positions)."""

    seat_id: str
    rank: int
    row_no: int
    row_pos: int


class PlacedSeat(msgspec.Struct, frozen=True, array_like=True):
    """A seat's place as PostgreSQL keeps it, with its price tier: what the fast store's best-available
    structures are rebuilt from."""

    seat_id: str
    rank: int
    row_no: int
    row_pos: int
    tier_id: str | None


class ShowRow(msgspec.Struct, frozen=True, array_like=True):
    section: str
    label: str


class SeatPlan(msgspec.Struct, frozen=True):
    places: list[SeatPlace]
    rows: list[ShowRow]  # row_no indexes this list


def rank_seats(seats: Sequence[SeatGeometry], venue: VenueGeometry) -> SeatPlan:
    """Every seat's rank, row and position; rows in the layout's order, positions in the row's order."""
    rows: list[ShowRow] = []
    row_of: dict[tuple[str, str], int] = {}
    located: list[tuple[SeatGeometry, int, int]] = []
    lengths: list[int] = []
    for seat in seats:
        key = (seat.section, seat.row)
        row_no = row_of.get(key)
        if row_no is None:
            row_no = row_of[key] = len(rows)
            rows.append(ShowRow(seat.section, seat.row))
            lengths.append(0)
        located.append((seat, row_no, lengths[row_no]))
        lengths[row_no] += 1
    (fx, fy), (width, height) = venue.focal_point, venue.viewport

    def order(item: tuple[SeatGeometry, int, int]) -> tuple[int, float, int, int]:
        seat, row_no, pos = item
        if seat.rank is not None:
            return (0, float(seat.rank), row_no, pos)
        return (1, math.hypot((seat.x - fx) * width, (seat.y - fy) * height), row_no, pos)

    ranked = sorted(located, key=order)
    places = [SeatPlace(seat.seat_id, rank, row_no, pos) for rank, (seat, row_no, pos) in enumerate(ranked, 1)]
    return SeatPlan(places=places, rows=rows)
