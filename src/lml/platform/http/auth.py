"""Bearer authentication for routes: a `principal` dependency and scope guards."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from lml.platform.domain.client_network import address_group
from lml.platform.domain.errors import Forbidden, Unauthorized
from lml.platform.domain.principal import Principal
from lml.platform.http.kit import kit_of
from lml.platform.http.request_headers import header
from lml.platform.tokens import InvalidToken


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
    """The principal of the request's bearer token, or why there is none."""
    state = connection.scope.setdefault("state", {})
    cached: Principal | None = state.get("principal")
    if cached is not None:
        return cached
    scheme, _, token = (header(connection.scope, b"authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "A bearer access token is required"
    try:
        principal = kit_of(connection).tokens.verify(token.strip())
    except InvalidToken:
        return "The access token is invalid or expired"
    state["principal"] = principal
    return principal


async def provide_principal(request: Any) -> Principal:
    return bearer_principal(request)


def requires_scope(scope: str) -> Any:
    # A coroutine: Litestar would run a plain function guard on a worker thread, a hop per request.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not bearer_principal(connection).has_scope(scope):
            raise Forbidden(f"This needs the `{scope}` scope")

    return guard


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.client
    return client.host if client else "unknown"


def client_network(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """What every limit per client address counts: the client's IPv4 address, or its IPv6 /64."""
    return address_group(client_address(connection))
