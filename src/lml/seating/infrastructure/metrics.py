"""Seating's metrics: holds as Redis decided them, shows rebuilt in Redis, availability streams open.

Counted by the adapters where each thing happens; the labels are bounded (a refusal's reason, never a
show or a buyer)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from lml.seating.domain.hold import HoldPlaced, HoldRefused, PlaceOutcome

HOLDS_PLACED = Counter("lml_holds_placed", "Holds placed")
HOLDS_REFUSED = Counter("lml_holds_refused", "Holds refused, by the reason the buyer is told", ["reason"])
# Every show is loaded into Redis at its first hold; more than that means Redis lost its data.
SHOWS_LOADED = Counter("lml_seating_shows_loaded", "Shows' inventories (re)built in Redis from PostgreSQL")
STREAMS_OPEN = Gauge("lml_availability_streams_open", "Availability SSE streams open",
                     multiprocess_mode="livesum")


def count_hold(outcome: PlaceOutcome) -> None:
    if isinstance(outcome, HoldPlaced):
        HOLDS_PLACED.inc()
    elif isinstance(outcome, HoldRefused):
        HOLDS_REFUSED.labels(outcome.reason).inc()
