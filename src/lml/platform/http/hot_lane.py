"""A lane in front of Litestar's router for the requests clients send most, in their usual shape.

Litestar's way through a route (its routing, the app and route middleware, the route handler's
signature, kwargs and dependencies, each layer's `send` and exception wrapper) costs more than our work
on the hottest routes. A route opts in with `hot_lane(...)` in its `opt`; the lane then serves its
requests that are plain (a valid token with the scope the route asks for, no query string, no
Idempotency-Key, a body read whole in one message, within the size limit, with no NUL to look for,
that the route's `parse` takes), doing in one step what the full path does for them: the rate budgets
(`lml.platform.http.rate_limits`, the same buckets and headers), then the route's `serve`. Anything
else goes the full way, the body read so far given back, so every odd case keeps its answer. Litestar
still declares the route (its document is unchanged) and routes the lane's requests (its cached
routing: the same matches, path parameters and template).

What the lane learns of a route, it reads from the route's declaration: its limits (`rate_limited`,
`general_limit_in_store_of`), the scope its guard or middleware checks, `idempotent`, its body size
limit, its exception handlers (an exception the route raises is answered as Litestar answers it) and
the services its `serve` names (the route's dependencies of the same name)."""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import Awaitable, Callable
from typing import Any, cast

from litestar import Litestar

# Litestar's own internals, so that the lane routes, checks and answers exceptions exactly as its router
# does (litestar 2.25.0, pinned in uv.lock): `is_valid_host` is the router's Host check;
# `wrap_in_exception_handler` wraps every route handler's app (its routing trie does it); the router
# hands that wrapper the route's exception handlers in `ScopeState` (problems.py reads it too), and
# `app.asgi_router.handle_routing` is its cached routing. A change to any of them in an upgrade turns
# tests/e2e/platform/test_hot_lane.py red (its invalid Host, the waiting room's problems it raises,
# every request's answer, lane on against lane off) or breaks its import.
from litestar._asgi.utils import is_valid_host, wrap_in_exception_handler
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from litestar.utils.scope.state import ScopeState

from lml.platform.domain.principal import Principal
from lml.platform.http.auth import principal_in, scope_checked_by
from lml.platform.http.idempotency import HEADER as IDEMPOTENCY_KEY
from lml.platform.http.idempotency import idempotent
from lml.platform.http.kit import HttpKit
from lml.platform.http.rate_limits import (
    GeneralBudget,
    address_of,
    caller_key,
    general_in_store_of,
    own_limit,
    route_bill,
    settle_first,
)
from lml.platform.http.request_guard import NUL, may_hold_nul
from lml.platform.http.request_headers import header

_OPT_KEY = "lml_hot_lane"
_STATE_KEY = "lml_hot_request"

Parse = Callable[[bytes], Any]
Serve = Callable[..., Awaitable[ASGIApp]]


class HotRequest:
    """A request the lane serves: its scope, path parameters, principal (None: no token), and bill."""

    __slots__ = ("bill", "params", "parsed", "principal", "scope")

    def __init__(self, scope: Scope, params: dict[str, Any], principal: Principal | None, parsed: Any) -> None:
        self.scope = scope
        self.params = params
        self.principal = principal
        self.parsed = parsed
        self.bill: Any = None

    @property
    def checked_principal(self) -> Principal:
        """The principal of a route that checks a scope: the lane serves its requests only with one."""
        return cast(Principal, self.principal)


def hot_lane(serve: Serve, parse: Parse | None = None) -> dict[str, Any]:
    """A route's `opt` entry: `serve(request: HotRequest, **services) -> answer` serves its plain requests;
    `parse(body) -> value`, for a route with a body, the value (`request.parsed`), or None to leave the
    request to the full path. Neither may change anything before the route's store is asked."""
    return {_OPT_KEY: (serve, parse)}


class _HotRoute:
    def __init__(self, handler: HTTPRouteHandler, serve: Serve, parse: Parse | None, *, general: GeneralBudget,
                 kit: HttpKit) -> None:
        self.parse = parse
        self.max_body = handler.resolve_request_max_body_size() or math.inf
        self.idempotent = idempotent in (handler.middleware or ())
        checks = [*(handler.middleware or ()), *handler.resolve_guards()]
        scopes = {scope_checked_by(check) for check in checks} - {None}
        if len(scopes) > 1 or any(scope_checked_by(g) is None for g in handler.resolve_guards()):
            raise ValueError(f"{handler}: the lane knows only one scope check as a route's guard")
        self.needs_scope = next(iter(scopes), None)
        limit = own_limit(handler)
        if limit is not None and limit.by is not caller_key:
            raise ValueError(f"{handler}: the lane counts a route's own limit by caller only")
        self.limit = limit
        self.general = general
        self.tag_of = limit.in_store_of if limit is not None else general_in_store_of(handler)
        dependencies = handler.resolve_dependencies()
        named = list(inspect.signature(serve).parameters)[1:]
        services = {name: dependencies[name].dependency() for name in named}

        async def run(scope: Scope, receive: Receive, send: Send) -> None:
            request: HotRequest = scope["state"].pop(_STATE_KEY)
            answer = await serve(request, **services)
            await answer(scope, receive, send)

        async def billed(scope: Scope, receive: Receive, send: Send) -> None:
            await self.bill_and_run(scope["state"][_STATE_KEY], receive, send)

        # An exception is answered as the full path answers it: one raised by the route, by the wrapper
        # Litestar puts between the route and its middleware (the answer gets the rate headers); one
        # raised while the bill is settled, by the app's own wrapper, outside the middleware.
        self.run = wrap_in_exception_handler(run)
        self.served = wrap_in_exception_handler(billed)
        self.exception_handlers = handler.resolve_exception_handlers()
        self.kit = kit

    async def bill_and_run(self, request: HotRequest, receive: Receive, send: Send) -> None:
        scope = request.scope
        principal = request.principal
        key = principal.owner if principal is not None else address_of(scope)
        tag = request.params[self.tag_of] if self.tag_of is not None else None
        limiter = self.kit.limiter
        if self.limit is not None:
            bill = route_bill(limiter, self.limit.name, self.limit.limit, key, tag=tag,
                              general=self.general.limit_of, caller=key)
            leases, unavailable = None, None
        else:
            bill = route_bill(limiter, "general", self.general.limit_of(key), key, tag=tag)
            leases = self.general.leases if tag is None else None
            unavailable = self.general.unavailable
        request.bill = bill
        answer_by = await settle_first(scope, receive, send, bill, limiter, in_store=tag is not None,
                                       leases=leases, unavailable=unavailable)
        if answer_by is not None:
            await self.run(scope, receive, answer_by)


