"""Take a Stripe webhook in: verify, store once, answer fast (the worker applies it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lml.payments.application.ports import StoreEvent
from lml.payments.domain.stripe_events import parse_event
from lml.payments.domain.webhook_signature import verify_signature


async def receive_webhook(
    store: StoreEvent, *, body: bytes, signature: str | None, secrets: Sequence[str], now: datetime
) -> bool:
    """True if the event was new, False for a duplicate delivery (acknowledged all the same).
    Nothing is stored unless the signature holds."""
    verify_signature(body, signature, secrets, now=int(now.timestamp()))
    event = parse_event(body)
    if event.handled:
        return await store(event, source="webhook", status="pending", note=None)
    return await store(event, source="webhook", status="ignored", note=f"{event.type} events are not handled")
