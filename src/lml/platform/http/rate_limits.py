"""Per-route rate limits, as route middleware:

    @post("/v1/shows/{show_id:str}/holds", middleware=[rate_limited("holds:place", RateLimit(20, 1))])

Each route names its budget; the bucket is the caller's: the principal of a valid bearer token, or
the client address when there is none (`by=` picks another key, e.g. always the address for a route
that hands out tokens, where keying by token would give every new token a fresh bucket). Every
answer of the route carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; a
refused request gets a 429 problem with `Retry-After`, and the route itself does not run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from lml.platform.domain.errors import TooManyRequests, Unauthorized
from lml.platform.http.auth import bearer_principal, client_address
from lml.platform.http.contract import Contract, documented
from lml.platform.http.kit import kit_of
from lml.platform.http.problems import handle_domain_error
from lml.platform.rate_limit import RateDecision, RateLimit


def address_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return f"address:{client_address(connection)}"


def caller_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """Whose bucket a request draws from: the authenticated principal, else the client address."""
    try:
        principal = bearer_principal(connection)
    except Unauthorized:
        return address_key(connection)
    return principal.owner


def _rate_headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    # Retry-After of a refusal comes with the 429 problem itself.
    return [(name.lower().encode(), value.encode()) for name, value in decision.headers().items()
            if name.startswith("RateLimit-")]


# Every answer of a limited route carries the budget; a refusal is a 429 with Retry-After.
RATE_LIMITED = Contract(statuses=frozenset({429}),
                        sends_always=("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"))


def rate_limited(
    name: str, limit: RateLimit, *, by: Callable[[ASGIConnection[Any, Any, Any, Any]], str] = caller_key
) -> Callable[[ASGIApp], ASGIApp]:
    """Route middleware spending one token of the caller's `name` bucket per request."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope, receive=receive)
            decision = await kit_of(connection).limiter.hit(f"{name}:{by(connection)}", limit)
            extra = _rate_headers(decision)

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                await send(message)

            if decision.allowed:
                await app(scope, receive, send_with_headers)
                return
            request: Request[Any, Any, Any] = Request(scope, receive)
            response = handle_domain_error(request, _refusal(decision))
            await response.to_asgi_response(None, request)(scope, receive, send_with_headers)

        return middleware

    return documented(wrap, RATE_LIMITED)


async def charge(
    connection: ASGIConnection[Any, Any, Any, Any], name: str, limit: RateLimit, *,
    by: Callable[[ASGIConnection[Any, Any, Any, Any]], str] = caller_key,
) -> None:
    """One token of the caller's `name` bucket, spent by a handler whose limit the process's settings
    set (route middleware is made before any settings exist). Raises TooManyRequests."""
    decision = await kit_of(connection).limiter.hit(f"{name}:{by(connection)}", limit)
    if not decision.allowed:
        raise _refusal(decision)


def _refusal(decision: RateDecision) -> TooManyRequests:
    return TooManyRequests(decision.retry_after, f"Too many requests; try again in {decision.retry_after} s")
