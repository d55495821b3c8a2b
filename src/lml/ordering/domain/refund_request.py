"""A buyer's request to be refunded (the whole order, or some of its tickets), priced by the show's
refund policy when it is made, and decided once by an operator: approved (the refund goes to Stripe)
or declined (with a reason the buyer sees)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from lml.ordering.domain.errors import RefundRequestDecided
from lml.ordering.domain.order import Buyer

RequestStatus = Literal["pending", "approved", "declined"]


class RefundRequest(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    order_id: str
    organization_id: str
    show_id: str
    buyer: Buyer
    status: RequestStatus
    ticket_ids: tuple[str, ...]
    percent: int  # of the tickets' price the policy gave back when the request was made
    amount: int  # minor units; an approval refunds at most what is still refundable then
    currency: str
    reason: str | None
    created_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None  # operator:<user id>
    decision_note: str | None = None
    refund_id: str | None = None  # the refund an approval asked payments for

    def approve(self, *, by: str, at: datetime, amount: int, refund_id: str, note: str | None) -> RefundRequest:
        self._ensure_pending()
        return msgspec.structs.replace(self, status="approved", decided_at=at, decided_by=by, amount=amount,
                                       refund_id=refund_id, decision_note=note)

    def decline(self, *, by: str, at: datetime, note: str) -> RefundRequest:
        self._ensure_pending()
        return msgspec.structs.replace(self, status="declined", decided_at=at, decided_by=by, decision_note=note)

    def _ensure_pending(self) -> None:
        if self.status != "pending":
            raise RefundRequestDecided(self.status)
