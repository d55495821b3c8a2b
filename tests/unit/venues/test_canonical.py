"""The canonical form: sorted keys, no whitespace, the same bytes after a trip through a document store."""

from __future__ import annotations

import hashlib

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from lml.venues.domain.canonical import canonical_json, content_hash, hash_matches
from lml.venues.domain.layout import LayoutContent, LayoutDraft
from lml.venues.domain.layout_rules import build_layout
from tests.fixtures.venues import layout_json

LAYOUT_ID = "0190a0b0-0000-7000-8000-000000000002"


def build(body: dict[str, object], version: int = 1) -> LayoutContent:
    return build_layout(LAYOUT_ID, version, msgspec.convert(body, LayoutDraft))


def test_keys_are_sorted_and_there_is_no_whitespace() -> None:
    body = canonical_json(build(layout_json(2, zones={"floor": 10})))
    assert b" " not in body.replace(b'"Section 1"', b"").replace(b'"Main Hall"', b"")
    decoded = msgspec.json.decode(body)
    assert list(decoded) == sorted(decoded)
    first_seat = decoded["sections"][0]["rows"][0]["seats"][0]
    assert list(first_seat) == sorted(first_seat)


def test_the_hash_is_the_sha256_of_the_canonical_bytes() -> None:
    content = build(layout_json(5))
    assert content_hash(content) == hashlib.sha256(canonical_json(content)).hexdigest()
    assert hash_matches(content, content_hash(content))


def test_defaults_are_left_out_and_flags_kept() -> None:
    body = layout_json(2)
    body["sections"][0]["rows"][0]["seats"][1].update(accessible=True, category="premium")
    seats = msgspec.json.decode(canonical_json(build(body)))["sections"][0]["rows"][0]["seats"]
    assert set(seats[0]) == {"seat_id", "number", "x", "y"}
    assert seats[1]["accessible"] is True and seats[1]["category"] == "premium"


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=30))
def test_the_bytes_survive_a_trip_through_plain_documents(xs: list[float]) -> None:
    body = layout_json(len(xs))
    for row in body["sections"][0]["rows"]:
        for s in row["seats"]:
            s["x"] = xs[s["number"] - 1 + 10 * (int(row["label"]) - 1)]
    content = build(body)
    stored = msgspec.to_builtins(content)  # what a document store keeps
    assert canonical_json(msgspec.convert(stored, LayoutContent)) == canonical_json(content)


def test_integer_coordinates_hash_like_their_float_values() -> None:
    as_ints = layout_json(1)
    as_ints["sections"][0]["rows"][0]["seats"][0].update(x=1, y=0)
    as_floats = layout_json(1)
    as_floats["sections"][0]["rows"][0]["seats"][0].update(x=1.0, y=0.0)
    assert canonical_json(build(as_ints)) == canonical_json(build(as_floats))


def test_any_change_changes_the_hash() -> None:
    body = layout_json(3)
    before = content_hash(build(body))
    body["sections"][0]["rows"][0]["seats"][2]["y"] += 0.0001
    assert content_hash(build(body)) != before
    assert content_hash(build(layout_json(3), version=2)) != before
