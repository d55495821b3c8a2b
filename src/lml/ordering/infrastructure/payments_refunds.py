"""Ordering's RefundRequests port on payments' facade, in ordering's own transaction."""

from __future__ import annotations

from lml.payments.facade import PaymentsFacade
from lml.platform.db import UnitOfWork


class PaymentsRefunds:
    def __init__(self, uow: UnitOfWork, payments: PaymentsFacade) -> None:
        self._uow = uow
        self._payments = payments

    async def request(self, order_id: str, amount: int, reason: str) -> str:
        return await self._payments.request_refund(self._uow, order_id=order_id, amount=amount, reason=reason)
