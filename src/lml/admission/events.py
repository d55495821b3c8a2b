"""Integration events the admission context publishes."""

from __future__ import annotations

from datetime import datetime

import msgspec


class WaitingRoomConfigured(msgspec.Struct, frozen=True, kw_only=True):
    """An operator set (or paused, or resumed) a show's waiting room."""

    show_id: str
    organization_id: str
    enabled: bool
    paused: bool
    opens_at: datetime
    admit_per_minute: int
    max_active: int
    pass_seconds: int
