"""Bearer authentication for routes: a `principal` dependency and scope guards (or route middleware)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from lml.platform.domain.client_network import address_group
from lml.platform.domain.errors import Forbidden, Unauthorized
from lml.platform.domain.principal import Principal
from lml.platform.http.contract import BEARER, documented
from lml.platform.http.kit import kit_of
from lml.platform.http.request_headers import header
from lml.platform.tokens import InvalidToken, TokenCodec

# Marks the middleware `scope_checked` makes.
_CHECKS_SCOPE = "__lml_checks_scope__"


def bearer_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    found = _principal(connection)
    if isinstance(found, str):
        raise Unauthorized(found)
    return found


def principal_if_any(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The principal of the request's valid bearer token; None without one (nothing raised: callers
    that go on without a principal ask for it on every such request)."""
    found = _principal(connection)
    return None if isinstance(found, str) else found


def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | str:
    return principal_in(connection.scope, kit_of(connection).tokens)


def principal_in(scope: Scope, tokens: TokenCodec) -> Principal | str:
    """The principal of the request's bearer token, or why there is none (remembered in the scope's state)."""
    state = scope.setdefault("state", {})
    cached: Principal | None = state.get("principal")
    if cached is not None:
        return cached
    scheme, _, token = (header(scope, b"authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "A bearer access token is required"
    try:
        principal = tokens.verify(token.strip())
    except InvalidToken:
        return "The access token is invalid or expired"
    state["principal"] = principal
    return principal


async def provide_principal(request: Any) -> Principal:
    return bearer_principal(request)


def requires_scope(scope: str) -> Any:
    # A coroutine: Litestar would run a plain function guard on a worker thread, a hop per request.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        _check_scope(connection, scope)

    setattr(guard, _CHECKS_SCOPE, scope)
    return guard


def scope_checked(scope: str) -> Callable[[ASGIApp], ASGIApp]:
    """Route middleware making `requires_scope`'s check, for the routes called most: Litestar hands
    each guard a copy of the route handler, made per request. Put last in the route's middleware, it
    runs where a guard would (after the other middleware, before the handler); `checks_scope` tells
    the rate limits that it does, as they run guards (`lml.platform.http.rate_limits.caller_key`)."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def check(asgi_scope: Scope, receive: Receive, send: Send) -> None:
            _check_scope(ASGIConnection(asgi_scope, receive), scope)
            await app(asgi_scope, receive, send)

        return check

    setattr(wrap, _CHECKS_SCOPE, scope)
    return documented(wrap, BEARER)


def checks_scope(handler: BaseRouteHandler) -> bool:
    """Whether a `scope_checked` middleware guards the route."""
    return any(hasattr(middleware, _CHECKS_SCOPE) for middleware in handler.middleware or ())


def scope_checked_by(check: Any) -> str | None:
    """The scope a `requires_scope` guard or a `scope_checked` middleware asks for; None for anything else."""
    needed: str | None = getattr(check, _CHECKS_SCOPE, None)
    return needed


def client_network_of(scope: Scope) -> str:
    """`client_network` of a request's scope."""
    client = scope.get("client")
    return address_group(client[0] if client else "unknown")


def _check_scope(connection: ASGIConnection[Any, Any, Any, Any], scope: str) -> None:
    if not bearer_principal(connection).has_scope(scope):
        raise Forbidden(f"This needs the `{scope}` scope")


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.client
    return client.host if client else "unknown"


def client_network(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """What every limit per client address counts: the client's IPv4 address, or its IPv6 /64."""
    return client_network_of(connection.scope)
