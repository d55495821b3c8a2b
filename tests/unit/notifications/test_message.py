"""A message's life: recorded queued, then sent, or failed and retried, or dead; its token never
outlives the queue; its dedupe key is one per (event, recipient, kind)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lml.notifications.domain.errors import InvalidTransition
from lml.notifications.domain.message import Message, MessageKind, MessageStatus, dedupe_key, new_message
from lml.notifications.domain.recipient import Channel
from lml.notifications.domain.retry import RetryPolicy
from lml.platform.domain.errors import InvalidInput

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NO_PATIENCE = RetryPolicy(max_attempts=3, patience=timedelta(0))


def lowest(low: float, high: float) -> float:
    return low


def confirmation(recipient: str = "Buyer@Example.com", event_key: str = "OrderPaid:o1") -> Message:
    return new_message(message_id="m1", kind=MessageKind.ORDER_CONFIRMATION, channel=Channel.EMAIL,
                       recipient=recipient, event_key=event_key, at=AT, organization_id="org", order_id="o1",
                       show_id="s1")


def password_reset() -> Message:
    return new_message(message_id="m2", kind=MessageKind.PASSWORD_RESET, channel=Channel.EMAIL,
                       recipient="user@example.com", event_key="reset:t1", at=AT, secret="one-time-token")


def test_a_new_message_is_queued_due_at_once_for_its_normalized_recipient() -> None:
    message = confirmation()

    assert (message.status, message.attempts, message.next_attempt_at) == (MessageStatus.QUEUED, 0, AT)
    assert message.recipient == "buyer@example.com"


def test_the_same_event_recipient_and_kind_make_the_same_dedupe_key_and_any_other_a_different_one() -> None:
    key = confirmation().dedupe_key

    assert confirmation(recipient=" BUYER@example.com ").dedupe_key == key
    assert confirmation(event_key="OrderPaid:o2").dedupe_key != key
    assert confirmation(recipient="other@example.com").dedupe_key != key
    assert dedupe_key("OrderPaid:o1", "buyer@example.com", MessageKind.PAYMENT_FAILED) != key


def test_a_sent_message_keeps_the_providers_id_and_loses_its_token() -> None:
    sent = password_reset().sent("<m2@lml>", AT)

    assert (sent.status, sent.attempts, sent.provider_message_id, sent.sent_at) == (
        MessageStatus.SENT, 1, "<m2@lml>", AT)
    assert sent.secret is None


def test_a_failure_is_retried_after_the_backoff_and_keeps_the_token_for_the_retry() -> None:
    failed = password_reset().failed("421 try later", AT, NO_PATIENCE, lowest)

    assert (failed.status, failed.attempts, failed.last_error) == (MessageStatus.FAILED, 1, "421 try later")
    assert failed.next_attempt_at == AT + NO_PATIENCE.base
    assert failed.secret == "one-time-token"


def test_the_last_allowed_failure_makes_it_dead_and_erases_its_token() -> None:
    message = password_reset()
    for _ in range(3):
        message = message.failed("connection refused", AT, NO_PATIENCE, lowest)

    assert (message.status, message.attempts, message.secret) == (MessageStatus.DEAD, 3, None)


def test_a_permanent_refusal_is_dead_at_the_first_attempt() -> None:
    dead = confirmation().failed("550 no such mailbox", AT, RetryPolicy(), lowest, permanent=True)

    assert (dead.status, dead.attempts, dead.last_error) == (MessageStatus.DEAD, 1, "550 no such mailbox")


def test_a_suppressed_message_is_dead_without_an_attempt_and_says_why() -> None:
    dead = password_reset().suppressed("10 messages to this recipient in 60 minutes", AT)

    assert (dead.status, dead.attempts, dead.secret) == (MessageStatus.DEAD, 0, None)
    assert dead.last_error == "not sent: 10 messages to this recipient in 60 minutes"


@pytest.mark.parametrize("finished", [lambda m: m.sent("id", AT), lambda m: m.suppressed("limit", AT)])
def test_a_message_that_left_the_queue_cannot_move_again(finished: object) -> None:
    done: Message = finished(confirmation())  # type: ignore[operator]

    with pytest.raises(InvalidTransition):
        done.sent("again", AT)
    with pytest.raises(InvalidTransition):
        done.failed("again", AT, RetryPolicy(), lowest)


def test_an_error_is_kept_short() -> None:
    failed = confirmation().failed("x" * 5000, AT, RetryPolicy(), lowest)

    assert failed.last_error is not None and len(failed.last_error) == 500


@pytest.mark.parametrize(
    ("channel", "recipient"),
    [(Channel.EMAIL, "no-at-sign"), (Channel.EMAIL, "a@b.c\r\nBcc: victim@example.com"), (Channel.EMAIL, "a b@c.de"),
     (Channel.SMS, "4155550123"), (Channel.SMS, "+0155550123"), (Channel.SMS, "+1 415 555 0123")],
)
def test_a_malformed_recipient_is_refused(channel: Channel, recipient: str) -> None:
    kind = MessageKind.ORDER_CONFIRMATION
    with pytest.raises(InvalidInput):
        new_message(message_id="m", kind=kind, channel=channel, recipient=recipient, event_key="e", at=AT,
                    order_id="o1")


@pytest.mark.parametrize(
    ("kind", "fields", "missing"),
    [
        (MessageKind.ORDER_CONFIRMATION, {}, "order_id"),
        (MessageKind.PAYMENT_FAILED, {"order_id": "o1"}, "data.pay_before"),
        (MessageKind.REFUND_PROCESSED, {"order_id": "o1", "data": {"amount": 100}}, "data.remaining"),
        (MessageKind.ANNOUNCEMENT, {"show_id": "s1"}, "announcement_id"),
        (MessageKind.SHOW_REMINDER, {}, "show_id"),
        (MessageKind.GUEST_RECOVERY, {}, "secret"),
    ],
)
def test_a_kind_refuses_a_message_without_what_its_templates_need(
    kind: MessageKind, fields: dict[str, object], missing: str
) -> None:
    with pytest.raises(ValueError, match=missing):
        new_message(message_id="m", kind=kind, channel=Channel.EMAIL, recipient="a@example.com", event_key="e",
                    at=AT, **fields)  # type: ignore[arg-type]


def test_only_account_mail_carries_a_token_and_only_confirmations_go_by_sms() -> None:
    with pytest.raises(ValueError, match="carries no secret"):
        new_message(message_id="m", kind=MessageKind.ORDER_CONFIRMATION, channel=Channel.EMAIL,
                    recipient="a@example.com", event_key="e", at=AT, order_id="o1", secret="token")
    with pytest.raises(ValueError, match="no SMS form"):
        new_message(message_id="m", kind=MessageKind.PAYMENT_FAILED, channel=Channel.SMS, recipient="+14155550123",
                    event_key="e", at=AT, order_id="o1", data={"pay_before": AT.isoformat()})
