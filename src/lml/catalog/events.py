"""Integration events published by catalog (through the outbox, at least once)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class ShowWentOnSale(msgspec.Struct, frozen=True, kw_only=True):
    """The show's inventory exists: seating may warm its caches, buyers may hold once the window opens."""

    show_id: str
    event_id: str
    org_id: str
    seats: int
    zones: int
    at: datetime


class ShowCancelled(msgspec.Struct, frozen=True, kw_only=True):
    """The show will not take place: holds are void, paid orders are due a refund."""

    show_id: str
    event_id: str
    org_id: str
    at: datetime


class EventCancelled(msgspec.Struct, frozen=True, kw_only=True):
    """Every show of the event is cancelled too (each with its own ShowCancelled)."""

    event_id: str
    org_id: str
    at: datetime
