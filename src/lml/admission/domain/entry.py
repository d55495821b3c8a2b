"""A buyer's place in a show's line, as the buyer reads it, and the rules of what they are told.

    pre_queue ──on-sale──▶ waiting ──admitted──▶ admitted
                  │   ▲                             │ pass unused until it lapses
                  ▼   │ places come back            ▼
                sold_out                     (out of the line: may join again, at its end)
    paused: the operator stopped admission;  closed: the sale is over or the room was turned off

Positions are ranks, exact at the moment they are read: the number of buyers ahead, plus one. They
only go down: nobody is ever put ahead of a buyer already placed (pre-queue buyers are ranked among
themselves at random, and all ahead of anyone who joins once the sale is open)."""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum

import msgspec


class EntryState(StrEnum):
    PRE_QUEUE = "pre_queue"
    WAITING = "waiting"
    ADMITTED = "admitted"
    PAUSED = "paused"
    SOLD_OUT = "sold_out"
    CLOSED = "closed"


# A buyer in line is never told to ask again sooner than this.
POLL_MIN_SECONDS = 2
# The share of a room's polling budget spent by everyone at one interval; the rest lets those whose
# turn comes within that interval ask when it should come.
EVERYONE_SHARE = 0.75


class QueueEntry(msgspec.Struct, frozen=True, kw_only=True):
    entry_id: str
    state: EntryState
    position: int | None  # None before the sale opens (the pre-queue is not ranked yet) and once admitted
    estimated_wait_seconds: int | None
    poll_after_seconds: int
    pass_token: str | None = None
    pass_expires_at: datetime | None = None


def estimated_wait_seconds(position: int, admit_per_minute: int) -> int:
    """How long until `position` is let in at the room's pace (those ahead are let in first)."""
    return math.ceil((position - 1) * 60 / admit_per_minute)


def poll_after_seconds(
    *, position: int | None, waiting: int, admit_per_minute: int, polls_per_second: int
) -> int:
    """When to ask again, so that the whole line's polls stay within `polls_per_second`.

    Everyone asks at one interval T, whose polls (`waiting / T`) take EVERYONE_SHARE of the budget;
    there is no ceiling on T, since a ceiling would break the budget for a line long enough. Those whose
    turn comes sooner than T ask when it should come (at least POLL_MIN_SECONDS apart): at the room's
    pace of r a second, they make about `r * (1 + ln(T / POLL_MIN_SECONDS))` polls a second; where
    that is more than the rest of the budget, their waits are stretched until it fits."""
    everyone = polls_per_second * EVERYONE_SHARE
    interval = max(POLL_MIN_SECONDS, math.ceil(waiting / everyone))
    if position is None:
        return interval
    wait = estimated_wait_seconds(position, admit_per_minute)
    if wait >= interval:
        return interval
    front = admit_per_minute / 60 * (1 + math.log(interval / POLL_MIN_SECONDS))
    stretch = max(1.0, front / (polls_per_second - everyone))
    return max(POLL_MIN_SECONDS, min(interval, math.ceil(wait * stretch)))
