"""An order's show sale status, from seating's copy of its terms: the catalog's rule for buyers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lml.ordering.domain.checkout import sale_status

OPENS = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
CLOSES = OPENS + timedelta(days=3)


@pytest.mark.parametrize(("cancelled", "opens_at", "now", "expected"), [
    (False, OPENS, OPENS - timedelta(seconds=1), "scheduled"),
    (False, None, OPENS, "scheduled"),
    (False, OPENS, OPENS, "on_sale"),
    (False, OPENS, CLOSES - timedelta(seconds=1), "on_sale"),
    (False, OPENS, CLOSES, "off_sale"),
    (True, OPENS, OPENS + timedelta(hours=1), "cancelled"),
    (True, None, OPENS, "cancelled"),
])
def test_a_shows_sale_status_follows_cancellation_then_its_window(
    cancelled: bool, opens_at: datetime | None, now: datetime, expected: str,
) -> None:
    assert sale_status(cancelled=cancelled, opens_at=opens_at, closes_at=CLOSES, now=now) == expected
