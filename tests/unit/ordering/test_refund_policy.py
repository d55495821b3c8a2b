"""A show's refund policy: percent back by hours before the show, fees or not, and its rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lml.ordering.domain.refund_policy import DEFAULT_POLICY, RefundPolicy, RefundTier
from lml.platform.domain.errors import InvalidInput

STARTS = datetime(2027, 6, 1, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ahead", "percent"),
    [(timedelta(days=30), 100), (timedelta(days=7), 100), (timedelta(days=7) - timedelta(seconds=1), 50),
     (timedelta(hours=48), 50), (timedelta(hours=47, minutes=59), 0), (timedelta(0), 0), (-timedelta(hours=1), 0)],
)
def test_the_default_gives_all_a_week_ahead_half_two_days_ahead_then_nothing(ahead: timedelta, percent: int) -> None:
    assert DEFAULT_POLICY.percent_at(STARTS - ahead, STARTS) == percent


def test_fees_come_back_only_when_the_policy_says_so_and_amounts_round_down() -> None:
    tickets = [(5001, 250), (3000, 0)]
    assert DEFAULT_POLICY.refund_of(tickets, 50) == 4000  # (5001 + 3000) // 2, fees kept
    with_fees = RefundPolicy.checked([RefundTier(0, 100)], fees_refundable=True)
    assert with_fees.refund_of(tickets, 100) == 8251


def test_a_policy_names_every_broken_rule_at_once_and_orders_its_tiers() -> None:
    with pytest.raises(InvalidInput) as broken:
        RefundPolicy.checked([RefundTier(-1, 101), RefundTier(10, 50), RefundTier(10, 20)], fees_refundable=False)
    assert [e.path for e in broken.value.errors] == ["/tiers/0/hours_before", "/tiers/0/percent",
                                                      "/tiers/2/hours_before"]
    with pytest.raises(InvalidInput, match="1 problem"):
        RefundPolicy.checked([], fees_refundable=False)
    with pytest.raises(InvalidInput) as rising:
        RefundPolicy.checked([RefundTier(100, 10), RefundTier(1, 90)], fees_refundable=False)
    assert rising.value.errors[0].message == "must not give back more the closer the show is"
    ordered = RefundPolicy.checked([RefundTier(1, 10), RefundTier(100, 90)], fees_refundable=False)
    assert [t.hours_before for t in ordered.tiers] == [100, 1]
