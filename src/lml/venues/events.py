"""Integration events venues publishes (through the outbox, after the change commits)."""

from __future__ import annotations

import msgspec


class VenueCreated(msgspec.Struct, frozen=True, kw_only=True):
    org_id: str
    venue_id: str
    name: str
    city: str
    country: str | None
    timezone: str


class LayoutPublished(msgspec.Struct, frozen=True, kw_only=True):
    """A layout version became pinnable: (`layout_id`, `version`, `hash`) names it forever."""

    org_id: str
    venue_id: str
    layout_id: str
    version: int
    hash: str
    layout_type: str
    seat_count: int
    zone_capacity: int


class LayoutArchived(msgspec.Struct, frozen=True, kw_only=True):
    """No new show may pin this version; shows that pinned it keep it."""

    org_id: str
    venue_id: str
    layout_id: str
    version: int
