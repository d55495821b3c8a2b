"""What ordering refuses, each named for what happened; the problem mapping picks the status by base class."""

from __future__ import annotations

from lml.platform.domain.errors import Conflict, FieldError, InvalidInput, NotFound


class OrderNotFound(NotFound):
    """The order does not exist (or is not yours to see)."""


class ShowNotCancelled(NotFound):
    """The show is not cancelled (or not one of this organization's)."""


class InvalidTransition(Conflict):
    """The order cannot make this change in its current state."""

    def __init__(self, status: str, trigger: str) -> None:
        super().__init__(f"An order that is {status} cannot take `{trigger}`", status=status)


class HoldAlreadyOrdered(Conflict):
    """This hold has already been turned into an order."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"This hold has already been turned into order {order_id}", order_id=order_id)


class SeatsTaken(Conflict):
    """Some of the hold's seats are no longer free to reserve; nothing was reserved."""

    def __init__(self, conflicts: list[str], zones: dict[str, int] | None = None) -> None:
        if zones:
            super().__init__(conflicts=conflicts, zones=zones)
        else:
            super().__init__(conflicts=conflicts)


class OrderNotPayable(Conflict):
    """The order is not awaiting payment."""

    def __init__(self, status: str) -> None:
        super().__init__(f"The order is {status}; only an order awaiting payment can be paid", status=status)


class OrderNotCancellable(Conflict):
    """Only an order awaiting payment can be cancelled."""

    def __init__(self, status: str) -> None:
        super().__init__(f"The order is {status}; only an order awaiting payment can be cancelled", status=status)


class NothingToRefund(Conflict):
    """Nothing of this order is left to refund."""


class RefundTooLarge(InvalidInput):
    def __init__(self, refundable: int) -> None:
        super().__init__(
            [FieldError("/amount", f"must not exceed {refundable}, what is left to refund")],
            "The refund is larger than what is left to refund",
        )


class RefundRequestNotFound(NotFound):
    """No such refund request (or not one of this organization's)."""


class RefundRequestDecided(Conflict):
    """The refund request was decided already."""

    def __init__(self, status: str) -> None:
        super().__init__(f"The refund request is {status} already", status=status)


class RefundRequestPending(Conflict):
    """The order has a refund request waiting for a decision already."""

    def __init__(self, request_id: str) -> None:
        super().__init__("This order has a refund request waiting for a decision", refund_request_id=request_id)


class OrderNotRefundable(Conflict):
    """Only a paid order, or one partly refunded with nothing on its way back, can be refunded on request."""

    def __init__(self, status: str, detail: str | None = None) -> None:
        super().__init__(detail or f"The order is {status}: it cannot be refunded on request", status=status)


class NotRefundableNow(Conflict):
    """The show's refund policy gives nothing back for these tickets at this time."""

    def __init__(self, percent: int) -> None:
        super().__init__("The show's refund policy gives nothing back for these tickets now", percent=percent)


class PaymentMismatch(Conflict):
    """The payment does not match the order's total or currency; it needs a person to look at it."""
