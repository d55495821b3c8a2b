"""Refunds on request: a buyer asks (the whole order or some of its tickets), the show's refund
policy prices it, an operator approves (the refund goes to Stripe through payments' outbox) or
declines. Every step is in the order's audit log. Operators can still refund any amount on their own
(`refund_order`).

Tickets given back stay valid until their refund succeeds at Stripe: then they are void and their
places go back on sale (`settle_payments.record_refund`). A refund that fails leaves the buyer with
their tickets."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lml.ordering.application.ports import OrderingTransaction, TransactionFactory
from lml.ordering.domain.errors import (
    NothingToRefund,
    NotRefundableNow,
    OrderNotFound,
    OrderNotRefundable,
    RefundRequestNotFound,
    RefundRequestPending,
)
from lml.ordering.domain.order import Buyer, Order, OrderStatus, Refund
from lml.ordering.domain.refund_policy import DEFAULT_POLICY, RefundPolicy
from lml.ordering.domain.refund_request import RefundRequest
from lml.ordering.domain.tickets import Ticket
from lml.platform.clock import Clock
from lml.platform.domain.errors import FieldError, InvalidInput

# Paid, or partly refunded with nothing on its way back: what a buyer may ask to have refunded.
_REQUESTABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})


async def show_policy(tx: OrderingTransaction, show_id: str) -> RefundPolicy:
    return await tx.policies.get(show_id) or DEFAULT_POLICY


async def set_show_policy(
    *, transaction: TransactionFactory, clock: Clock, operator: str, show_id: str, organization_id: str,
    policy: RefundPolicy,
) -> RefundPolicy:
    """The caller has checked that the show is the operator's organization's."""
    async with transaction() as tx:
        await tx.policies.put(show_id, organization_id, policy, by=operator, at=clock.now())
        await tx.commit()
    return policy


def _chosen(order: Order, tickets: Sequence[Ticket], ticket_ids: Sequence[str] | None) -> list[Ticket]:
    """The order's valid tickets named (all of them when none is named), not already being refunded."""
    on_their_way = {t for refund in order.refunds if refund.is_open for t in refund.ticket_ids}
    valid = {t.ticket_id: t for t in tickets if t.status == "valid" and t.ticket_id not in on_their_way}
    if ticket_ids is None:
        if not valid:
            raise OrderNotRefundable(order.status.value, "The order has no ticket left to give back")
        return list(valid.values())
    errors = [FieldError(f"/ticket_ids/{i}", "is not a valid ticket of this order, or is being refunded already")
              for i, ticket_id in enumerate(ticket_ids) if ticket_id not in valid]
    errors += [FieldError(f"/ticket_ids/{i}", "repeats a ticket")
               for i, ticket_id in enumerate(ticket_ids) if ticket_id in ticket_ids[:i]]
    if not ticket_ids:
        errors.append(FieldError("/ticket_ids", "must name at least one ticket (or be left out for all)"))
    if errors:
        raise InvalidInput(errors)
    return [valid[ticket_id] for ticket_id in ticket_ids]


async def request_refund(
    *, transaction: TransactionFactory, clock: Clock, new_id: Callable[[], str], buyer: Buyer, order_id: str,
    ticket_ids: Sequence[str] | None, reason: str | None,
) -> RefundRequest:
    async with transaction() as tx:
        found = await tx.orders.locked_with_show_cancelled(order_id)
        if found is None or found[0].buyer.owner != buyer.owner:
            raise OrderNotFound()
        order, show_cancelled = found
        if show_cancelled:
            raise OrderNotRefundable(order.status.value, "The show is cancelled: the order is refunded in full")
        if order.status not in _REQUESTABLE:
            raise OrderNotRefundable(order.status.value)
        pending = await tx.refund_requests.pending_for(order_id)
        if pending is not None:
            raise RefundRequestPending(pending.request_id)
        chosen = _chosen(order, await tx.tickets.of_order(order_id), ticket_ids)
        now = clock.now()
        policy = await show_policy(tx, order.show_id)
        percent = policy.percent_at(now, order.show_starts_at)
        lines = order.lines
        prices = [(lines[t.line_no - 1].unit_price, lines[t.line_no - 1].unit_fee) for t in chosen]
        amount = min(policy.refund_of(prices, percent), order.refundable)
        if amount == 0:
            raise NotRefundableNow(percent)
        request = RefundRequest(
            request_id=new_id(), order_id=order_id, organization_id=order.organization_id, show_id=order.show_id,
            buyer=order.buyer, status="pending", ticket_ids=tuple(t.ticket_id for t in chosen), percent=percent,
            amount=amount, currency=order.currency, reason=reason, created_at=now,
        )
        await tx.refund_requests.add(request)
        await tx.orders.note(order, actor=buyer.owner, at=now, action="refund_request_made",
                             detail={"request_id": request.request_id, "amount": amount, "percent": percent,
                                     "tickets": len(chosen), "reason": reason})
        await tx.commit()
    return request


async def approve_refund_request(
    *, transaction: TransactionFactory, clock: Clock, operator: str, request_id: str, note: str | None
) -> RefundRequest:
    """The refund is asked of payments with the request's tickets; approving twice answers the
    approved request again. Refunds at most what is still refundable (an operator may have refunded
    part meanwhile); nothing left is a conflict."""
    async with transaction() as tx:
        request = await tx.refund_requests.get(request_id, for_update=True)
        if request is None:
            raise RefundRequestNotFound()
        if request.status == "approved":
            return request
        order = await tx.orders.get(request.order_id, for_update=True)
        if order is None:  # orders are never deleted
            raise RefundRequestNotFound()
        amount = min(request.amount, order.refundable)
        if amount == 0:
            raise NothingToRefund("Nothing of this order is left to refund")
        now = clock.now()
        reason = f"requested by the buyer: {request.reason}" if request.reason else "requested by the buyer"
        refund_id = await tx.refunds.request(order.order_id, amount, reason)
        moved = order.request_refund(Refund(refund_id=refund_id, amount=amount, status="requested", reason=reason,
                                            ticket_ids=request.ticket_ids))
        await tx.orders.save(moved, actor=operator, at=now,
                             detail={"request_id": request_id, "refund_id": refund_id, "amount": amount})
        approved = request.approve(by=operator, at=now, amount=amount, refund_id=refund_id, note=note)
        await tx.refund_requests.save(approved)
        await tx.commit()
    return approved


async def decline_refund_request(
    *, transaction: TransactionFactory, clock: Clock, operator: str, request_id: str, note: str
) -> RefundRequest:
    async with transaction() as tx:
        request = await tx.refund_requests.get(request_id, for_update=True)
        if request is None:
            raise RefundRequestNotFound()
        order = await tx.orders.get(request.order_id, for_update=True)
        if order is None:
            raise RefundRequestNotFound()
        now = clock.now()
        declined = request.decline(by=operator, at=now, note=note)
        await tx.refund_requests.save(declined)
        await tx.orders.note(order, actor=operator, at=now, action="refund_request_declined",
                             detail={"request_id": request_id, "note": note})
        await tx.commit()
    return declined


async def buyer_refund_requests(transaction: TransactionFactory, buyer: Buyer, order_id: str) -> list[RefundRequest]:
    async with transaction() as tx:
        order = await tx.orders.get(order_id)
        if order is None or order.buyer.owner != buyer.owner:
            raise OrderNotFound()
        return await tx.refund_requests.of_order(order_id)
