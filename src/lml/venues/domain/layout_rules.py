"""The layout rules: a draft becomes a `LayoutContent` (seat ids computed) or every problem is listed.

One pass over the seats, a few comparisons and one SHA-256 each: a 20,000-seat arena checks in
a small fraction of a second (see benchmarks/venues_layouts.py).
"""

from __future__ import annotations

import math

from lml.platform.domain.errors import FieldError
from lml.platform.domain.text import matches, trim
from lml.venues.domain.errors import InvalidLayout
from lml.venues.domain.layout import (
    LAYOUT_TYPES,
    MAX_CATEGORY,
    MAX_LABEL,
    MAX_NAME,
    MAX_POLYGON_POINTS,
    MAX_SEAT_RANK,
    MAX_SHAPES,
    MAX_VIEWPORT_PX,
    MAX_ZONE_CAPACITY,
    MAX_ZONES,
    SHAPE_KINDS,
    VIEWPORT_UNITS,
    ZONE_ID_PATTERN,
    Bounds,
    BoundsIn,
    FocalPoint,
    LayoutContent,
    LayoutDraft,
    LayoutType,
    Point,
    Row,
    Seat,
    Section,
    Shape,
    Viewport,
    Zone,
)
from lml.venues.domain.seat_ids import seat_id

MAX_SEATS = 100_000
# A response listing a hundred thousand problems helps nobody; the count still tells how many.
MAX_LISTED_PROBLEMS = 1_000

# Rounding slack for `x + width <= 1` with binary floats.
_EPSILON = 1e-9


class Problems:
    """Collects field errors up to a cap, counting all of them."""

    def __init__(self, limit: int = MAX_LISTED_PROBLEMS) -> None:
        self.errors: list[FieldError] = []
        self.total = 0
        self.limit = limit

    def add(self, path: str, message: str) -> None:
        self.total += 1
        if len(self.errors) < self.limit:
            self.errors.append(FieldError(path, message))

    def raise_if_any(self) -> None:
        if not self.total:
            return
        errors = list(self.errors)
        if self.total > len(errors):
            errors.append(FieldError("/", f"and {self.total - len(errors)} more problem(s) not listed"))
        raise InvalidLayout(errors, f"{self.total} problem(s) with the layout")


def _unit(value: float) -> bool:
    return 0.0 <= value <= 1.0


def _text(problems: Problems, path: str, value: str, limit: int) -> str:
    text = trim(value)
    if not text:
        problems.add(path, "must not be blank")
    elif len(text) > limit:
        problems.add(path, f"must be at most {limit} characters")
    return text


