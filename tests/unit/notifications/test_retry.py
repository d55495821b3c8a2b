"""Retries wait exponentially longer with full jitter, and a message is given up only after enough
attempts AND enough time: a mail server down for an hour loses nothing, however the draws fall."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from lml.notifications.domain.message import MessageKind, MessageStatus, new_message
from lml.notifications.domain.recipient import Channel
from lml.notifications.domain.retry import RetryPolicy

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def lowest(low: float, high: float) -> float:
    return low


def highest(low: float, high: float) -> float:
    return high


@pytest.mark.parametrize(("attempts", "ceiling"), [(1, 30), (2, 60), (3, 120), (6, 960), (8, 3600), (30, 3600)])
def test_the_delay_is_drawn_between_the_base_and_a_doubling_ceiling_capped_at_an_hour(
    attempts: int, ceiling: int
) -> None:
    policy = RetryPolicy()

    assert policy.delay(attempts, lowest) == timedelta(seconds=30)
    assert policy.delay(attempts, highest) == timedelta(seconds=ceiling)
    assert all(timedelta(seconds=30) <= policy.delay(attempts, random.uniform) <= timedelta(seconds=ceiling)
               for _ in range(100))


def test_the_delay_is_jittered_so_that_messages_failed_together_do_not_retry_together() -> None:
    delays = {RetryPolicy().delay(6, random.uniform) for _ in range(50)}

    assert len(delays) > 40


def test_it_gives_up_only_after_the_attempts_and_the_patience_both_ran_out() -> None:
    policy = RetryPolicy(max_attempts=10, patience=timedelta(hours=2))

    assert not policy.gives_up(9, recorded_at=AT, now=AT + timedelta(hours=3))
    assert not policy.gives_up(10, recorded_at=AT, now=AT + timedelta(minutes=119))
    assert policy.gives_up(10, recorded_at=AT, now=AT + timedelta(hours=2))


def test_an_hour_long_outage_kills_no_message_even_when_every_draw_is_the_shortest() -> None:
    message = new_message(message_id="m", kind=MessageKind.ORDER_CONFIRMATION, channel=Channel.EMAIL,
                          recipient="a@example.com", event_key="e", at=AT, order_id="o1")
    policy = RetryPolicy()
    while message.next_attempt_at < AT + timedelta(hours=1):
        message = message.failed("connection refused", message.next_attempt_at, policy, lowest)

    assert message.status is MessageStatus.FAILED
    assert message.attempts > policy.max_attempts
    # Back at the hour: the next attempt comes within the cap.
    assert message.next_attempt_at <= AT + timedelta(hours=1) + policy.cap
