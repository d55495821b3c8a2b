"""A seat map: what an operator sends (`LayoutDraft`) and what a layout version holds (`LayoutContent`).

Coordinates are normalized to the viewport: `x`, `y` in [0, 1] whatever its unit. The draft's
types are deliberately loose (`str` for enumerations): the layout rules check the values, so that
one answer can list every problem at once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from lml.platform.domain.text import trimmed_text_pattern

LayoutType = Literal["seated", "standing", "hybrid"]
ViewportUnit = Literal["relative", "px"]
ShapeKind = Literal["stage", "label", "area"]

LAYOUT_TYPES: tuple[LayoutType, ...] = ("seated", "standing", "hybrid")
VIEWPORT_UNITS: tuple[ViewportUnit, ...] = ("relative", "px")
SHAPE_KINDS: tuple[ShapeKind, ...] = ("stage", "label", "area")

Point = tuple[float, float]

MAX_ZONES = 1_000
MAX_SHAPES = 1_000
MAX_POLYGON_POINTS = 1_000
MAX_ZONE_CAPACITY = 1_000_000
MAX_LABEL = 32
MAX_CATEGORY = 2 * MAX_LABEL
MAX_NAME = 200
MAX_VIEWPORT_PX = 100_000
MAX_SEAT_RANK = 1_000_000
# The rules of each field as the OpenAPI document states them; the layout rules check the same
# (`lml.venues.domain.layout_rules`): text trimmed and not blank, a zone id of letters, digits, '_', '-'.
LABEL_PATTERN = trimmed_text_pattern(MAX_LABEL, refused="")
CATEGORY_PATTERN = trimmed_text_pattern(MAX_CATEGORY, refused="")
NAME_PATTERN = trimmed_text_pattern(MAX_NAME, refused="")
ZONE_ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$"


def _stated(**schema: Any) -> msgspec.Meta:
    return msgspec.Meta(extra_json_schema=schema)


Label = Annotated[str, _stated(pattern=LABEL_PATTERN)]
Name = Annotated[str, _stated(pattern=NAME_PATTERN)]
Unit = Annotated[float, _stated(minimum=0, maximum=1)]  # a normalized coordinate
Extent = Annotated[float, _stated(exclusiveMinimum=0, maximum=1)]  # a normalized width or height
Polygon = Annotated[list[tuple[Unit, Unit]], _stated(minItems=3, maxItems=MAX_POLYGON_POINTS)]


def _only(name: str, other: str) -> dict[str, Any]:
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}, other: {"type": "null"}}}


# A zone or a shape is drawn by its bounds or by a polygon, not both; a label shape has a text.
GEOMETRY = {"anyOf": [_only("bounds", "polygon"), _only("polygon", "bounds")]}
LABEL_TEXT = {"anyOf": [{"properties": {"kind": {"not": {"const": "label"}}}},
                        {"required": ["text"], "properties": {"text": {"type": "string"}}}]}


# --- What an operator sends. Unknown fields are ignored: the contract may grow, and a document
# read back (with `seat_id` on every seat) can be sent again as it is.


class BoundsIn(msgspec.Struct, kw_only=True):
    x: Unit
    y: Unit
    width: Extent
    height: Extent


class SeatIn(msgspec.Struct, kw_only=True):
    number: Annotated[int, _stated(minimum=1)]
    x: Unit
    y: Unit
    category: Annotated[str, _stated(pattern=CATEGORY_PATTERN)] | None = None
    accessible: bool = False
    obstructed_view: bool = False
    # The seat's quality among the layout's (lower is better); None: from the focal point.
    rank: Annotated[int, _stated(minimum=1, maximum=MAX_SEAT_RANK)] | None = None


class FocalPointIn(msgspec.Struct, kw_only=True):
    x: Unit
    y: Unit


class RowIn(msgspec.Struct, kw_only=True):
    label: Label
    seats: list[SeatIn] = msgspec.field(default_factory=list)


class SectionIn(msgspec.Struct, kw_only=True):
    label: Label
    name: Name | None = None
    rows: list[Annotated[RowIn, _stated(required=["seats"], properties={"seats": {"minItems": 1}})]] = \
        msgspec.field(default_factory=list)


class ZoneIn(msgspec.Struct, kw_only=True):
    zone_id: Annotated[str, _stated(pattern=ZONE_ID_PATTERN)]
    name: Name
    capacity: Annotated[int, _stated(minimum=1, maximum=MAX_ZONE_CAPACITY)]
    bounds: BoundsIn | None = None
    polygon: Polygon | None = None


class ShapeIn(msgspec.Struct, kw_only=True):
    """Decoration drawn on the map (the stage, a label, an area); nothing is sold from it."""

    kind: Annotated[str, _stated(enum=list(SHAPE_KINDS))]
    text: Name | None = None
    bounds: BoundsIn | None = None
    polygon: Polygon | None = None


class ViewportIn(msgspec.Struct, kw_only=True):
    width: Annotated[float, _stated(exclusiveMinimum=0, maximum=MAX_VIEWPORT_PX)]
    height: Annotated[float, _stated(exclusiveMinimum=0, maximum=MAX_VIEWPORT_PX)]
    unit: Annotated[str, _stated(enum=list(VIEWPORT_UNITS))] = "relative"


Sections = list[Annotated[SectionIn, _stated(required=["rows"], properties={"rows": {"minItems": 1}})]]
Zones = Annotated[list[Annotated[ZoneIn, _stated(**GEOMETRY)]], _stated(maxItems=MAX_ZONES)]
Shapes = Annotated[list[Annotated[ShapeIn, _stated(allOf=[GEOMETRY, LABEL_TEXT])]], _stated(maxItems=MAX_SHAPES)]
LayoutTypeName = Annotated[str, _stated(enum=list(LAYOUT_TYPES))]


class LayoutDraft(msgspec.Struct, kw_only=True):
    name: Name
    layout_type: LayoutTypeName
    viewport: ViewportIn
    sections: Sections = msgspec.field(default_factory=list)
    zones: Zones = msgspec.field(default_factory=list)
    shapes: Shapes = msgspec.field(default_factory=list)
    focal_point: FocalPointIn | None = None


def _kind(layout_type: str, *, seats: bool, zones: bool) -> dict[str, Any]:
    def has(present: bool) -> dict[str, int]:
        return {"minItems": 1} if present else {"maxItems": 0}

    return {"required": ["layout_type", *(["sections"] if seats else []), *(["zones"] if zones else [])],
            "properties": {"layout_type": {"const": layout_type}, "sections": has(seats), "zones": has(zones)}}


# A draft as the document states it: a seated layout has seats and no GA zones, a standing one GA zones
# and no seats, a hybrid one both (`_layout_type` in the layout rules).
LayoutDraftBody = Annotated[LayoutDraft, _stated(anyOf=[_kind("seated", seats=True, zones=False),
                                                       _kind("standing", seats=False, zones=True),
                                                       _kind("hybrid", seats=True, zones=True)])]


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

    name: Name | msgspec.UnsetType = msgspec.UNSET
    layout_type: LayoutTypeName | msgspec.UnsetType = msgspec.UNSET
    viewport: ViewportIn | msgspec.UnsetType = msgspec.UNSET
    sections: Sections | msgspec.UnsetType = msgspec.UNSET
    zones: Zones | msgspec.UnsetType = msgspec.UNSET
    shapes: Shapes | msgspec.UnsetType = msgspec.UNSET
    focal_point: FocalPointIn | msgspec.UnsetType | None = msgspec.UNSET

    def apply(self, draft: LayoutDraft) -> LayoutDraft:
        given = {name: value for name in self.__struct_fields__ if (value := getattr(self, name)) is not msgspec.UNSET}
        return msgspec.structs.replace(draft, **given)
