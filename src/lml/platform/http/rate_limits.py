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

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from lml.platform.domain.errors import DomainError, Unavailable
from lml.platform.domain.rate_budget import RateBill
from lml.platform.http.auth import bearer_principal, checks_scope, client_network_of, principal_if_any
from lml.platform.http.contract import Contract, documented
from lml.platform.http.kit import kit_of
from lml.platform.http.problems import handle_domain_error
from lml.platform.logging import get_logger
from lml.platform.rate_leases import RateLeases
from lml.platform.rate_limit import RateDecision, RateLimit, RateLimiter

log = get_logger("lml.rate_limits")

Connection = ASGIConnection[Any, Any, Any, Any]
KeyOf = Callable[[Connection], Awaitable[str]]
ADDRESS = "address:"


async def address_key(connection: Connection) -> str:
    """The client's network (an IPv6 /64 is one), so that a new address of it is not a new bucket."""
    return address_of(connection.scope)


def address_of(scope: Scope) -> str:
    """`address_key` of a request's scope."""
    return ADDRESS + client_network_of(scope)


async def caller_key(connection: Connection) -> str:
    """Whose bucket a request draws from: the authenticated principal, else the client address once
    the route's guards let a caller without a token through (else they raise: 401, or 403)."""
    principal = principal_if_any(connection)
    if principal is not None:
        return principal.owner
    handler = connection.scope.get("route_handler")
    if isinstance(handler, HTTPRouteHandler):
        if handler.resolve_guards():
            await handler.authorize_connection(connection)
        if checks_scope(handler):
            bearer_principal(connection)  # raises the 401 its check would
    return await address_key(connection)


def _rate_headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    # Retry-After of a refusal comes with the 429 problem itself.
    return [(name.lower().encode(), value.encode()) for name, value in decision.headers().items()
            if name.startswith("RateLimit-")]


# Every answer of a limited route carries the budget; a refusal is a 429 with Retry-After.
RATE_LIMITED = Contract(statuses=frozenset({429}),
                        sends_always=("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"))
# Scope state: the general limit, left by the general middleware to a route's own limit, which spends
# both buckets in one call to the store; and the bill a route's store script spends (`rate_bill`).
_GENERAL = "general_rate_limit"
_BILL = "rate_bill"
# Marks the middleware of a route's own limit, which the general middleware leaves its bucket to.
_OWN_LIMIT = "__lml_own_rate_limit__"
# Marks a route whose store script spends the general bucket: the path parameter whose hash tag it carries.
_IN_STORE_OF = "__lml_general_limit_in_store_of__"
# The general middleware's budget, on the middleware.
_GENERAL_BUDGET = "__lml_general_budget__"


def _bucket_name(name: str, tag: str | None, key: str) -> str:
    """Hash-tagged (by `tag`, else by the key itself) so that a request's buckets share a slot of a Redis
    Cluster, and are spent by one script, whenever they are counted by one key."""
    return f"{name}:{{{tag}}}:{key}" if tag is not None else f"{name}:{{{key}}}"


async def _problem(scope: Scope, receive: Receive, send: Send, error: DomainError,
                   headers: list[tuple[bytes, bytes]] | None = None) -> None:
    request: Request[Any, Any, Any] = Request(scope, receive)
    response = handle_domain_error(request, error)
    response.headers.update({name.decode(): value.decode() for name, value in headers or []})
    await response.to_asgi_response(None, request)(scope, receive, send)


def rate_bill(connection: Connection) -> RateBill | None:
    """The request's rate budgets, left for the route's store script to spend in the same step as its
    own work (a route limited with `in_store_of`, or marked `general_limit_in_store_of`); None on
    other routes."""
    bill: RateBill | None = connection.scope.get("state", {}).get(_BILL)
    return bill


def route_bill(limiter: RateLimiter, name: str, limit: RateLimit, key: str, *, tag: str | None,
               general: Callable[[str], RateLimit] | None = None, caller: str = "") -> RateBill:
    """The buckets of one request: the general one of `caller` first when a route's own limit spends it
    (`general`: its limit for the caller), then the `name` bucket of `key`."""
    buckets = []
    if general is not None:
        buckets.append(limiter.bucket(_bucket_name("general", tag, caller), general(caller)))
    buckets.append(limiter.bucket(_bucket_name(name, tag, key), limit))
    return RateBill(buckets)


