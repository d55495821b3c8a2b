"""Demo seat maps, generated: a proscenium theatre of about 1,200 seats and a club room with a
standing floor. Curved rows are laid on arcs around the stage; coordinates are rounded to four
decimals (a tenth of a pixel on a 1,000-pixel map)."""

from __future__ import annotations

import math
import string

from lml.venues.domain.layout import BoundsIn, LayoutDraft, RowIn, SeatIn, SectionIn, ShapeIn, ViewportIn, ZoneIn

# Theatre rows skip I and O, as most theatres do: they read as 1 and 0.
_ROW_LETTERS = [letter for letter in string.ascii_uppercase if letter not in "IO"]


def _arc_row(
    label: str, seats: int, *, centre: tuple[float, float], radius: float, spread: float,
    first_number: int = 1, accessible_ends: bool = False, obstructed_ends: int = 0,
) -> RowIn:
    """`seats` seats on an arc of `radius` around `centre`, spread over `spread` radians, facing it."""
    cx, cy = centre
    row_seats = []
    for index in range(seats):
        angle = -spread / 2 + spread * index / max(seats - 1, 1)
        end = index in (0, seats - 1)
        row_seats.append(
            SeatIn(
                number=first_number + index,
                x=round(cx + radius * math.sin(angle), 4),
                y=round(cy + radius * math.cos(angle), 4),
                accessible=accessible_ends and end,
                obstructed_view=index < obstructed_ends or index >= seats - obstructed_ends,
            )
        )
    return RowIn(label=label, seats=row_seats)


def theatre_layout() -> LayoutDraft:
    """Stalls (20 rows), a circle (12 rows) and six boxes: 1,232 seats."""
    stage = (0.5, 0.04)
    stalls = SectionIn(
        label="STALLS",
        name="Stalls",
        rows=[
            _arc_row(_ROW_LETTERS[r], 26 + r, centre=stage, radius=0.12 + 0.0175 * r, spread=1.7 - 0.02 * r,
                     accessible_ends=r == 19)
            for r in range(20)
        ],
    )
    circle = SectionIn(
        label="CIRCLE",
        name="Dress Circle",
        rows=[
            # The circle overhangs the back of the stalls: its end seats lose a corner of the stage.
            _arc_row(_ROW_LETTERS[r], 36 + r, centre=stage, radius=0.6 + 0.026 * r, spread=1.25 - 0.02 * r,
                     obstructed_ends=2 if r < 3 else 0)
            for r in range(12)
        ],
    )
    boxes = SectionIn(
        label="BOX",
        name="Boxes",
        rows=[
            RowIn(
                label=letter,
                seats=[
                    SeatIn(number=n + 1, x=round(x + 0.018 * (n % 2), 4), y=round(y + 0.02 * (n // 2), 4),
                           category="box")
                    for n in range(4)
                ],
            )
            for letter, x, y in (
                ("A", 0.03, 0.12), ("B", 0.03, 0.22), ("C", 0.03, 0.32),
                ("D", 0.95, 0.12), ("E", 0.95, 0.22), ("F", 0.95, 0.32),
            )
        ],
    )
    return LayoutDraft(
        name="Main auditorium",
        layout_type="seated",
        viewport=ViewportIn(width=1000, height=1000, unit="px"),
        sections=[stalls, circle, boxes],
        shapes=[
            ShapeIn(kind="stage", text="Stage", bounds=BoundsIn(x=0.3, y=0.0, width=0.4, height=0.06)),
            ShapeIn(kind="label", text="Dress Circle", bounds=BoundsIn(x=0.4, y=0.56, width=0.2, height=0.03)),
        ],
    )


def club_layout() -> LayoutDraft:
    """A standing floor of 300 in front of the stage and a seated balcony of two rows of 20 behind it."""
    balcony = SectionIn(
        label="BALCONY",
        name="Balcony",
        rows=[
            RowIn(
                label=str(r + 1),
                seats=[
                    SeatIn(number=n + 1, x=round(0.1 + 0.8 * n / 19, 4), y=round(0.84 + 0.06 * r, 4),
                           accessible=r == 0 and n in (0, 19))
                    for n in range(20)
                ],
            )
            for r in range(2)
        ],
    )
    return LayoutDraft(
        name="Club night",
        layout_type="hybrid",
        viewport=ViewportIn(width=1, height=0.75, unit="relative"),
        sections=[balcony],
        zones=[ZoneIn(zone_id="floor", name="Standing floor", capacity=300,
                      bounds=BoundsIn(x=0.1, y=0.15, width=0.8, height=0.6))],
        shapes=[
            ShapeIn(kind="stage", text="Stage", bounds=BoundsIn(x=0.25, y=0.0, width=0.5, height=0.1)),
            ShapeIn(kind="area", text="Bar", polygon=[(0.92, 0.2), (0.99, 0.2), (0.99, 0.6), (0.92, 0.6)]),
        ],
    )
