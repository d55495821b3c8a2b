"""A seat map: what an operator sends (`LayoutDraft`) and what a layout version holds (`LayoutContent`).

Coordinates are normalized to the viewport: `x`, `y` in [0, 1] whatever its unit. The draft's
types are deliberately loose (`str` for enumerations): the layout rules check the values, so that
one answer can list every problem at once.
"""

from __future__ import annotations

from typing import Literal

import msgspec

LayoutType = Literal["seated", "standing", "hybrid"]
ViewportUnit = Literal["relative", "px"]
ShapeKind = Literal["stage", "label", "area"]

LAYOUT_TYPES: tuple[LayoutType, ...] = ("seated", "standing", "hybrid")
VIEWPORT_UNITS: tuple[ViewportUnit, ...] = ("relative", "px")
SHAPE_KINDS: tuple[ShapeKind, ...] = ("stage", "label", "area")

Point = tuple[float, float]


# --- What an operator sends. Unknown fields are ignored: the contract may grow, and a document
# read back (with `seat_id` on every seat) can be sent again as it is.


class BoundsIn(msgspec.Struct, kw_only=True):
    x: float
    y: float
    width: float
    height: float


class SeatIn(msgspec.Struct, kw_only=True):
    number: int
    x: float
    y: float
    category: str | None = None
    accessible: bool = False
    obstructed_view: bool = False
    rank: int | None = None  # the seat's quality among the layout's (lower is better); None: from the focal point


class FocalPointIn(msgspec.Struct, kw_only=True):
    x: float
    y: float


class RowIn(msgspec.Struct, kw_only=True):
    label: str
    seats: list[SeatIn] = msgspec.field(default_factory=list)


class SectionIn(msgspec.Struct, kw_only=True):
    label: str
    name: str | None = None
    rows: list[RowIn] = msgspec.field(default_factory=list)


class ZoneIn(msgspec.Struct, kw_only=True):
    zone_id: str
    name: str
    capacity: int
    bounds: BoundsIn | None = None
    polygon: list[Point] | None = None


class ShapeIn(msgspec.Struct, kw_only=True):
    """Decoration drawn on the map (the stage, a label, an area); nothing is sold from it."""

    kind: str
    text: str | None = None
    bounds: BoundsIn | None = None
    polygon: list[Point] | None = None


class ViewportIn(msgspec.Struct, kw_only=True):
    width: float
    height: float
    unit: str = "relative"


class LayoutDraft(msgspec.Struct, kw_only=True):
    name: str
    layout_type: str
    viewport: ViewportIn
    sections: list[SectionIn] = msgspec.field(default_factory=list)
    zones: list[ZoneIn] = msgspec.field(default_factory=list)
    shapes: list[ShapeIn] = msgspec.field(default_factory=list)
    focal_point: FocalPointIn | None = None


# --- What a layout version holds, checked. Defaults are omitted when encoded: the canonical form
# (and the export served to apps) stays compact, and absent means false / none.


class Bounds(msgspec.Struct, frozen=True, kw_only=True):
    x: float
    y: float
    width: float
    height: float


class Seat(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    seat_id: str
    number: int
    x: float
    y: float
    category: str | None = None
    accessible: bool = False
    obstructed_view: bool = False
    rank: int | None = None


class Row(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    seats: list[Seat]


class Section(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    label: str
    rows: list[Row]
    name: str | None = None


class Zone(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    zone_id: str
    name: str
    capacity: int
    bounds: Bounds | None = None
    polygon: list[Point] | None = None


class Shape(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    kind: ShapeKind
    text: str | None = None
    bounds: Bounds | None = None
    polygon: list[Point] | None = None


class Viewport(msgspec.Struct, frozen=True, kw_only=True):
    width: float
    height: float
    unit: ViewportUnit


class FocalPoint(msgspec.Struct, frozen=True, kw_only=True):
    """Where the seats look (the stage's front, usually), in the viewport's normalized coordinates:
    the nearer a seat, the better, unless the layout ranks the seat itself."""

    x: float
    y: float


# Where a stage usually is when the layout names no focal point: the top centre of the viewport.
DEFAULT_FOCAL_POINT = FocalPoint(x=0.5, y=0.0)


class LayoutContent(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One version of a seat map, seat ids computed. Its canonical JSON is what gets hashed and exported
    (a focal point left out is omitted: the versions published before it existed keep their hashes)."""

    layout_id: str
    version: int
    name: str
    layout_type: LayoutType
    viewport: Viewport
    sections: list[Section]
    zones: list[Zone]
    shapes: list[Shape]
    seat_count: int
    zone_capacity: int
    focal_point: FocalPoint | None = None

    def seats(self) -> list[tuple[Section, Row, Seat]]:
        return [(section, row, seat) for section in self.sections for row in section.rows for seat in row.seats]


def _bounds_in(bounds: Bounds | None) -> BoundsIn | None:
    if bounds is None:
        return None
    return BoundsIn(x=bounds.x, y=bounds.y, width=bounds.width, height=bounds.height)


def draft_of(content: LayoutContent) -> LayoutDraft:
    """The draft that produces this content again: the starting point of a new version."""
    return LayoutDraft(
        name=content.name,
        layout_type=content.layout_type,
        viewport=ViewportIn(width=content.viewport.width, height=content.viewport.height, unit=content.viewport.unit),
        sections=[
            SectionIn(
                label=section.label,
                name=section.name,
                rows=[
                    RowIn(
                        label=row.label,
                        seats=[
                            SeatIn(
                                number=seat.number,
                                x=seat.x,
                                y=seat.y,
                                category=seat.category,
                                accessible=seat.accessible,
                                obstructed_view=seat.obstructed_view,
                                rank=seat.rank,
                            )
                            for seat in row.seats
                        ],
                    )
                    for row in section.rows
                ],
            )
            for section in content.sections
        ],
        zones=[
            ZoneIn(
                zone_id=zone.zone_id,
                name=zone.name,
                capacity=zone.capacity,
                bounds=_bounds_in(zone.bounds),
                polygon=list(zone.polygon) if zone.polygon is not None else None,
            )
            for zone in content.zones
        ],
        shapes=[
            ShapeIn(
                kind=shape.kind,
                text=shape.text,
                bounds=_bounds_in(shape.bounds),
                polygon=list(shape.polygon) if shape.polygon is not None else None,
            )
            for shape in content.shapes
        ],
        focal_point=(FocalPointIn(x=content.focal_point.x, y=content.focal_point.y)
                     if content.focal_point is not None else None),
    )


class LayoutPatch(msgspec.Struct, kw_only=True):
    """A partial change of a draft: the top-level fields given replace the draft's, the rest stay."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    layout_type: str | msgspec.UnsetType = msgspec.UNSET
    viewport: ViewportIn | msgspec.UnsetType = msgspec.UNSET
    sections: list[SectionIn] | msgspec.UnsetType = msgspec.UNSET
    zones: list[ZoneIn] | msgspec.UnsetType = msgspec.UNSET
    shapes: list[ShapeIn] | msgspec.UnsetType = msgspec.UNSET
    focal_point: FocalPointIn | msgspec.UnsetType | None = msgspec.UNSET

    def apply(self, draft: LayoutDraft) -> LayoutDraft:
        given = {name: value for name in self.__struct_fields__ if (value := getattr(self, name)) is not msgspec.UNSET}
        return msgspec.structs.replace(draft, **given)
