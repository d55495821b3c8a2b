"""Payments HTTP routes: Stripe's webhook, and the platform admins' view of the event inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from lml.payments.application.admin_events import list_events, retry_event
from lml.payments.application.receive_webhook import receive_webhook
from lml.payments.domain.inbox import InboxEntry, InboxStatus
from lml.payments.domain.stripe_events import EventEnvelope
from lml.payments.infrastructure.services import PaymentsServices
from lml.platform.domain.principal import PLATFORM_ADMIN_SCOPE
from lml.platform.http.auth import requires_scope
from lml.platform.http.contract import contract, route_contract

AnyRequest = Request[Any, Any, Any]


class WebhookReceipt(msgspec.Struct, frozen=True):
    received: bool
    duplicate: bool


@post(
    "/v1/payments/stripe/webhook",
    operation_id="receiveStripeEvent",
    # No bearer token: Stripe signs the raw body instead (400 when the signature does not verify).
    opt=route_contract(contract(400, 413, reads=("Stripe-Signature",), requires=("Stripe-Signature",),
                                reads_body={"application/json": EventEnvelope})),
    status_code=200,
    tags=["payments"],
    summary="Stripe webhook (Stripe-Signature checked on the raw body)",
)
async def stripe_webhook(request: AnyRequest, payments: NamedDependency[PaymentsServices]) -> WebhookReceipt:
    """Stored once per event id and acknowledged at once; the worker applies it. A bad signature
    is a 400 and nothing is stored."""
    new = await receive_webhook(
        payments.store_event,
        body=await request.body(),
        signature=request.headers.get("stripe-signature"),
        secrets=payments.webhook_secrets,
        now=payments.clock.now(),
    )
    return WebhookReceipt(received=True, duplicate=not new)


class StripeEventOut(msgspec.Struct, frozen=True):
    event_id: str
    type: str
    source: str
    status: str
    attempts: int
    last_error: str | None
    note: str | None
    object_id: str | None  # the PaymentIntent, charge or refund the event is about
    received_at: datetime
    next_attempt_at: datetime
    processed_at: datetime | None
    stripe_created_at: datetime | None

    @classmethod
    def of(cls, entry: InboxEntry) -> StripeEventOut:
        obj = entry.payload.get("data", {}).get("object", {})
        return cls(
            event_id=entry.event_id,
            type=entry.event_type,
            source=entry.source,
            status=entry.status,
            attempts=entry.attempts,
            last_error=entry.last_error,
            note=entry.note,
            object_id=obj.get("id") if isinstance(obj, dict) else None,
            received_at=entry.received_at,
            next_attempt_at=entry.next_attempt_at,
            processed_at=entry.processed_at,
            stripe_created_at=entry.stripe_created_at,
        )


class StripeEventPage(msgspec.Struct, frozen=True):
    items: list[StripeEventOut]
    next_cursor: str | None


@get(
    "/v1/admin/payments/events",
    operation_id="listStripeEvents",
    guards=[requires_scope(PLATFORM_ADMIN_SCOPE)],
    tags=["payments"],
    summary="Stripe events received, newest first (status=dead for the dead letters)",
)
async def list_stripe_events(
    payments: NamedDependency[PaymentsServices],
    status: Annotated[InboxStatus | None, QueryParameter(required=False)] = None,
    cursor: Annotated[str | None, QueryParameter(required=False, max_length=100)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> StripeEventPage:
    page = await list_events(payments.own_uows, status=status, cursor=cursor, limit=limit)
    return StripeEventPage(items=[StripeEventOut.of(entry) for entry in page.items], next_cursor=page.next_cursor)


@post(
    "/v1/admin/payments/events/{event_id:str}/retry",
    operation_id="retryStripeEvent",
    status_code=200,
    guards=[requires_scope(PLATFORM_ADMIN_SCOPE)],
    tags=["payments"],
    summary="Send a dead Stripe event back to the worker",
)
async def retry_stripe_event(payments: NamedDependency[PaymentsServices], event_id: FromPath[str]) -> StripeEventOut:
    entry = await retry_event(payments.own_uows, event_id=event_id, now=payments.clock.now())
    return StripeEventOut.of(entry)


router = Router(path="/", route_handlers=[stripe_webhook, list_stripe_events, retry_stripe_event])