def sending_rate_headers(scope: Scope, receive: Receive, send: Send, bill: RateBill, limiter: RateLimiter,
                         unavailable: Callable[[], None] | None = None) -> Send:
    """`send` adding the bill's `RateLimit-*` headers to the answer. A request that ended before its
    store script ran (invalid, a replayed answer...) pays when its answer starts, and a budget that
    cannot be checked then answers 503 in its place (unless `unavailable`: called, and the answer goes
    out without the headers)."""
    replaced = False  # the route's answer gave way to a 503: its own messages go nowhere

    async def send_with_headers(message: Message) -> None:
        nonlocal replaced
        if replaced:
            return
        # An inner limit's headers describe the tighter budget, and another limit's 429 its own.
        if message["type"] == "http.response.start" and not any(
                name.lower() == b"ratelimit-limit" for name, _ in message.get("headers", [])):
            decision: RateDecision | None = bill.decision
            if decision is None:
                try:
                    decision = await limiter.spend(bill)
                except Unavailable as down:
                    if unavailable is None:
                        replaced = True
                        await _problem(scope, receive, send, down)
                        return
                    unavailable()
            if decision is not None:
                message = {**message, "headers": [*message.get("headers", []), *_rate_headers(decision)]}
        await send(message)

    return send_with_headers


async def refuse(scope: Scope, receive: Receive, send: Send, decision: RateDecision) -> None:
    """The 429 problem of a refused request, with its budget's headers."""
    await _problem(scope, receive, send, decision.refusal(), _rate_headers(decision))


async def settle_first(scope: Scope, receive: Receive, send: Send, bill: RateBill, limiter: RateLimiter, *,
                       in_store: bool, leases: RateLeases | None = None,
                       unavailable: Callable[[], None] | None = None) -> Send | None:
    """The bill spent before the route runs, unless its store script spends it (`in_store`); the `send`
    the route answers through (`sending_rate_headers`), or None once a refusal was answered (429).
    While the store cannot be reached: raises Unavailable (503), or with `unavailable`, calls it and
    the route answers as it is, unlimited."""
    if not in_store:
        try:
            await (limiter.spend(bill) if leases is None else leases.spend(limiter, bill))
        except Unavailable:
            if unavailable is None:
                raise
            unavailable()
            return send
    refused = bill.decision
    if refused is None or refused.allowed:
        return sending_rate_headers(scope, receive, send, bill, limiter, unavailable)
    await refuse(scope, receive, send, refused)
    return None


def _limit_middleware(
    app: ASGIApp, by: KeyOf, name: str, limit_of: Callable[[str], RateLimit], *, own: bool,
    in_store_of: str | None = None, unavailable: Callable[[], None] | None = None, leases: RateLeases | None = None,
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Spends one token of the caller's `name` bucket per request (`limit_of` its limit for the caller's
    key), and first one of the general bucket when the general middleware left it (`own`: a route's
    own limit): both in one call to the store. With `in_store_of` (a path parameter) the buckets carry
    that value's hash tag and the route's store script spends them (`rate_bill`); whatever the
    request did not take to the store is spent before its answer starts. While the limiter's store
    cannot be reached the request fails (503), unless `unavailable` is given: it is called and the
    request goes on unlimited. With `leases` (one bucket, spent before the route), the bucket's tokens
    are taken a few at a time (`RateLeases`)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        connection: Connection = ASGIConnection(scope, receive=receive)
        limiter = kit_of(connection).limiter
        tag = connection.path_params[in_store_of] if in_store_of is not None else None
        key = await by(connection)
        state = scope.setdefault("state", {})
        general: Callable[[str], RateLimit] | None = state.pop(_GENERAL, None) if own else None
        caller = key if general is None or by is caller_key else await caller_key(connection)
        bill = route_bill(limiter, name, limit_of(key), key, tag=tag, general=general, caller=caller)
        if in_store_of is not None:
            state[_BILL] = bill
        answer_by = await settle_first(scope, receive, send, bill, limiter, in_store=in_store_of is not None,
                                       leases=leases, unavailable=unavailable)
        if answer_by is not None:
            await app(scope, receive, answer_by)

    return middleware


class RouteLimit(msgspec.Struct, frozen=True):
    """A route's own limit as `rate_limited` declares it (read back by `lml.platform.http.hot_lane`)."""

    name: str
    limit: RateLimit
    by: KeyOf
    in_store_of: str | None


def rate_limited(
    name: str, limit: RateLimit, *, by: KeyOf = caller_key, in_store_of: str | None = None
) -> Callable[[ASGIApp], ASGIApp]:
    """Route middleware spending one token of the caller's `name` bucket per request, with the
    general one's. `in_store_of`: the path parameter (a show id) whose store script spends both (see
    `rate_bill`); the buckets are then the caller's for that value (a cluster runs a script on one
    slot only, so they carry its hash tag)."""

    def wrap(app: ASGIApp) -> ASGIApp:
        return _limit_middleware(app, by, name, lambda _: limit, own=True, in_store_of=in_store_of)

    setattr(wrap, _OWN_LIMIT, RouteLimit(name, limit, by, in_store_of))
    return documented(wrap, RATE_LIMITED)


