"""Integration events published by payments."""

from __future__ import annotations

import msgspec


class RefundRequested(msgspec.Struct, frozen=True):
    """A refund was recorded; the worker sends it to Stripe (outbox handler `payments.RefundRequested`)."""

    refund_id: str
    order_id: str
    amount: int
    currency: str
