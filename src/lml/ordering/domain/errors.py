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


class PaymentMismatch(Conflict):
    """The payment does not match the order's total or currency; it needs a person to look at it."""
