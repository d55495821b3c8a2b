"""Best available: the buyer asks for a quantity, the server picks the seats.

The rules, as the hold store applies them atomically (lua/best_available.lua) and as the plain
Python below states them (the in-memory store uses it, and a property test holds the Lua to it):

- Candidates are the seats free right now (available, not held) that match the request's tier and
  sections, in rank order (best first).
- `together`: the block of `quantity` side-by-side candidates in one row that contains the best
  candidate any such block can contain; among the blocks containing it, the lowest sum of ranks,
  then the leftmost.
- apart: the best candidates one by one, in rank order.
- With the show's single-seat rule on, no choice leaves a free seat alone: a free seat whose
  neighbours on both sides (or on its one side, at the row's edge) are taken once the choice is
  held. A block (together) that would is passed over; a candidate (apart) that would takes the seat
  it would leave alone with it when that one is a candidate too, the request has room for both and
  the pair leaves no seat alone, and is passed over otherwise.
- No choice: the refusal says the largest block one request could have together (the longest run
  of free candidates in a row) and how many seats one request could have apart (what the chooser
  would pick apart with no limit)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import msgspec

from lml.platform.domain.errors import FieldError, InvalidInput

# Whose holds the single-seat rule checks: best-available choices only (the default), every hold
# (explicit seats too), or none.
SingleSeatRule = Literal["best_available", "all_holds", "off"]
SINGLE_SEAT_RULES: tuple[SingleSeatRule, ...] = ("best_available", "all_holds", "off")
DEFAULT_SINGLE_SEAT_RULE: SingleSeatRule = "best_available"
MAX_SECTIONS = 50
MAX_QUANTITY = 100


class BestAvailable(msgspec.Struct, frozen=True, kw_only=True):
    quantity: int
    tier_id: str | None = None
    sections: tuple[str, ...] = ()
    together: bool = True

    def check(self) -> None:
        errors: list[FieldError] = []
        if not 1 <= self.quantity <= MAX_QUANTITY:
            errors.append(FieldError("/best_available/quantity", f"must be between 1 and {MAX_QUANTITY}"))
        if self.tier_id is not None and not 1 <= len(self.tier_id) <= 64:
            errors.append(FieldError("/best_available/tier_id", "is not a price tier id"))
        if len(self.sections) > MAX_SECTIONS:
            errors.append(FieldError("/best_available/sections", f"at most {MAX_SECTIONS} sections"))
        else:
            errors.extend(FieldError(f"/best_available/sections/{i}", "must be 1 to 32 characters")
                          for i, section in enumerate(self.sections) if not 1 <= len(section) <= 32)
        if errors:
            raise InvalidInput(errors, detail="; ".join(f"{e.path}: {e.message}" for e in errors))


class Spot(msgspec.Struct, frozen=True, array_like=True):
    """A seat as the chooser sees it: its place, and whether it is free right now."""

    seat_id: str
    rank: int
    free: bool
    tier_id: str | None
    section: str


class Shortfall(msgspec.Struct, frozen=True):
    together: int
    apart: int


Row = Sequence[Spot]


def leaves_single_seat(is_free: Callable[[int], bool], length: int, positions: Sequence[int]) -> int | None:
    """The position of a free seat left alone once `positions` are taken (`is_free` already says
    they are not free), or None. Only a neighbour of a taken seat can become alone."""
    for pos in positions:
        for step in (-1, 1):
            neighbour, beyond = pos + step, pos + 2 * step
            if 0 <= neighbour < length and is_free(neighbour) and not (0 <= beyond < length and is_free(beyond)):
                return neighbour
    return None


def _matches(spot: Spot, ask: BestAvailable) -> bool:
    return (ask.tier_id is None or spot.tier_id == ask.tier_id) and (not ask.sections or spot.section in ask.sections)


def _candidates(rows: Sequence[Row], ask: BestAvailable) -> list[tuple[int, int, int]]:
    """(rank, row, position) of every free seat the request may have, best first."""
    found = [(spot.rank, r, p) for r, row in enumerate(rows) for p, spot in enumerate(row)
             if spot.free and _matches(spot, ask)]
    return sorted(found)


def free_besides(row: Row, taken: set[int] | range) -> Callable[[int], bool]:
    def is_free(pos: int) -> bool:
        return row[pos].free and pos not in taken

    return is_free


def _block(rows: Sequence[Row], ask: BestAvailable, avoid_single: bool, r: int, p: int) -> list[int] | None:
    """The best block of `quantity` candidates in row r containing position p, or None."""
    row, n = rows[r], ask.quantity
    best: tuple[int, int] | None = None
    for start in range(p - n + 1, p + 1):
        block = range(start, start + n)
        if start < 0 or start + n > len(row) or not all(row[i].free and _matches(row[i], ask) for i in block):
            continue
        if avoid_single and leaves_single_seat(free_besides(row, block), len(row), [start, start + n - 1]) is not None:
            continue
        score = (sum(row[i].rank for i in block), start)
        if best is None or score < best:
            best = score
    return None if best is None else list(range(best[1], best[1] + n))


def _apart(rows: Sequence[Row], ask: BestAvailable, avoid_single: bool, limit: int | None) -> list[tuple[int, int]]:
    taken: dict[int, set[int]] = {}
    chosen: list[tuple[int, int]] = []
    for _, r, p in _candidates(rows, ask):
        if limit is not None and len(chosen) == limit:
            break
        row, in_row = rows[r], taken.setdefault(r, set())
        if p in in_row:
            continue  # taken already, as the partner of a better seat
        alone = leaves_single_seat(free_besides(row, in_row | {p}), len(row), [p]) if avoid_single else None
        if alone is None:
            in_row.add(p)
            chosen.append((r, p))
        elif ((limit is None or limit - len(chosen) >= 2) and _matches(row[alone], ask)
              and leaves_single_seat(free_besides(row, in_row | {p, alone}), len(row), [p, alone]) is None):
            # The seat it would leave alone comes with it, when the request has room for both.
            in_row |= {p, alone}
            chosen += [(r, p), (r, alone)]
    return chosen


def _longest_run(rows: Sequence[Row], ask: BestAvailable) -> int:
    longest = 0
    for row in rows:
        run = 0
        for spot in row:
            run = run + 1 if spot.free and _matches(spot, ask) else 0
            longest = max(longest, run)
    return longest


def choose(rows: Sequence[Row], ask: BestAvailable, *, avoid_single: bool) -> list[str] | Shortfall:
    """The seat ids chosen (best first for apart, left to right for together), or what is left."""
    if ask.together:
        for _, r, p in _candidates(rows, ask):
            block = _block(rows, ask, avoid_single, r, p)
            if block is not None:
                return [rows[r][i].seat_id for i in block]
    else:
        picks = _apart(rows, ask, avoid_single, ask.quantity)
        if len(picks) == ask.quantity:
            return [rows[r][p].seat_id for r, p in picks]
    return Shortfall(together=_longest_run(rows, ask), apart=len(_apart(rows, ask, avoid_single, None)))
