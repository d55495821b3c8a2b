"""A waiting room's settings: every bad field named at once; and what buyers in line are told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lml.admission.domain.entry import estimated_wait_seconds, poll_after_seconds
from lml.admission.domain.room import WaitingRoom
from lml.platform.domain.errors import InvalidInput

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def configure(**overrides: object) -> WaitingRoom:
    fields: dict[str, object] = {
        "show_id": "s", "organization_id": "o", "enabled": True, "opens_at": NOW, "admit_per_minute": 100,
        "max_active": 500, "pass_seconds": 600, "on_sale_at": NOW + timedelta(hours=1), "paused": False, "now": NOW}
    return WaitingRoom.configure(**{**fields, **overrides})  # type: ignore[arg-type]


def test_a_room_opens_before_the_sale_it_queues_for() -> None:
    assert configure().opens_at == NOW
    assert configure(on_sale_at=None).enabled  # a show not yet put on sale may get its room first


def test_a_sale_open_already_gets_a_room_open_now_not_later() -> None:
    on_sale_an_hour_ago = NOW - timedelta(hours=1)
    assert configure(opens_at=NOW, on_sale_at=on_sale_an_hour_ago).opens_at == NOW
    with pytest.raises(InvalidInput):
        configure(opens_at=NOW + timedelta(minutes=5), on_sale_at=on_sale_an_hour_ago)


def test_every_bad_field_is_named() -> None:
    with pytest.raises(InvalidInput) as refused:
        configure(opens_at=NOW + timedelta(hours=2), admit_per_minute=0, max_active=0, pass_seconds=30)
    assert sorted(e.path for e in refused.value.errors) == [
        "/admit_per_minute", "/max_active", "/opens_at", "/pass_seconds"]


def test_a_wait_is_those_ahead_at_the_room_s_pace() -> None:
    assert [estimated_wait_seconds(p, 60) for p in (1, 2, 61)] == [0, 1, 60]
    assert estimated_wait_seconds(1001, 100) == 600


@pytest.mark.parametrize(("waiting", "admit_per_minute", "budget"), [
    (50_000, 6000, 1000), (50_000, 60_000, 1000), (1_000_000, 6000, 1000), (300, 60, 1000), (10, 100_000, 50),
])
def test_the_whole_line_s_polls_stay_within_the_room_s_budget(waiting: int, admit_per_minute: int, budget: int) -> None:
    intervals = [poll_after_seconds(position=p, waiting=waiting, admit_per_minute=admit_per_minute,
                                    polls_per_second=budget) for p in range(1, waiting + 1)]
    assert sum(1 / t for t in intervals) <= budget
    assert min(intervals) >= 2  # never sooner than 2 s
    assert intervals == sorted(intervals)  # nobody behind asks more often than anyone ahead


def test_those_whose_turn_is_near_ask_when_it_should_come() -> None:
    def poll(position: int) -> int:
        return poll_after_seconds(position=position, waiting=50_000, admit_per_minute=600, polls_per_second=1000)

    assert (poll(1), poll(101), poll(50_000)) == (2, 10, 67)
    assert poll_after_seconds(position=None, waiting=50_000, admit_per_minute=600, polls_per_second=1000) == 67
