"""Rate limits, as middleware: a general one on every route (app middleware, `general_rate_limit`)
and a route's own, tighter budget where it needs one (route middleware):

    @post("/v1/shows/{show_id:str}/holds", middleware=[rate_limited("holds:place", RateLimit(20, 1))])

Each limit names its budget; the bucket is the caller's: the principal of a valid bearer token, or
the client address when there is none (`by=` picks another key, e.g. always the address for a route
that hands out tokens, where keying by token would give every new token a fresh bucket). A caller
without a valid token meets the route's guards first, so that a route that needs one answers 401
whatever the address' budget. Answers carry `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset` of the route's own budget where it has one, else of the general one; a refused
request gets a 429 problem with `Retry-After`, and the route itself does not run."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from lml.platform.domain.errors import TooManyRequests, Unauthorized, Unavailable
from lml.platform.http.auth import bearer_principal, client_network
from lml.platform.http.contract import Contract, documented
from lml.platform.http.kit import kit_of
from lml.platform.http.problems import handle_domain_error
from lml.platform.logging import get_logger
from lml.platform.rate_limit import RateDecision, RateLimit

log = get_logger("lml.rate_limits")

Connection = ASGIConnection[Any, Any, Any, Any]
KeyOf = Callable[[Connection], Awaitable[str]]
ADDRESS = "address:"


async def address_key(connection: Connection) -> str:
    """The client's network (an IPv6 /64 is one), so that a new address of it is not a new bucket."""
    return ADDRESS + client_network(connection)


async def caller_key(connection: Connection) -> str:
    """Whose bucket a request draws from: the authenticated principal, else the client address once
    the route's guards let a caller without a token through (else they raise: 401, or 403)."""
    try:
        return bearer_principal(connection).owner
    except Unauthorized:
        handler = connection.scope.get("route_handler")
        if isinstance(handler, HTTPRouteHandler) and handler.resolve_guards():
            await handler.authorize_connection(connection)
        return await address_key(connection)


def _rate_headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    # Retry-After of a refusal comes with the 429 problem itself.
    return [(name.lower().encode(), value.encode()) for name, value in decision.headers().items()
            if name.startswith("RateLimit-")]


# Every answer of a limited route carries the budget; a refusal is a 429 with Retry-After.
RATE_LIMITED = Contract(statuses=frozenset({429}),
                        sends_always=("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"))


def _limit_middleware(
    app: ASGIApp, by: KeyOf, bucket: Callable[[str], tuple[str, RateLimit]],
    unavailable: Callable[[], None] | None = None,
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Spends one token of the bucket that `bucket` names for the caller's key per request. While the
    limiter's store cannot be reached the request fails (503), unless `unavailable` is given: it is
    called and the request goes on unlimited."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        connection: Connection = ASGIConnection(scope, receive=receive)
        key, limit = bucket(await by(connection))
        try:
            decision = await kit_of(connection).limiter.hit(key, limit)
        except Unavailable:  # the limiter's store cannot be reached
            if unavailable is None:
                raise
            unavailable()
            await app(scope, receive, send)
            return
        extra = _rate_headers(decision)

        async def send_with_headers(message: Message) -> None:
            # An inner limit's headers describe the tighter budget, and another limit's 429 its own.
            if message["type"] == "http.response.start" and message["status"] != 429 and not any(
                    name.lower() == b"ratelimit-limit" for name, _ in message.get("headers", [])):
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        if decision.allowed:
            await app(scope, receive, send_with_headers)
            return
        request: Request[Any, Any, Any] = Request(scope, receive)
        response = handle_domain_error(request, _refusal(decision))
        response.headers.update({name.decode(): value.decode() for name, value in extra})
        await response.to_asgi_response(None, request)(scope, receive, send)

    return middleware


def rate_limited(name: str, limit: RateLimit, *, by: KeyOf = caller_key) -> Callable[[ASGIApp], ASGIApp]:
    """Route middleware spending one token of the caller's `name` bucket per request."""

    def wrap(app: ASGIApp) -> ASGIApp:
        return _limit_middleware(app, by, lambda key: (f"{name}:{key}", limit))

    return documented(wrap, RATE_LIMITED)


def is_exempt(path: str, exempt_paths: Collection[str]) -> bool:
    """Whether `path` is one of `exempt_paths` or under one."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in exempt_paths)


def general_rate_limit(
    per_principal: RateLimit, per_address: RateLimit, *, exempt_paths: Collection[str]
) -> Callable[[ASGIApp], ASGIApp]:
    """App middleware: every routed request but those under `exempt_paths` spends one token of the
    caller's general bucket (`per_principal` with a valid token, `per_address` without)."""

    def bucket(key: str) -> tuple[str, RateLimit]:
        return f"general:{key}", per_address if key.startswith(ADDRESS) else per_principal

    last_warned = -math.inf

    def unavailable() -> None:
        # Reading one's tickets, or the event list, must not fail because the limiter's store is
        # down: the general limit lets requests through then (routes' own limits still refuse). Said
        # once a minute, not once a request.
        nonlocal last_warned
        if time.monotonic() - last_warned >= 60:
            last_warned = time.monotonic()
            log.warning("general_rate_limit_unavailable", detail="Redis cannot be reached; requests go unlimited")

    def wrap(app: ASGIApp) -> ASGIApp:
        limited = _limit_middleware(app, caller_key, bucket, unavailable)

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            exempt = scope["type"] != ScopeType.HTTP or is_exempt(scope["path"], exempt_paths)
            await (app if exempt else limited)(scope, receive, send)

        return middleware

    return wrap


async def charge(connection: Connection, name: str, limit: RateLimit, *, by: KeyOf = caller_key) -> None:
    """One token of the caller's `name` bucket, spent by a handler whose limit the process's settings
    set (route middleware is made before any settings exist). Raises TooManyRequests."""
    decision = await kit_of(connection).limiter.hit(f"{name}:{await by(connection)}", limit)
    if not decision.allowed:
        raise _refusal(decision)


def _refusal(decision: RateDecision) -> TooManyRequests:
    return TooManyRequests(decision.retry_after, f"Too many requests; try again in {decision.retry_after} s")
