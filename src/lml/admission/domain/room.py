"""A show's waiting room as its operator sets it: whether it is on, when buyers may join (before the
sale opens: the pre-queue), how fast buyers are let in, how many admitted buyers may hold a pass at
once, and how long an unused pass lasts.

    WaitingRoom.configure(...)  → every bad field named at once (InvalidInput)
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from lml.platform.domain.errors import FieldError, InvalidInput

PASS_SECONDS_DEFAULT = 600
PASS_SECONDS_MIN, PASS_SECONDS_MAX = 60, 3600
ADMIT_PER_MINUTE_MAX = 100_000
MAX_ACTIVE_MAX = 1_000_000


class WaitingRoom(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    organization_id: str
    enabled: bool
    opens_at: datetime
    admit_per_minute: int
    max_active: int
    pass_seconds: int = PASS_SECONDS_DEFAULT
    paused: bool = False
    updated_at: datetime

    @classmethod
    def configure(
        cls, *, show_id: str, organization_id: str, enabled: bool, opens_at: datetime, admit_per_minute: int,
        max_active: int, pass_seconds: int, on_sale_at: datetime | None, paused: bool, now: datetime,
    ) -> WaitingRoom:
        """`on_sale_at`: when the show's sale opens (None: not yet put on sale). Raises InvalidInput."""
        problems = [FieldError(path, message) for path, message in (
            ("/opens_at", _opens_problem(opens_at, on_sale_at, now)),
            ("/admit_per_minute", _range_problem(admit_per_minute, 1, ADMIT_PER_MINUTE_MAX)),
            ("/max_active", _range_problem(max_active, 1, MAX_ACTIVE_MAX)),
            ("/pass_seconds", _range_problem(pass_seconds, PASS_SECONDS_MIN, PASS_SECONDS_MAX)),
        ) if message]
        if problems:
            raise InvalidInput(problems)
        return cls(show_id=show_id, organization_id=organization_id, enabled=enabled, opens_at=opens_at,
                   admit_per_minute=admit_per_minute, max_active=max_active, pass_seconds=pass_seconds,
                   paused=paused, updated_at=now)

    def with_pause(self, paused: bool, now: datetime) -> WaitingRoom:
        return msgspec.structs.replace(self, paused=paused, updated_at=now)


def _opens_problem(opens_at: datetime, on_sale_at: datetime | None, now: datetime) -> str | None:
    """A room opens before the sale it queues for; for a sale open already (a surge met mid-sale), a
    room opens now or has opened: one opening later would shut the sale until then."""
    if opens_at.tzinfo is None:
        return "must carry a timezone (RFC 3339)"
    if on_sale_at is not None and opens_at > max(on_sale_at, now):
        return f"must be no later than the show's on-sale time ({on_sale_at.isoformat()}), or now once it has passed"
    return None


def _range_problem(value: int, low: int, high: int) -> str | None:
    if not low <= value <= high:
        return f"must be between {low} and {high}"
    return None
