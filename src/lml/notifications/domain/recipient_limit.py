"""The per-recipient limit: a loop (a handler that keeps publishing, an operator who keeps clicking
"resend", someone asking for password resets in a script) must not flood an inbox, while a buyer who
placed thirty orders still gets thirty confirmations.

Within a sliding window, a message about one order (ORDER_KINDS) counts only against messages of the
same kind about the same order, so transactional mail for distinct orders always goes through; every
other message (announcements, reminders, account mail) counts against the recipient's others. Every
message recorded counts, the ones held back included: a loop that keeps trying stays held back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec

from lml.notifications.domain.message import ORDER_KINDS, Message, MessageKind


class RecentMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A message recorded for the same recipient within the window."""

    kind: MessageKind
    order_id: str | None
    created_at: datetime


class Refusal(msgspec.Struct, frozen=True, kw_only=True):
    reason: str
    # When the oldest message counted leaves the window, making room for one more.
    retry_at: datetime


class RecipientLimit(msgspec.Struct, frozen=True, kw_only=True):
    window: timedelta = timedelta(hours=1)
    # Messages of one kind about one order: the original and two resends an hour.
    per_order_and_kind: int = 3
    # Messages about no single order.
    others: int = 10

    def refusal(self, message: Message, recent: Sequence[RecentMessage]) -> Refusal | None:
        """Why the message would be one too many, or None. `recent`: the recipient's messages
        recorded after `message.created_at - window`."""
        if _is_about_an_order(message.kind, message.order_id):
            counted = [r for r in recent if (r.kind, r.order_id) == (message.kind, message.order_id)]
            allowed, what = self.per_order_and_kind, f"{message.kind} messages about this order"
        else:
            counted = [r for r in recent if not _is_about_an_order(r.kind, r.order_id)]
            allowed, what = self.others, "messages"
        if len(counted) < allowed:
            return None
        minutes = int(self.window.total_seconds() // 60)
        oldest = min(r.created_at for r in counted)
        return Refusal(reason=f"{len(counted)} {what} to this recipient in {minutes} minutes",
                       retry_at=oldest + self.window)


def _is_about_an_order(kind: MessageKind, order_id: str | None) -> bool:
    return kind in ORDER_KINDS and order_id is not None
