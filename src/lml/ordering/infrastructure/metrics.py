"""Ordering's metrics: orders by transition, payments and refunds as the orders record them.

Counted once the transaction that made the change commits (a change rolled back counts nothing); the
labels are bounded (a trigger, a status, never an order)."""

from __future__ import annotations

from prometheus_client import Counter

from lml.ordering.domain.order import Moved, Order, Trigger

ORDER_TRANSITIONS = Counter("lml_order_transitions", "Orders' changes of status, by trigger and the status reached",
                            ["trigger", "to_status"])
PAYMENTS = Counter("lml_payments", "Payments recorded on orders, by outcome", ["outcome"])
REFUNDS = Counter("lml_refunds", "Refunds of orders reaching a status (requested, pending, succeeded, failed ...)",
                  ["status"])

_PAYMENT_OUTCOMES = {
    Trigger.PAYMENT_SUCCEEDED: "succeeded",
    Trigger.LATE_PAYMENT_SUCCEEDED: "succeeded",
    Trigger.LATE_PAYMENT_REFUND_OWED: "succeeded",
    Trigger.PAYMENT_FAILED: "failed",
}


def count_created(order: Order) -> None:
    ORDER_TRANSITIONS.labels(Trigger.CREATED.value, order.status.value).inc()


def count_moved(moved: Moved) -> None:
    transition = moved.transition
    ORDER_TRANSITIONS.labels(transition.trigger.value, transition.to_status.value).inc()
    if outcome := _PAYMENT_OUTCOMES.get(transition.trigger):
        PAYMENTS.labels(outcome).inc()
    for refund in moved.changed_refunds:
        REFUNDS.labels(refund.status).inc()
