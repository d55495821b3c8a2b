"""A show's sale status as buyers see it, derived from statuses, the sale window and the clock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

ShowStatus = Literal["draft", "on_sale", "cancelled"]
SaleStatus = Literal["scheduled", "on_sale", "sold_out", "off_sale", "cancelled"]


def window_opens(on_sale_at: datetime | None, went_on_sale_at: datetime | None) -> datetime | None:
    """Sales open at `on_sale_at`, but never before the show went on sale (its inventory exists)."""
    if went_on_sale_at is None:
        return None
    return max(on_sale_at, went_on_sale_at) if on_sale_at else went_on_sale_at


def sale_status(
    *,
    event_status: str,
    show_status: ShowStatus,
    opens_at: datetime | None,
    closes_at: datetime,
    now: datetime,
    sold_out: bool = False,
) -> SaleStatus:
    """`opens_at` is None until the show's inventory exists (a draft show is announced, not sold).
    `sold_out` is only looked at inside the window: before it a show is scheduled, after it off sale."""
    if event_status == "cancelled" or show_status == "cancelled":
        return "cancelled"
    if show_status == "draft" or opens_at is None or now < opens_at:
        return "scheduled"
    if now >= closes_at:
        return "off_sale"
    return "sold_out" if sold_out else "on_sale"


def next_change(now: datetime, moments: Iterable[datetime | None]) -> datetime | None:
    """The first of `moments` after `now`: until then a time-derived status cannot change."""
    future = [m for m in moments if m is not None and m > now]
    return min(future) if future else None
