"""What the catalog refuses, each named for what happened; the problem mapping picks the status by base class."""

from __future__ import annotations

from typing import Any

from lml.platform.domain.errors import Conflict, FieldError, InvalidInput, NotFound


class EventNotFound(NotFound):
    """The event does not exist."""


class ShowNotFound(NotFound):
    """The show does not exist."""


class InvalidTransition(Conflict):
    """The resource cannot move to that status from the one it is in."""

    def __init__(self, what: str, current: str, wanted: str) -> None:
        super().__init__(f"A {current} {what} cannot become {wanted}", current_status=current, wanted_status=wanted)


class EventNotEditable(Conflict):
    """A cancelled event cannot be changed."""


class VenueLocked(Conflict):
    """The venue of an event is fixed once it is published or has shows."""


class ShowNotEditable(Conflict):
    """Only a draft show (not yet on sale) can be changed."""


class EventNotPublished(Conflict):
    """A show goes on sale only once its event is published."""


class SaleWindowClosed(Conflict):
    """The show's sale window has closed; it cannot go on sale."""


class LayoutChanged(Conflict):
    """The pinned layout no longer matches its content hash."""


class UnpricedSeats(InvalidInput):
    """Seats or GA zones resolve to no price tier: the show cannot go on sale."""

    # The problem lists every seat id up to this many (and always the count): enough to fix a
    # pricing mistake, without a megabyte answer when a whole 100k-seat layout is unpriced.
    MAX_LISTED = 500

    def __init__(self, errors: list[FieldError], seat_ids: list[str], zone_ids: list[str]) -> None:
        super().__init__(
            errors, detail=f"{len(seat_ids)} seat(s) and {len(zone_ids)} GA zone(s) have no price tier"
        )
        extra: dict[str, Any] = {
            "unpriced_seat_count": len(seat_ids),
            "unpriced_seats": seat_ids[: self.MAX_LISTED],
            "unpriced_zones": zone_ids,
        }
        self.extensions.update(extra)
