"""Seat ids: deterministic, fixed length, distinct for distinct seats, stable across versions."""

from __future__ import annotations

import hashlib

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from lml.venues.domain.layout import LayoutDraft
from lml.venues.domain.layout_rules import build_layout
from lml.venues.domain.seat_ids import SEAT_ID_LENGTH, seat_id
from tests.fixtures.venues import layout_json

layout_ids = st.uuids().map(str)
# Labels without "_" map seats to distinct keys; labels with it are the collision case (see the rules).
labels = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="_"), min_size=1, max_size=8)
numbers = st.integers(min_value=1, max_value=10_000)
seats = st.tuples(labels, labels, numbers)


def test_the_id_is_the_documented_digest() -> None:
    expected = hashlib.sha256(b"L1_A_12_7").hexdigest()[:SEAT_ID_LENGTH]
    assert seat_id("L1", "A", "12", 7) == expected
    assert SEAT_ID_LENGTH >= 16


@given(layout_ids, seats)
def test_the_same_input_always_gives_the_same_id(layout_id: str, key: tuple[str, str, int]) -> None:
    first = seat_id(layout_id, *key)
    assert first == seat_id(layout_id, *key)
    assert len(first) == SEAT_ID_LENGTH
    assert set(first) <= set("0123456789abcdef")


@given(layout_ids, st.sets(seats, min_size=2, max_size=300))
def test_distinct_seats_get_distinct_ids(layout_id: str, keys: set[tuple[str, str, int]]) -> None:
    ids = {seat_id(layout_id, *key) for key in keys}
    assert len(ids) == len(keys)


@given(st.tuples(layout_ids, layout_ids).filter(lambda pair: pair[0] != pair[1]), seats)
def test_another_layout_gives_other_ids(pair: tuple[str, str], key: tuple[str, str, int]) -> None:
    assert seat_id(pair[0], *key) != seat_id(pair[1], *key)


@given(layout_ids, st.integers(min_value=1, max_value=60), st.floats(min_value=0, max_value=1))
def test_a_new_version_keeps_the_seat_ids_even_when_seats_move(layout_id: str, count: int, shift: float) -> None:
    body = layout_json(count, sections=2 if count > 1 else 1)
    first = build_layout(layout_id, 1, msgspec.convert(body, LayoutDraft))
    for section in body["sections"]:
        for row in section["rows"]:
            for s in row["seats"]:
                s["x"] = shift
    second = build_layout(layout_id, 2, msgspec.convert(body, LayoutDraft))
    assert [s.seat_id for _, _, s in first.seats()] == [s.seat_id for _, _, s in second.seats()]
    assert len({s.seat_id for _, _, s in first.seats()}) == count
