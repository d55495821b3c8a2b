"""Seat quality and the best-available chooser, the plain rules the Lua script is held to."""

from __future__ import annotations

from lml.seating.domain.best_available import BestAvailable, Shortfall, Spot, choose
from lml.seating.domain.seat_quality import SeatGeometry, VenueGeometry, rank_seats

CENTRE_TOP = VenueGeometry(focal_point=(0.5, 0.0), viewport=(1.0, 1.0))


def test_the_layouts_own_ranks_win_then_distance_to_the_focal_point_then_row_order() -> None:
    seats = [SeatGeometry("a1", "A", "1", 0.1, 0.1), SeatGeometry("a2", "A", "1", 0.5, 0.1),
             SeatGeometry("a3", "A", "1", 0.9, 0.1), SeatGeometry("b1", "A", "2", 0.5, 0.9, rank=7)]
    plan = rank_seats(seats, CENTRE_TOP)
    ranks = {p.seat_id: p.rank for p in plan.places}
    assert ranks == {"b1": 1, "a2": 2, "a1": 3, "a3": 4}  # a1 and a3 tie on distance: row then position
    assert [(p.seat_id, p.row_no, p.row_pos) for p in plan.places if p.seat_id in ("a3", "b1")] == [
        ("b1", 1, 0), ("a3", 0, 2)]
    assert [(r.section, r.label) for r in plan.rows] == [("A", "1"), ("A", "2")]


def test_distances_are_measured_in_the_viewports_proportions() -> None:
    wide = VenueGeometry(focal_point=(0.5, 0.0), viewport=(10.0, 1.0))
    seats = [SeatGeometry("side", "A", "1", 0.6, 0.0), SeatGeometry("back", "A", "2", 0.5, 0.5)]
    assert [p.seat_id for p in sorted(rank_seats(seats, wide).places, key=lambda p: p.rank)] == ["back", "side"]
    assert [p.seat_id for p in sorted(rank_seats(seats, CENTRE_TOP).places, key=lambda p: p.rank)] == [
        "side", "back"]


def row(ranks: list[int], free: str, name: str = "r") -> list[Spot]:
    pairs = enumerate(zip(ranks, free, strict=True))
    return [Spot(f"{name}{i}", rank, flag == "1", "std", "A") for i, (rank, flag) in pairs]


def test_together_takes_the_block_holding_the_best_seat_then_the_lowest_sum() -> None:
    seats = row([5, 3, 1, 2, 4], "11111")
    assert choose([seats], BestAvailable(quantity=2), avoid_single=False) == ["r2", "r3"]
    assert choose([seats], BestAvailable(quantity=3), avoid_single=False) == ["r1", "r2", "r3"]


def test_the_single_seat_rule_passes_over_a_block_that_would_leave_a_seat_alone() -> None:
    seats = row([4, 1, 2, 3, 5], "11111")
    assert choose([seats], BestAvailable(quantity=2), avoid_single=False) == ["r1", "r2"]  # leaves r0 alone
    assert choose([seats], BestAvailable(quantity=2), avoid_single=True) == ["r0", "r1"]  # still holds r1


def test_apart_takes_a_seat_with_the_one_it_would_leave_alone_when_there_is_room() -> None:
    seats = row([1, 9, 2, 3], "1101")  # r0 r1 free, r2 taken, r3 free
    assert choose([seats], BestAvailable(quantity=2, together=False), avoid_single=True) == ["r0", "r1"]
    # For one seat only the lone r3 can go without leaving anyone alone.
    assert choose([seats], BestAvailable(quantity=1, together=False), avoid_single=True) == ["r3"]


def test_no_fit_says_how_many_could_be_had_together_and_apart() -> None:
    rows = [row([1, 2, 3, 4], "1101", "a"), row([5, 6], "11", "b")]
    assert choose(rows, BestAvailable(quantity=3), avoid_single=False) == Shortfall(together=2, apart=5)
    assert choose(rows, BestAvailable(quantity=3, sections=("B",)), avoid_single=False) == Shortfall(0, 0)
