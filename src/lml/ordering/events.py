"""Integration events published by ordering (through the outbox, after the change commits)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec


class OrderPlaced(msgspec.Struct, frozen=True, kw_only=True):
    """An order awaits payment until `expires_at`; its seats are reserved and its hold is spent."""

    order_id: str
    organization_id: str
    show_id: str
    hold_id: str
    expires_at: datetime


class OrderPaid(msgspec.Struct, frozen=True, kw_only=True):
    """Paid: the order's seats are sold and its tickets issued."""

    order_id: str
    organization_id: str
    show_id: str
    total: int
    currency: str


class OrderReleased(msgspec.Struct, frozen=True, kw_only=True):
    """An unpaid order let its seats go (`expired` or `cancelled`); its PaymentIntent must be cancelled."""

    order_id: str
    organization_id: str
    show_id: str
    reason: Literal["expired", "cancelled"]


class OrderRefunded(msgspec.Struct, frozen=True, kw_only=True):
    """All of the order's money went back: tickets void, seats back on sale if the show is ahead."""

    order_id: str
    organization_id: str
    show_id: str
    amount_refunded: int
    seats_returned: bool


class PaymentFailed(msgspec.Struct, frozen=True, kw_only=True):
    """The buyer's payment failed (`reason` as Stripe gave it); the order still waits for one until
    `pay_before`, its seats kept."""

    order_id: str
    organization_id: str
    show_id: str
    reason: str
    pay_before: datetime


class RefundSucceeded(msgspec.Struct, frozen=True, kw_only=True):
    """Stripe refunded `amount` of the order (minor units of `currency`); `remaining` is what the
    order still holds of what was paid."""

    order_id: str
    organization_id: str
    show_id: str
    refund_id: str
    amount: int
    remaining: int
    currency: str


class ShowCancelledForOrder(msgspec.Struct, frozen=True, kw_only=True):
    """The order's show was cancelled after it was paid: its tickets are void and `refund_amount`
    is on its way back (0 when what was left to refund was already on its way)."""

    order_id: str
    organization_id: str
    show_id: str
    refund_amount: int
