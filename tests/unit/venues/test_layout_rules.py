"""The layout rules: every problem listed at once, with a JSON-pointer path, and nothing else refused."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from lml.venues.domain import layout_rules
from lml.venues.domain.errors import InvalidLayout
from lml.venues.domain.layout import LayoutContent, LayoutDraft
from lml.venues.domain.layout_rules import MAX_LISTED_PROBLEMS, MAX_SEATS, build_layout
from tests.fixtures.venues import layout_json

LAYOUT_ID = "0190a0b0-0000-7000-8000-000000000001"

ISSUE_EXAMPLE = {
    "name": "Main Hall",
    "layout_type": "hybrid",
    "viewport": {"width": 1, "height": 1, "unit": "relative"},
    "sections": [{"label": "A", "name": "Stalls", "rows": [{"label": "1", "seats": [
        {"number": 1, "x": 0.10, "y": 0.20, "accessible": False}]}]}],
    "zones": [{"zone_id": "floor", "name": "Floor", "capacity": 300,
               "bounds": {"x": 0.1, "y": 0.8, "width": 0.8, "height": 0.15}}],
}


def build(body: dict[str, Any]) -> LayoutContent:
    return build_layout(LAYOUT_ID, 1, msgspec.convert(body, LayoutDraft))


def problems(body: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidLayout) as caught:
        build(body)
    return {error.path: error.message for error in caught.value.errors}


def seat(number: int, x: float = 0.5, y: float = 0.5, **flags: Any) -> dict[str, Any]:
    return {"number": number, "x": x, "y": y, **flags}


def seated(*rows: list[dict[str, Any]], label: str = "A") -> dict[str, Any]:
    return {"name": "Hall", "layout_type": "seated", "viewport": {"width": 1, "height": 1, "unit": "relative"},
            "sections": [{"label": label, "rows": [{"label": str(i + 1), "seats": r} for i, r in enumerate(rows)]}]}


def test_the_issue_example_builds_with_a_seat_id_on_every_seat() -> None:
    content = build(ISSUE_EXAMPLE)
    assert content.seat_count == 1
    assert content.zone_capacity == 300
    only = content.sections[0].rows[0].seats[0]
    assert len(only.seat_id) == 16 and only.seat_id == only.seat_id.lower()
    assert (only.number, only.x, only.y, only.accessible) == (1, 0.10, 0.20, False)


def test_standing_and_hybrid_and_seated_layouts_build() -> None:
    assert build(layout_json(0, zones={"floor": 500})).layout_type == "standing"
    assert build(layout_json(30, zones={"floor": 100, "pit": 50})).zone_capacity == 150
    assert build(layout_json(45, sections=3)).seat_count == 45


def test_coordinates_out_of_range_are_named_by_path() -> None:
    found = problems(seated([seat(1, x=1.5), seat(2, y=-0.01), seat(3, x=1.0, y=0.0)]))
    assert found == {
        "/sections/0/rows/0/seats/0/x": "must be between 0 and 1",
        "/sections/0/rows/0/seats/1/y": "must be between 0 and 1",
    }


def test_a_duplicate_seat_is_refused_pointing_at_the_first() -> None:
    body = seated([seat(1), seat(2)])
    body["sections"].append({"label": "A", "rows": [{"label": "1", "seats": [seat(2, x=0.9)]}]})
    found = problems(body)
    assert found == {"/sections/1/rows/0/seats/0": "duplicate seat A/1/2 (first at /sections/0/rows/0/seats/1)"}


def test_the_same_row_label_twice_is_fine_when_the_numbers_differ() -> None:
    body = seated([seat(1), seat(2)])
    body["sections"][0]["rows"].append({"label": "1", "seats": [seat(3), seat(4)]})
    assert build(body).seat_count == 4


def test_empty_sections_and_rows_are_refused() -> None:
    body = seated([seat(1)])
    body["sections"] += [{"label": "B", "rows": []}, {"label": "C", "rows": [{"label": "1", "seats": []}]}]
    assert problems(body) == {
        "/sections/1/rows": "a section needs at least one row of seats",
        "/sections/2/rows/0/seats": "a row needs at least one seat",
    }


@pytest.mark.parametrize("capacity", [0, -5])
def test_a_ga_zone_needs_a_positive_capacity(capacity: int) -> None:
    found = problems(layout_json(0, zones={"floor": capacity}))
    assert found == {"/zones/0/capacity": "must be greater than 0 and at most 1000000"}


def test_a_seated_layout_needs_seats() -> None:
    assert problems(layout_json(0, layout_type="seated")) == {"/sections": "a seated layout needs at least one seat"}


def test_a_standing_layout_has_no_seats() -> None:
    found = problems(layout_json(4, zones={"floor": 100}, layout_type="standing"))
    assert found == {"/sections": "a standing layout has no seats; use `hybrid` for seats and standing zones"}


def test_a_seated_layout_has_no_zones_and_a_hybrid_one_needs_both() -> None:
    assert "/zones" in problems(layout_json(4, zones={"floor": 100}, layout_type="seated"))
    assert problems(layout_json(4, layout_type="hybrid")) == {"/zones": "a hybrid layout needs at least one GA zone"}


def test_unknown_units_kinds_and_layout_types_are_named() -> None:
    body = layout_json(3)
    body["viewport"]["unit"] = "furlong"
    body["layout_type"] = "amphitheatre"
    body["shapes"][0]["kind"] = "statue"
    found = problems(body)
    assert found["/viewport/unit"] == "unknown unit 'furlong': use one of relative, px"
    assert found["/layout_type"].startswith("unknown layout type 'amphitheatre'")
    assert found["/shapes/0/kind"].startswith("unknown kind 'statue'")


def test_more_than_the_maximum_of_seats_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_SEATS == 100_000
    monkeypatch.setattr(layout_rules, "MAX_SEATS", 25)
    assert build(layout_json(25)).seat_count == 25
    assert problems(layout_json(26)) == {"/sections": "26 seats is more than the maximum of 25"}


def test_zone_geometry_is_checked() -> None:
    body = layout_json(0, zones={"a": 10, "b": 10, "c": 10, "a2": 10})
    body["zones"][0]["bounds"] = {"x": 0.5, "y": 0.5, "width": 0.6, "height": 0.1}
    body["zones"][1] = {**body["zones"][1], "zone_id": "a"}
    body["zones"][2] = {"zone_id": "c", "name": "C", "capacity": 10, "polygon": [[0.1, 0.1], [0.2, 1.2]]}
    del body["zones"][3]["bounds"]
    found = problems(body)
    assert found == {
        "/zones/0/bounds/width": "reaches past the right edge (x + width must be at most 1)",
        "/zones/1/zone_id": "duplicate zone id 'a' (first at /zones/0)",
        "/zones/2/polygon": "a polygon needs at least 3 points",
        "/zones/2/polygon/1": "both coordinates must be between 0 and 1",
        "/zones/3": "needs `bounds` or a `polygon`",
    }


def test_many_problems_are_listed_at_once() -> None:
    body = seated([seat(1, x=2.0), seat(1), seat(0)], [])
    body["name"] = "  "
    body["viewport"] = {"width": 0, "height": 1, "unit": "cm"}
    body["sections"].append({"label": "", "rows": []})
    found = problems(body)
    assert set(found) == {
        "/name",
        "/viewport/unit",
        "/viewport/width",
        "/sections/0/rows/0/seats/0/x",
        "/sections/0/rows/0/seats/1",
        "/sections/0/rows/0/seats/2/number",
        "/sections/0/rows/1/seats",
        "/sections/1/label",
        "/sections/1/rows",
    }


def test_the_list_is_capped_but_the_count_is_not() -> None:
    body = seated([seat(n + 1, x=3.0) for n in range(MAX_LISTED_PROBLEMS + 500)])
    with pytest.raises(InvalidLayout) as caught:
        build(body)
    errors = caught.value.errors
    assert len(errors) == MAX_LISTED_PROBLEMS + 1
    assert errors[-1].message == "and 500 more problem(s) not listed"
    assert caught.value.detail == f"{MAX_LISTED_PROBLEMS + 500} problem(s) with the layout"


def test_labels_that_give_the_same_seat_id_are_a_collision() -> None:
    body = seated([seat(2)], label="A_1")
    body["sections"].append({"label": "A", "rows": [{"label": "1_1", "seats": [seat(2)]}]})
    found = problems(body)
    assert found == {
        "/sections/1/rows/0/seats/0": "its seat id collides with the seat at /sections/0/rows/0/seats/0; change a label"
    }


def test_labels_are_trimmed_and_numbers_and_coordinates_normalized() -> None:
    body = seated([seat(1, x=0, y=1)], label=" A ")
    content = build(body)
    assert content.sections[0].label == "A"
    only = content.sections[0].rows[0].seats[0]
    assert (type(only.x), type(only.y)) == (float, float)


def test_a_focal_point_and_seat_ranks_are_checked_like_the_rest() -> None:
    body = {**seated([seat(1, rank=0), seat(2, rank=3)]), "focal_point": {"x": 1.5, "y": 0.2}}
    assert problems(body) == {
        "/sections/0/rows/0/seats/0/rank": "must be between 1 and 1000000 (lower is better)",
        "/focal_point/x": "must be between 0 and 1 (the viewport's normalized coordinates)",
    }
    content = build({**seated([seat(1, rank=2), seat(2)]), "focal_point": {"x": 0.5, "y": 1.0}})
    assert content.focal_point is not None and (content.focal_point.x, content.focal_point.y) == (0.5, 1.0)
    assert [s.rank for _, _, s in content.seats()] == [2, None]


def test_a_layout_without_focal_point_or_ranks_keeps_the_canonical_form_it_had() -> None:
    content = build(seated([seat(1), seat(2)]))
    encoded = msgspec.json.encode(content)
    assert b"focal_point" not in encoded and b"rank" not in encoded
