"""Orders for the domain tests, built in one line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lml.ordering.domain.order import Buyer, Order, OrderLine, OrderStatus, Payment

NOW = datetime(2027, 3, 1, 18, 0, tzinfo=UTC)


def an_order(*, status: OrderStatus = OrderStatus.PENDING_PAYMENT, seats: int = 2, ga: int = 0,
             price: int = 5000, fee: int = 250) -> Order:
    lines = [OrderLine(tier_id="stalls", tier_name="Stalls", unit_price=price, unit_fee=fee,
                       seat_id=f"{n:016x}", seat_label=f"A-1-{n}") for n in range(1, seats + 1)]
    if ga:
        lines.append(OrderLine(tier_id="floor", tier_name="Floor", unit_price=price // 2, unit_fee=0,
                               quantity=ga, zone_id="floor"))
    return Order(
        order_id="0190a0b0-0000-7000-8000-000000000001",
        organization_id="0190a0b0-0000-7000-8000-0000000000aa",
        show_id="0190a0b0-0000-7000-8000-0000000000bb",
        hold_id="hold-1",
        buyer=Buyer(kind="user", subject="u1", email="ann@example.com", name="Ann"),
        status=status,
        currency="USD",
        lines=tuple(lines),
        expires_at=NOW + timedelta(minutes=10),
        created_at=NOW,
        show_starts_at=NOW + timedelta(days=30),
    )


def payment_for(order: Order, pi: str = "pi_1") -> Payment:
    return Payment(payment_intent_id=pi, amount=order.total, currency="usd")