def _optional_text(problems: Problems, path: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    return _text(problems, path, value, limit) or None


def _bounds(problems: Problems, path: str, bounds: BoundsIn) -> Bounds:
    for name in ("x", "y"):
        if not _unit(getattr(bounds, name)):
            problems.add(f"{path}/{name}", "must be between 0 and 1")
    for name in ("width", "height"):
        if not 0.0 < getattr(bounds, name) <= 1.0:
            problems.add(f"{path}/{name}", "must be greater than 0 and at most 1")
    if bounds.x + bounds.width > 1.0 + _EPSILON:
        problems.add(f"{path}/width", "reaches past the right edge (x + width must be at most 1)")
    if bounds.y + bounds.height > 1.0 + _EPSILON:
        problems.add(f"{path}/height", "reaches past the bottom edge (y + height must be at most 1)")
    return Bounds(x=float(bounds.x), y=float(bounds.y), width=float(bounds.width), height=float(bounds.height))


def _polygon(problems: Problems, path: str, points: list[Point]) -> list[Point]:
    if len(points) < 3:
        problems.add(path, "a polygon needs at least 3 points")
    elif len(points) > MAX_POLYGON_POINTS:
        problems.add(path, f"a polygon has at most {MAX_POLYGON_POINTS} points")
    for index, (x, y) in enumerate(points):
        if not (_unit(x) and _unit(y)):
            problems.add(f"{path}/{index}", "both coordinates must be between 0 and 1")
    return [(float(x), float(y)) for x, y in points]


def _geometry(
    problems: Problems, path: str, bounds: BoundsIn | None, polygon: list[Point] | None
) -> tuple[Bounds | None, list[Point] | None]:
    if bounds is None and polygon is None:
        problems.add(path, "needs `bounds` or a `polygon`")
    elif bounds is not None and polygon is not None:
        problems.add(path, "give `bounds` or a `polygon`, not both")
    return (
        _bounds(problems, f"{path}/bounds", bounds) if bounds is not None else None,
        _polygon(problems, f"{path}/polygon", polygon) if polygon is not None else None,
    )


def _viewport(problems: Problems, draft: LayoutDraft) -> Viewport:
    viewport = draft.viewport
    unit = viewport.unit
    if unit not in VIEWPORT_UNITS:
        problems.add("/viewport/unit", f"unknown unit {unit!r}: use one of {', '.join(VIEWPORT_UNITS)}")
    for name in ("width", "height"):
        value = getattr(viewport, name)
        if not (math.isfinite(value) and 0.0 < value <= MAX_VIEWPORT_PX):
            problems.add(f"/viewport/{name}", f"must be greater than 0 and at most {MAX_VIEWPORT_PX}")
    return Viewport(
        width=float(viewport.width),
        height=float(viewport.height),
        unit=unit if unit in VIEWPORT_UNITS else "relative",
    )


def _sections(problems: Problems, layout_id: str, draft: LayoutDraft) -> tuple[list[Section], int]:
    """Sections with seat ids; the number of seats. Checks coordinates, duplicates and id collisions."""
    seen_seats: dict[tuple[str, str, int], str] = {}
    seen_ids: dict[str, str] = {}
    sections: list[Section] = []
    count = 0
    for s_index, section_in in enumerate(draft.sections):
        s_path = f"/sections/{s_index}"
        section_label = _text(problems, f"{s_path}/label", section_in.label, MAX_LABEL)
        if not section_in.rows:
            problems.add(f"{s_path}/rows", "a section needs at least one row of seats")
        rows: list[Row] = []
        for r_index, row_in in enumerate(section_in.rows):
            r_path = f"{s_path}/rows/{r_index}"
            row_label = _text(problems, f"{r_path}/label", row_in.label, MAX_LABEL)
            if not row_in.seats:
                problems.add(f"{r_path}/seats", "a row needs at least one seat")
            seats: list[Seat] = []
            for p_index, seat_in in enumerate(row_in.seats):
                path = f"{r_path}/seats/{p_index}"
                number = seat_in.number
                if number < 1:
                    problems.add(f"{path}/number", "must be a positive integer")
                if not _unit(seat_in.x):
                    problems.add(f"{path}/x", "must be between 0 and 1")
                if not _unit(seat_in.y):
                    problems.add(f"{path}/y", "must be between 0 and 1")
                if seat_in.rank is not None and not 1 <= seat_in.rank <= MAX_SEAT_RANK:
                    problems.add(f"{path}/rank", f"must be between 1 and {MAX_SEAT_RANK} (lower is better)")
                key = (section_label, row_label, number)
                first = seen_seats.setdefault(key, path)
                sid = seat_id(layout_id, section_label, row_label, number)
                if first != path:
                    problems.add(path, f"duplicate seat {section_label}/{row_label}/{number} (first at {first})")
                elif seen_ids.setdefault(sid, path) != path:
                    problems.add(path, f"its seat id collides with the seat at {seen_ids[sid]}; change a label")
                seats.append(
                    Seat(
                        seat_id=sid,
                        number=int(number),
                        x=float(seat_in.x),
                        y=float(seat_in.y),
                        category=_optional_text(problems, f"{path}/category", seat_in.category, MAX_CATEGORY),
                        accessible=bool(seat_in.accessible),
                        obstructed_view=bool(seat_in.obstructed_view),
                        rank=seat_in.rank,
                    )
                )
            count += len(seats)
            rows.append(Row(label=row_label, seats=seats))
        name = _optional_text(problems, f"{s_path}/name", section_in.name, MAX_NAME)
        sections.append(Section(label=section_label, name=name, rows=rows))
    if count > MAX_SEATS:
        problems.add("/sections", f"{count} seats is more than the maximum of {MAX_SEATS}")
    return sections, count


def _zones(problems: Problems, draft: LayoutDraft) -> list[Zone]:
    if len(draft.zones) > MAX_ZONES:
        problems.add("/zones", f"at most {MAX_ZONES} zones")
    seen: dict[str, str] = {}
    zones = []
    for index, zone_in in enumerate(draft.zones):
        path = f"/zones/{index}"
        zone_id = zone_in.zone_id
        if not matches(ZONE_ID_PATTERN, zone_id):
            problems.add(f"{path}/zone_id", "must be 1 to 64 letters, digits, '_' or '-'")
        elif seen.setdefault(zone_id, path) != path:
            problems.add(f"{path}/zone_id", f"duplicate zone id {zone_id!r} (first at {seen[zone_id]})")
        if not 0 < zone_in.capacity <= MAX_ZONE_CAPACITY:
            problems.add(f"{path}/capacity", f"must be greater than 0 and at most {MAX_ZONE_CAPACITY}")
        bounds, polygon = _geometry(problems, path, zone_in.bounds, zone_in.polygon)
        zones.append(
            Zone(
                zone_id=zone_id,
                name=_text(problems, f"{path}/name", zone_in.name, MAX_NAME),
                capacity=int(zone_in.capacity),
                bounds=bounds,
                polygon=polygon,
            )
        )
    return zones


def _shapes(problems: Problems, draft: LayoutDraft) -> list[Shape]:
    if len(draft.shapes) > MAX_SHAPES:
        problems.add("/shapes", f"at most {MAX_SHAPES} shapes")
    shapes = []
    for index, shape_in in enumerate(draft.shapes):
        path = f"/shapes/{index}"
        if shape_in.kind not in SHAPE_KINDS:
            problems.add(f"{path}/kind", f"unknown kind {shape_in.kind!r}: use one of {', '.join(SHAPE_KINDS)}")
        if shape_in.kind == "label" and not trim(shape_in.text or ""):
            problems.add(f"{path}/text", "a label needs a text")
        bounds, polygon = _geometry(problems, path, shape_in.bounds, shape_in.polygon)
        shapes.append(
            Shape(
                kind=shape_in.kind if shape_in.kind in SHAPE_KINDS else "area",
                text=_optional_text(problems, f"{path}/text", shape_in.text, MAX_NAME),
                bounds=bounds,
                polygon=polygon,
            )
        )
    return shapes


def _focal_point(problems: Problems, draft: LayoutDraft) -> FocalPoint | None:
    point = draft.focal_point
    if point is None:
        return None
    for name in ("x", "y"):
        if not _unit(getattr(point, name)):
            problems.add(f"/focal_point/{name}", "must be between 0 and 1 (the viewport's normalized coordinates)")
    return FocalPoint(x=float(point.x), y=float(point.y))


def _layout_type(problems: Problems, draft: LayoutDraft, seat_count: int) -> LayoutType:
    kind = draft.layout_type
    if kind not in LAYOUT_TYPES:
        problems.add("/layout_type", f"unknown layout type {kind!r}: use one of {', '.join(LAYOUT_TYPES)}")
        return "hybrid"
    has_seats = seat_count > 0 or bool(draft.sections)
    if kind in ("seated", "hybrid") and not has_seats:
        problems.add("/sections", f"a {kind} layout needs at least one seat")
    if kind == "standing" and has_seats:
        problems.add("/sections", "a standing layout has no seats; use `hybrid` for seats and standing zones")
    if kind in ("standing", "hybrid") and not draft.zones:
        problems.add("/zones", f"a {kind} layout needs at least one GA zone")
    if kind == "seated" and draft.zones:
        problems.add("/zones", "a seated layout has no GA zones; use `hybrid` for seats and standing zones")
    return kind


def build_layout(layout_id: str, version: int, draft: LayoutDraft) -> LayoutContent:
    """The checked layout, or `InvalidLayout` listing every problem (paths are JSON pointers)."""
    problems = Problems()
    name = _text(problems, "/name", draft.name, MAX_NAME)
    viewport = _viewport(problems, draft)
    sections, seat_count = _sections(problems, layout_id, draft)
    zones = _zones(problems, draft)
    shapes = _shapes(problems, draft)
    layout_type = _layout_type(problems, draft, seat_count)
    focal_point = _focal_point(problems, draft)
    problems.raise_if_any()
    return LayoutContent(
        layout_id=layout_id,
        version=version,
        name=name,
        layout_type=layout_type,
        viewport=viewport,
        sections=sections,
        zones=zones,
        shapes=shapes,
        seat_count=seat_count,
        zone_capacity=sum(zone.capacity for zone in zones),
        focal_point=focal_point,
    )
