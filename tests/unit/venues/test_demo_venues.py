"""The demo venues: generated seat maps that pass the rules, seeded once however often it runs."""

from __future__ import annotations

from datetime import UTC, datetime

from lml.venues.application.demo_layouts import club_layout, theatre_layout
from lml.venues.application.seed_demo import seed_demo_venues
from lml.venues.application.testing import fake_stores
from lml.venues.domain.layout_rules import build_layout
from tests.timing import TestClock

ORG = "0190a0b0-0000-7000-8000-0000000000cc"


def test_the_theatre_has_about_1200_seats_in_stalls_circle_and_boxes() -> None:
    content = build_layout("0190a0b0-0000-7000-8000-000000000010", 1, theatre_layout())
    assert content.layout_type == "seated"
    assert 1_150 <= content.seat_count <= 1_250
    assert [s.label for s in content.sections] == ["STALLS", "CIRCLE", "BOX"]
    flags = [(s.accessible, s.obstructed_view) for _, _, s in content.seats()]
    assert any(a for a, _ in flags) and any(o for _, o in flags)


def test_the_club_room_is_hybrid_with_a_standing_floor() -> None:
    content = build_layout("0190a0b0-0000-7000-8000-000000000011", 1, club_layout())
    assert content.layout_type == "hybrid"
    assert [(z.zone_id, z.capacity) for z in content.zones] == [("floor", 300)]
    assert content.seat_count == 40


async def test_seeding_twice_finds_what_the_first_run_made() -> None:
    stores, database, documents = fake_stores(TestClock(start=datetime(2030, 1, 1, 12, tzinfo=UTC)))
    first = await seed_demo_venues(stores, org_id=ORG)
    second = await seed_demo_venues(stores, org_id=ORG)
    assert first == second
    assert [v.name for v in first] == ["Lyric Theatre", "Basement Club"]
    assert all(len(v.layout_hash) == 64 and v.layout_version == 1 for v in first)
    assert len(database.state.venues) == 2 and len(documents.published_docs) == 2