class HotLane:
    """The ASGI app in front of `app`'s own handler (`asgi_handler`), serving its hot routes' plain requests."""

    def __init__(self, app: Litestar, kit: HttpKit, general: GeneralBudget, body_timeout_seconds: float) -> None:
        self.full_path = app.asgi_handler  # Litestar's own way, for every request the lane does not serve
        self._routing = app.asgi_router.handle_routing
        self._kit = kit
        self._timeout = body_timeout_seconds
        self._routes: dict[int, _HotRoute] = {}
        for route in app.routes:
            for handler in route.route_handlers if isinstance(route, HTTPRoute) else ():
                if _OPT_KEY in handler.opt:
                    self._routes[id(handler)] = _HotRoute(handler, *handler.opt[_OPT_KEY], general=general, kit=kit)
        self._methods = frozenset(method for route in app.routes if isinstance(route, HTTPRoute)
                                  for handler in route.route_handlers if id(handler) in self._routes
                                  for method in handler.http_methods)

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in self._methods and not scope.get("query_string"):
            found = self._route(scope)
            if found is not None and await self._serve(scope, receive, send, *found):
                return
        await self.full_path(scope, receive, send)

    def _route(self, scope: Any) -> tuple[_HotRoute, HTTPRouteHandler, dict[str, Any], str] | None:
        path: str = scope["path"]
        # Only a path as Litestar leaves it (its routing would rewrite another), with a valid Host.
        if scope.get("root_path") or "//" in path or (path.endswith("/") and path != "/"):
            return None
        for name, value in scope["headers"]:
            if name == b"host" and not is_valid_host(value):
                return None
        try:
            _, handler, _, params, template = self._routing(path=path, method=scope["method"])
        except Exception:  # noqa: BLE001 - unrouted or a method not allowed: the full path answers it
            return None
        route = self._routes.get(id(handler))
        return None if route is None else (route, cast(HTTPRouteHandler, handler), params, template)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, route: _HotRoute, handler: HTTPRouteHandler,
                     params: dict[str, Any], template: str) -> bool:
        """Serves a plain request; False, having changed nothing, for any other (the body read given back
        to `receive`: the caller passes it on)."""
        found = principal_in(scope, self._kit.tokens)
        principal = found if isinstance(found, Principal) else None
        if route.needs_scope is not None and (principal is None or not principal.has_scope(route.needs_scope)):
            return False
        if any(isinstance(value, str) and NUL in value for value in params.values()):
            return False
        if route.idempotent and header(scope, IDEMPOTENCY_KEY) is not None:
            return False
        parsed = None
        if route.parse is not None:
            read = await self._body(scope, receive, route)
            if isinstance(read, list):
                await self._hand_over(scope, receive, send, read)
                return True
            parsed = route.parse(read)
            if parsed is None:
                await self._hand_over(scope, receive, send, [_whole(read)])
                return True
        scope["route_handler"] = handler
        scope["path_template"] = template
        scope["path_params"] = params
        ScopeState.from_scope(scope).exception_handlers = route.exception_handlers
        scope["state"][_STATE_KEY] = HotRequest(scope, params, principal, parsed)
        await route.served(scope, receive, send)
        return True

    async def _body(self, scope: Scope, receive: Receive, route: _HotRoute) -> bytes | list[ReceiveMessage | None]:
        """The whole body of a plain request; for any other, the messages read (None: the rest did not come in time)."""
        length = header(scope, b"content-length") or ""
        if not length.isdigit() or len(length) > 20 or int(length) > route.max_body:
            return []
        read: list[ReceiveMessage | None] = []
        size = 0
        try:
            async with asyncio.timeout(self._timeout):
                while True:
                    message = await receive()
                    read.append(message)
                    if message["type"] != "http.request":
                        return read
                    size += len(message.get("body", b""))
                    if size > route.max_body:
                        return read
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            return [*read, None]
        body = b"".join(message.get("body", b"") for message in read if message is not None)
        return read if may_hold_nul(header(scope, b"content-type"), body) else body

    async def _hand_over(self, scope: Scope, receive: Receive, send: Send, read: list[ReceiveMessage | None]) -> None:
        """The request down the full path, `read` given back first (None: the read timed out, which
        the request guard answers as its own timeout)."""

        async def replay() -> ReceiveMessage:
            if not read:
                return await receive()
            message = read.pop(0)
            if message is None:
                raise TimeoutError
            return message

        await self.full_path(scope, replay, send)


def _whole(body: bytes) -> ReceiveMessage:
    return {"type": "http.request", "body": body, "more_body": False}
