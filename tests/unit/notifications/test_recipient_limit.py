"""The per-recipient limit: a loop cannot flood an inbox, and a buyer's mail about distinct orders
always goes through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lml.notifications.domain.message import Message, MessageKind, new_message
from lml.notifications.domain.recipient import Channel
from lml.notifications.domain.recipient_limit import RecentMessage, RecipientLimit

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LIMIT = RecipientLimit(window=timedelta(hours=1), per_order_and_kind=3, others=10)


def about_order(order_id: str, kind: MessageKind = MessageKind.ORDER_CONFIRMATION) -> Message:
    data = {"pay_before": AT.isoformat()} if kind is MessageKind.PAYMENT_FAILED else None
    return new_message(message_id="m", kind=kind, channel=Channel.EMAIL, recipient="a@example.com",
                       event_key=f"e-{order_id}", at=AT, order_id=order_id, data=data)


def reset() -> Message:
    return new_message(message_id="m", kind=MessageKind.PASSWORD_RESET, channel=Channel.EMAIL,
                       recipient="a@example.com", event_key="r", at=AT, secret="token")


def recent(kind: MessageKind, order_id: str | None, minutes_ago: int = 5) -> RecentMessage:
    return RecentMessage(kind=kind, order_id=order_id, created_at=AT - timedelta(minutes=minutes_ago))


def test_confirmations_of_many_distinct_orders_all_go_through() -> None:
    earlier = [recent(MessageKind.ORDER_CONFIRMATION, f"o{n}") for n in range(50)]

    assert LIMIT.refusal(about_order("o50"), earlier) is None


def test_order_mail_is_not_held_back_by_a_flood_of_other_mail() -> None:
    earlier = [recent(MessageKind.PASSWORD_RESET, None) for _ in range(40)]

    assert LIMIT.refusal(about_order("o1"), earlier) is None


def test_the_same_kind_about_one_order_is_held_back_past_its_allowance_until_the_oldest_leaves_the_window() -> None:
    earlier = [recent(MessageKind.ORDER_CONFIRMATION, "o1", minutes_ago=m) for m in (50, 30, 10)]

    refusal = LIMIT.refusal(about_order("o1"), earlier)

    assert refusal is not None
    assert refusal.reason == "3 order_confirmation messages about this order to this recipient in 60 minutes"
    assert refusal.retry_at == AT + timedelta(minutes=10)
    assert LIMIT.refusal(about_order("o1", MessageKind.PAYMENT_FAILED), earlier) is None
    assert LIMIT.refusal(about_order("o1"), earlier[1:]) is None


def test_mail_about_no_order_is_held_back_past_its_allowance_whatever_the_order_mail() -> None:
    earlier = [recent(MessageKind.ANNOUNCEMENT, None) for _ in range(5)]
    earlier += [recent(MessageKind.PASSWORD_RESET, None) for _ in range(5)]
    earlier += [recent(MessageKind.ORDER_CONFIRMATION, f"o{n}") for n in range(20)]

    refusal = LIMIT.refusal(reset(), earlier)

    assert refusal is not None and refusal.reason == "10 messages to this recipient in 60 minutes"
    assert LIMIT.refusal(reset(), earlier[1:]) is None
