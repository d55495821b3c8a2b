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


# How often a buyer in line is told to ask again: never sooner than this, never later than that.
POLL_MIN_SECONDS, POLL_MAX_SECONDS = 2, 60


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


def poll_after_seconds(waiting: int, polls_per_second: int) -> int:
    """One interval for everyone in line, so that their polls together stay within the budget the
    API serves for one room (`waiting / interval ≤ polls_per_second`)."""
    return max(POLL_MIN_SECONDS, min(POLL_MAX_SECONDS, math.ceil(waiting / polls_per_second)))