def general_limit_in_store_of(path_param: str) -> Callable[[ASGIApp], ASGIApp]:
    """Route middleware (it only marks the route): the route's store script spends the general bucket
    (see `rate_bill`), which is then the caller's for the value of `path_param` (a show id: a cluster
    runs a script on one slot only, so the bucket carries its hash tag). Saves a round trip to the
    store on routes that make one anyway."""

    def wrap(app: ASGIApp) -> ASGIApp:
        return app

    setattr(wrap, _IN_STORE_OF, path_param)
    return wrap


class GeneralBudget(msgspec.Struct, frozen=True):
    """The general limit of `general_rate_limit`: each caller's limit (by key), the process's leases of
    callers' tokens, and what to do while the store cannot be reached (go on unlimited, said once a minute)."""

    limit_of: Callable[[str], RateLimit]
    leases: RateLeases
    unavailable: Callable[[], None]


def is_exempt(path: str, exempt_paths: Collection[str]) -> bool:
    """Whether `path` is one of `exempt_paths` or under one."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in exempt_paths)


def _route_marks(scope: Scope) -> tuple[bool, str | None]:
    """Whether the route has its own limit; the path parameter whose store spends its general bucket."""
    handler = scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return False, None
    return own_limit(handler) is not None, general_in_store_of(handler)


def general_in_store_of(handler: HTTPRouteHandler) -> str | None:
    """The path parameter whose store script spends the route's general bucket (`general_limit_in_store_of`)."""
    return next((getattr(m, _IN_STORE_OF) for m in handler.middleware or () if hasattr(m, _IN_STORE_OF)), None)


def own_limit(handler: HTTPRouteHandler) -> RouteLimit | None:
    """The route's own limit, if it has one."""
    return next((getattr(m, _OWN_LIMIT) for m in handler.middleware or () if hasattr(m, _OWN_LIMIT)), None)


def general_rate_limit(
    per_principal: RateLimit, per_address: RateLimit, *, exempt_paths: Collection[str]
) -> Callable[[ASGIApp], ASGIApp]:
    """App middleware: every routed request but those under `exempt_paths` spends one token of the
    caller's general bucket (`per_principal` with a valid token, `per_address` without), taken from
    the store a few at a time (`RateLeases`); on a route with its own limit, that limit spends it, in
    the same call to the store as its own; on a route marked `general_limit_in_store_of`, the
    route's store script does."""

    def limit_of(key: str) -> RateLimit:
        return per_address if key.startswith(ADDRESS) else per_principal

    last_warned = -math.inf

    def unavailable() -> None:
        # Reading one's tickets, or the event list, must not fail because the limiter's store is
        # down: the general limit lets requests through then (routes' own limits still refuse). Said
        # once a minute, not once a request.
        nonlocal last_warned
        if time.monotonic() - last_warned >= 60:
            last_warned = time.monotonic()
            log.warning("general_rate_limit_unavailable", detail="Redis cannot be reached; requests go unlimited")

    budget = GeneralBudget(limit_of, RateLeases(), unavailable)

    def wrap(app: ASGIApp) -> ASGIApp:
        limited = _limit_middleware(app, caller_key, "general", limit_of, own=False, unavailable=unavailable,
                                    leases=budget.leases)
        in_store: dict[str, ASGIApp] = {}

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or is_exempt(scope["path"], exempt_paths):
                await app(scope, receive, send)
                return
            own, in_store_of = _route_marks(scope)
            if own:
                scope.setdefault("state", {})[_GENERAL] = limit_of
                await app(scope, receive, send)
            elif in_store_of is not None:
                if in_store_of not in in_store:
                    in_store[in_store_of] = _limit_middleware(app, caller_key, "general", limit_of, own=False,
                                                              in_store_of=in_store_of, unavailable=unavailable)
                await in_store[in_store_of](scope, receive, send)
            else:
                await limited(scope, receive, send)

        return middleware

    setattr(wrap, _GENERAL_BUDGET, budget)
    return wrap


def general_budget(middleware: Callable[[ASGIApp], ASGIApp]) -> GeneralBudget:
    """What the middleware `general_rate_limit` made spends: its limit per caller, leases, outage policy."""
    budget: GeneralBudget = getattr(middleware, _GENERAL_BUDGET)
    return budget
