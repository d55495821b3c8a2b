"""The order's state machine: every transition explicit, and nothing outside the table ever happens."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from lml.ordering.domain.errors import InvalidTransition, NothingToRefund, PaymentMismatch, RefundTooLarge
from lml.ordering.domain.order import (
    AWAITING_PAYMENT,
    CLOSED_UNPAID,
    MONEY_RECEIVED,
    REFUND_STATUSES,
    TRANSITIONS,
    Moved,
    Order,
    OrderStatus,
    Payment,
    Refund,
    Trigger,
    allocate,
)
from tests.unit.ordering.orders import NOW, an_order, payment_for

S = OrderStatus


def settled(moved: Moved | None) -> S:
    assert moved is not None
    return moved.order.status


def refund(refund_id: str, amount: int, status: str = "requested") -> Refund:
    return Refund(refund_id=refund_id, amount=amount, status=status)  # type: ignore[arg-type]


def test_an_order_awaiting_payment_becomes_paid_with_what_was_received() -> None:
    order = an_order()
    moved = order.pay(payment_for(order), NOW)
    assert moved.order.status is S.PAID
    assert moved.order.amount_paid == order.total == 2 * 5250
    assert moved.order.payment_intent_id == "pi_1"
    assert (moved.transition.trigger, moved.transition.from_status) == (Trigger.PAYMENT_SUCCEEDED, S.PENDING_PAYMENT)


def test_a_failed_payment_keeps_the_order_payable_until_it_expires() -> None:
    failed = an_order().fail_payment("card_declined").order
    assert failed.status is S.PAYMENT_FAILED and failed.failure_reason == "card_declined"
    assert failed.fail_payment("insufficient_funds").order.status is S.PAYMENT_FAILED
    assert failed.pay(payment_for(failed), NOW).order.status is S.PAID
    assert failed.expire().order.status is S.EXPIRED
    assert failed.cancel().order.status is S.CANCELLED


@pytest.mark.parametrize("closed", [S.EXPIRED, S.CANCELLED])
def test_a_late_payment_is_paid_when_its_seats_were_reserved_again(closed: S) -> None:
    order = an_order(status=closed)
    moved = order.pay(payment_for(order), NOW)
    assert (moved.transition.trigger, moved.order.status) == (Trigger.LATE_PAYMENT_SUCCEEDED, S.PAID)


@pytest.mark.parametrize("closed", [S.EXPIRED, S.CANCELLED])
def test_a_late_payment_whose_seats_are_gone_owes_the_money_back(closed: S) -> None:
    order = an_order(status=closed)
    moved = order.refund_owed(payment_for(order), refund("r1", order.total), NOW)
    assert moved.order.status is S.REFUND_PENDING and moved.order.unseated
    assert moved.order.amount_paid == order.total and moved.order.refund_in_flight == order.total
    assert settled(moved.order.record_refund("r1", order.total, "succeeded")) is S.REFUNDED


def test_a_failed_automatic_refund_leaves_the_unseated_order_owing_money_not_paid() -> None:
    order = an_order(status=S.EXPIRED)
    owing = order.refund_owed(payment_for(order), refund("r1", order.total), NOW).order
    after = owing.record_refund("r1", order.total, "failed")
    assert after is not None
    after = after.order
    assert after.status is S.REFUND_PENDING
    assert after.refundable == order.total  # an operator can refund it again


def test_a_payment_that_does_not_match_the_order_is_refused() -> None:
    order = an_order()
    with pytest.raises(PaymentMismatch):
        order.pay(Payment(payment_intent_id="pi", amount=order.total - 1, currency="USD"), NOW)
    with pytest.raises(PaymentMismatch):
        order.pay(Payment(payment_intent_id="pi", amount=order.total, currency="EUR"), NOW)


@pytest.mark.parametrize("status", sorted(MONEY_RECEIVED))
def test_a_paid_order_cannot_expire_be_cancelled_or_fail(status: S) -> None:
    order = an_order(status=status)
    for change in (order.expire, order.cancel, lambda: order.fail_payment("x")):
        with pytest.raises(InvalidTransition):
            change()


def test_an_order_is_due_only_while_awaiting_payment_and_past_its_deadline() -> None:
    order = an_order()
    assert not order.is_due(order.expires_at - timedelta(milliseconds=1))
    assert order.is_due(order.expires_at)
    assert not an_order(status=S.PAID).is_due(order.expires_at + timedelta(hours=1))


def test_a_partial_then_the_rest_refunded() -> None:
    paid = an_order(status=S.PAID)
    paid = msgspec.structs.replace(paid, amount_paid=paid.total)
    assert paid.refund_amount(None) == paid.total
    pending = paid.request_refund(refund("r1", 1000)).order
    assert pending.status is S.REFUND_PENDING and pending.refundable == paid.total - 1000
    partial = pending.record_refund("r1", 1000, "succeeded").order  # type: ignore[union-attr]
    assert partial.status is S.PARTIALLY_REFUNDED and partial.amount_refunded == 1000
    with pytest.raises(RefundTooLarge):
        partial.refund_amount(paid.total)
    rest = partial.request_refund(refund("r2", partial.refund_amount(None))).order
    assert settled(rest.record_refund("r2", paid.total - 1000, "succeeded")) is S.REFUNDED


def test_a_refund_that_fails_returns_the_order_to_paid() -> None:
    paid = msgspec.structs.replace(an_order(status=S.PAID), amount_paid=10500)
    failed = paid.request_refund(refund("r1", 500)).order.record_refund("r1", 500, "failed")
    assert failed is not None and failed.order.status is S.PAID and failed.order.refundable == 10500


def test_a_final_refund_status_is_never_undone_by_a_stale_report() -> None:
    paid = msgspec.structs.replace(an_order(status=S.PAID), amount_paid=10500)
    done = paid.request_refund(refund("r1", 10500)).order.record_refund("r1", 10500, "succeeded").order  # type: ignore[union-attr]
    assert done.record_refund("r1", 10500, "pending") is None
    assert done.record_refund("r1", 10500, "succeeded") is None


def test_a_refund_reported_before_the_payment_is_kept_until_the_payment_arrives() -> None:
    order = an_order()
    early = order.record_refund("re_1", order.total, "succeeded")
    assert early is not None
    assert early.transition == early.transition.__class__(Trigger.REFUND_RECORDED, S.PENDING_PAYMENT,
                                                          S.PENDING_PAYMENT)
    paid = early.order.pay(payment_for(order), NOW).order
    assert paid.settle_refunds().order.status is S.REFUNDED


def test_nothing_to_refund_on_an_unpaid_or_fully_refunded_order() -> None:
    with pytest.raises(NothingToRefund):
        an_order().refund_amount(None)


def test_allocate_splits_exactly_in_proportion() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(1000, [3000, 1000]) == [750, 250]
    assert allocate(5, [0, 0]) == [0, 0]


@st.composite
def amounts_and_weights(draw: st.DrawFn) -> tuple[int, list[int]]:
    weights = draw(st.lists(st.integers(0, 10**6), min_size=1, max_size=8))
    return draw(st.integers(0, max(sum(weights), 1) * 3)), weights


@settings(max_examples=300)
@given(amounts_and_weights())
def test_allocate_always_adds_up(case: tuple[int, list[int]]) -> None:
    amount, weights = case
    shares = allocate(amount, weights)
    if sum(weights) > 0:
        assert sum(shares) == amount
        assert all(s >= 0 for s in shares)


class OrderLifecycle(RuleBasedStateMachine):
    """Drives one order through random payments, failures, expiries, cancellations and refunds
    (as the application does) and checks that only listed transitions ever happen."""

    def __init__(self) -> None:
        super().__init__()
        self.order: Order = an_order(seats=3, ga=2)
        self.next_refund = 0

    def _apply(self, trigger: Trigger, change: object) -> None:
        before = self.order.status
        try:
            moved = change()  # type: ignore[operator]
        except InvalidTransition:
            assert not any(f == before and t == trigger for f, t, _ in TRANSITIONS), (before, trigger)
            return
        if moved is None:  # no news: nothing changed
            return
        assert isinstance(moved, Moved)
        assert (moved.transition.from_status, moved.transition.trigger, moved.transition.to_status) in TRANSITIONS
        assert moved.transition.from_status == before and moved.transition.to_status == moved.order.status
        self.order = moved.order

    @rule()
    def payment_succeeds(self) -> None:
        order = self.order
        if order.status in MONEY_RECEIVED:
            return  # the application treats it as a duplicate
        self._apply(Trigger.PAYMENT_SUCCEEDED if order.status in AWAITING_PAYMENT else Trigger.LATE_PAYMENT_SUCCEEDED,
                    lambda: order.pay(payment_for(order), NOW))
        if self.order.status is S.PAID and self.order.refunds:
            self._apply(Trigger.REFUND_SETTLED, self.order.settle_refunds)

    @precondition(lambda self: self.order.status in CLOSED_UNPAID)
    @rule()
    def late_payment_finds_seats_gone(self) -> None:
        order = self.order
        owed = order.late_refund_owed()
        if owed == 0:
            return
        self.next_refund += 1
        self._apply(Trigger.LATE_PAYMENT_REFUND_OWED,
                    lambda: order.refund_owed(payment_for(order), refund(f"r{self.next_refund}", owed), NOW))

    @rule(reason=st.sampled_from(["card_declined", "expired_card"]))
    def payment_fails(self, reason: str) -> None:
        self._apply(Trigger.PAYMENT_FAILED, lambda: self.order.fail_payment(reason))

    @rule()
    def expires(self) -> None:
        self._apply(Trigger.EXPIRED, self.order.expire)

    @rule()
    def buyer_cancels(self) -> None:
        self._apply(Trigger.CANCELLED, self.order.cancel)

    @rule(data=st.data())
    def operator_refunds(self, data: st.DataObject) -> None:
        order = self.order
        try:
            amount = order.refund_amount(data.draw(st.none() | st.integers(1, max(1, order.total))))
        except (NothingToRefund, RefundTooLarge):
            return
        self.next_refund += 1
        self._apply(Trigger.REFUND_REQUESTED, lambda: order.request_refund(refund(f"r{self.next_refund}", amount)))

    @rule(data=st.data(), status=st.sampled_from(sorted(REFUND_STATUSES - {"requested"})))
    def refund_news(self, data: st.DataObject, status: str) -> None:
        order = self.order
        known = [r for r in order.refunds]
        if known and data.draw(st.booleans()):
            chosen = data.draw(st.sampled_from(known))
            refund_id, amount = chosen.refund_id, chosen.amount
        else:  # a refund made outside LML (the Stripe dashboard), or reported before the payment
            room = order.total - sum(r.amount for r in order.refunds if r.status != "failed" and r.status != "canceled")
            if room <= 0:
                return
            self.next_refund += 1
            refund_id, amount = f"r{self.next_refund}", data.draw(st.integers(1, room))
        trigger = Trigger.REFUND_SETTLED if order.status in MONEY_RECEIVED else Trigger.REFUND_RECORDED
        self._apply(trigger, lambda: order.record_refund(refund_id, amount, status))  # type: ignore[arg-type]

    @invariant()
    def money_adds_up(self) -> None:
        order = self.order
        assert order.amount_refunded >= 0 and order.refund_in_flight >= 0
        if order.status in AWAITING_PAYMENT:
            assert order.amount_paid == 0
        if order.status in MONEY_RECEIVED:
            assert order.amount_paid == order.total
        if order.status is S.REFUNDED:
            assert order.amount_refunded >= order.amount_paid > 0
        if order.status is S.PARTIALLY_REFUNDED:
            assert 0 < order.amount_refunded < order.amount_paid and order.refund_in_flight == 0
        if order.status is S.REFUND_PENDING:
            assert order.refund_in_flight > 0 or order.unseated
        if order.status is S.PAID:
            assert order.refund_in_flight == 0 and order.amount_refunded == 0
        assert len({r.refund_id for r in order.refunds}) == len(order.refunds)

    @invariant()
    def unseated_only_after_a_late_payment(self) -> None:
        if self.order.unseated:
            assert self.order.status in (S.REFUND_PENDING, S.REFUNDED)


TestOrderLifecycle = OrderLifecycle.TestCase
TestOrderLifecycle.settings = settings(max_examples=300, stateful_step_count=30, deadline=None)
