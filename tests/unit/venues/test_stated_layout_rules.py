"""The layout draft's schema, as the OpenAPI document states it, against the layout rules: a draft the
schema refuses is refused by the rules, and one the rules refuse breaks the schema or one of the rules
across items the schema cannot state (the route's 422 names them: bounds within the viewport)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import msgspec
from hypothesis import given, settings

from lml.venues.domain.errors import InvalidLayout
from lml.venues.domain.layout import LayoutDraft, LayoutDraftBody
from lml.venues.domain.layout_rules import build_layout
from tests.fixtures.stated_drafts import DELETE, Tries, assert_refused_exactly_when_stated, tries_of

_SCHEMA = jsonschema_rs.validator_for(msgspec.json.schema(LayoutDraftBody))
# The rules across fields the schema cannot state; a draft below has one seat and one zone, so no two alike.
_UNSTATED = ("reaches past the right edge", "reaches past the bottom edge")



_TEXTS = ["A", " A\t", "é", "", " ", "\x1f", "A" * 32, "A" * 33]
_UNITS = [0, 0.25, 1, -0.0, 1.0000001, -1]
_EXTENTS = [0.1, 1, 0, 1.5]
_POINTS = [[[0, 0], [1, 0], [0.5, 0.5]], [[0, 0], [1, 0]], [[0, 0], [1, 0], [0.5, 1.5]]]
# A valid hybrid draft, and the values each of its fields is tried with (the stated rules' edges).
_BASE: dict[str, Any] = {
    "name": "Hall", "layout_type": "hybrid", "viewport": {"width": 1, "height": 1, "unit": "relative"},
    "sections": [{"label": "A", "name": "Stalls", "rows": [{"label": "1", "seats": [
        {"number": 1, "x": 0.1, "y": 0.2, "category": "aisle", "rank": 3}]}]}],
    "zones": [{"zone_id": "floor", "name": "Floor", "capacity": 300,
               "bounds": {"x": 0.1, "y": 0.6, "width": 0.5, "height": 0.3}}],
    "shapes": [{"kind": "label", "text": "Stage", "polygon": _POINTS[0]}],
    "focal_point": {"x": 0.5, "y": 0},
}
_SEAT = ("sections", 0, "rows", 0, "seats", 0)
_BOUNDS = ("zones", 0, "bounds")
_TRIES: Tries = [
    (("name",), _TEXTS), (("layout_type",), ["seated", "standing", "arena"]),
    (("viewport", "width"), [100_000, 0, 100_001, -1]), (("viewport", "unit"), ["px", "cm", DELETE]),
    (("sections",), [[], DELETE]), (("sections", 0, "label"), _TEXTS), (("sections", 0, "name"), [*_TEXTS, None]),
    (("sections", 0, "rows"), [[], DELETE]), (("sections", 0, "rows", 0, "label"), _TEXTS),
    (("sections", 0, "rows", 0, "seats"), [[], DELETE]), ((*_SEAT, "number"), [7, 0, -3]),
    ((*_SEAT, "x"), _UNITS), ((*_SEAT, "y"), _UNITS), ((*_SEAT, "category"), [*_TEXTS, None, DELETE]),
    ((*_SEAT, "rank"), [1, 1_000_000, 0, 1_000_001, None]),
    (("zones",), [[], DELETE]), (("zones", 0, "zone_id"), ["z" * 64, "a-b_C9", "a b", "", "z" * 65, "é"]),
    (("zones", 0, "name"), _TEXTS), (("zones", 0, "capacity"), [1, 1_000_000, 0, 1_000_001]),
    (("zones", 0, "polygon"), [*_POINTS, None]), ((*_BOUNDS,), [None, DELETE]), ((*_BOUNDS, "x"), _UNITS),
    ((*_BOUNDS, "height"), _EXTENTS), (("shapes", 0, "kind"), ["stage", "area", "door"]),
    (("shapes", 0, "text"), [*_TEXTS, None, DELETE]), (("shapes", 0, "polygon"), [*_POINTS, None, DELETE]),
    (("shapes", 0, "bounds"), [{"x": 0, "y": 0, "width": 1, "height": 1}, None]),
    (("focal_point", "x"), _UNITS), (("focal_point",), [None, DELETE]),
]



def _problems(draft: dict[str, Any]) -> list[str]:
    try:
        build_layout("0190a0b0-0000-7000-8000-000000000001", 1, msgspec.convert(draft, LayoutDraft))
    except InvalidLayout as refused:
        return [error.message for error in refused.errors]
    return []


def test_the_draft_tried_is_valid_as_it_is() -> None:
    assert _SCHEMA.is_valid(_BASE) and _problems(_BASE) == []


@settings(max_examples=300, database=None)
@given(tries=tries_of(_TRIES))
def test_a_draft_is_refused_exactly_when_it_breaks_the_schema_or_a_rule_the_route_names(
    tries: list[tuple[tuple[str | int, ...], Any]],
) -> None:
    assert_refused_exactly_when_stated(_SCHEMA, _BASE, tries, _problems, lambda message: message.startswith(_UNSTATED))
