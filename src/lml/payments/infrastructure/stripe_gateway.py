"""The PaymentGateway port on Stripe's official SDK: its async requests over aiohttp (the event loop
is never blocked; its client costs a third of the CPU per call of the SDK's httpx one), one client per
process configured here (no global `stripe.api_key`). aiohttp binds its session to the event loop it
is made on: the SDK makes it at the first call, on the process's loop.

Calls go through the client's `raw_request_async`: the SDK still builds, authenticates, retries the
request and raises its errors, but its answer is read straight into our snapshots, without the
SDK's object tree (a StripeObject per nested dict, then turned back into dicts) in between."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote_plus

import aiohttp
import stripe
from opentelemetry.trace import SpanKind

from lml.config import Settings
from lml.payments.domain.errors import PaymentProviderRejected, PaymentProviderUnavailable
from lml.payments.domain.stripe_objects import (
    PaymentIntentSnapshot,
    RefundSnapshot,
    payment_intent_from_stripe,
    refund_from_stripe,
)
from lml.platform.logging import get_logger
from lml.platform.tracing.spans import span

log = get_logger("lml.payments.stripe")

# A buyer waits on order creation, and the order's lock is held across the call: fail fast, then
# the buyer (or the worker) retries.
_TIMEOUT = aiohttp.ClientTimeout(total=5.0, connect=2.0)
# One quick retry of a connection failure or a 5xx; Stripe replays a POST under the same idempotency key.
_NETWORK_RETRIES = 1


class StripeGateway:
    def __init__(self, settings: Settings) -> None:
        self._http = stripe.AIOHTTPClient(timeout=_TIMEOUT)
        self._client = stripe.StripeClient(
            settings.stripe_secret_key,
            base_addresses={"api": settings.stripe_api_base},
            http_client=self._http,
            max_network_retries=_NETWORK_RETRIES,
        )

    async def close(self) -> None:
        """Its connections to Stripe, at the process's stop."""
        await self._http.close_async()

    async def create_payment_intent(
        self, *, amount: int, currency: str, metadata: Mapping[str, str], idempotency_key: str
    ) -> PaymentIntentSnapshot:
        # Payment methods are left to the account's settings (Stripe's automatic payment methods).
        return payment_intent_from_stripe(await self._request(
            "create_payment_intent", "post", "/v1/payment_intents", amount=amount, currency=currency.lower(),
            metadata=dict(metadata), idempotency_key=idempotency_key))

    async def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentSnapshot:
        return payment_intent_from_stripe(await self._request(
            "retrieve_payment_intent", "get", f"/v1/payment_intents/{_path_part(payment_intent_id)}"))

    async def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntentSnapshot:
        return payment_intent_from_stripe(await self._request(
            "cancel_payment_intent", "post", f"/v1/payment_intents/{_path_part(payment_intent_id)}/cancel"))

    async def create_refund(
        self, *, payment_intent_id: str, amount: int, metadata: Mapping[str, str], idempotency_key: str
    ) -> RefundSnapshot:
        return refund_from_stripe(await self._request(
            "create_refund", "post", "/v1/refunds", payment_intent=payment_intent_id, amount=amount,
            metadata=dict(metadata), idempotency_key=idempotency_key))

    async def list_refunds(self, payment_intent_id: str) -> list[RefundSnapshot]:
        # An order has a handful of refunds at most: one page holds them all.
        page = await self._request("list_refunds", "get", "/v1/refunds", payment_intent=payment_intent_id, limit=100)
        return [refund_from_stripe(item) for item in page.get("data", [])]

    async def _request(self, operation: str, method: str, path: str, **params: Any) -> dict[str, Any]:
        """Stripe's answer as JSON; `idempotency_key` among `params` goes in its header, as in the SDK's
        typed methods."""
        async with _translated_errors(operation):
            response = await self._client.raw_request_async(method, path, **params)
        data = response.data
        if not isinstance(data, dict):
            raise PaymentProviderRejected(f"The payment provider answered {operation} with no object")
        return data


def _path_part(object_id: str) -> str:
    """An id as one path segment, as the SDK's typed methods quote it."""
    return quote_plus(object_id)


@asynccontextmanager
async def _translated_errors(operation: str) -> AsyncIterator[None]:
    """A client span around the call, and Stripe's exceptions become payments' domain errors. Only the
    error's class and Stripe's code are logged: messages may quote request parameters."""
    try:
        with span(f"stripe {operation}", kind=SpanKind.CLIENT, attributes={"rpc.system": "stripe",
                                                                            "rpc.method": operation}):
            yield
    except stripe.StripeError as exc:
        fields = {"operation": operation, "error": type(exc).__name__, "status": exc.http_status, "code": exc.code}
        if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (exc.http_status or 0) >= 500:
            log.warning("stripe_unavailable", **fields)
            raise PaymentProviderUnavailable(detail="The payment provider cannot be reached; try again") from exc
        if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
            # Our configuration, not the caller's request: nothing the caller can fix, so "unavailable".
            log.error("stripe_misconfigured", **fields)
            raise PaymentProviderUnavailable(detail="The payment provider refused our credentials") from exc
        log.info("stripe_rejected", **fields)
        reason = exc.code or exc.http_status
        raise PaymentProviderRejected(f"The payment provider refused the request ({reason})") from exc
